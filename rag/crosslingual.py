"""Query expansion for the keyword side: English questions get Chinese terms, abbreviations their full form.

BM25 cannot match "foreign trade" against 外贸. A domain glossary
(``rag/data/glossary_en_zh.tsv``, user-extendable) maps English phrases to the
Chinese terms the articles use; the expansion feeds the keyword side of hybrid
retrieval and the lexical scoring of answer sentences. Nor can it match 综保区
against 综合保税区: ``rag/data/synonyms_zh.tsv`` lists such abbreviations, used
for retrieval only (answer scoring counts what the question itself says).
"""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

_WORDS = re.compile(r"[a-z0-9]+(?:[-'&][a-z0-9]+)*")


@lru_cache(maxsize=1)
def glossary() -> dict[tuple[str, ...], list[str]]:
    entries: dict[tuple[str, ...], list[str]] = {}
    text = resources.files("rag.data").joinpath("glossary_en_zh.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#") or "\t" not in line:
            continue
        english, chinese = line.split("\t", 1)
        key = tuple(_WORDS.findall(english.lower()))
        if key:
            terms = entries.setdefault(key, [])
            terms.extend(t for t in chinese.split() if t not in terms)
    return entries


@lru_cache(maxsize=1)
def glossary_words() -> frozenset[str]:
    """Every English word of the glossary's phrases."""
    return frozenset(w for key in glossary() for w in key)




def _stem(word: str, vocab: frozenset[str]) -> str:
    """The glossary's form of an inflected ``word`` ("corridors" -> "corridor"), or ``word`` itself."""
    for suffix, repl in (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and word[: -len(suffix)] + repl in vocab:
            return word[: -len(suffix)] + repl
    return word


def _words(query: str) -> tuple[list[str], list[str]]:
    """Lower-case words, and their stems; a hyphenated word the glossary does not list is split."""
    vocab = glossary_words()
    words: list[str] = []
    for word in _WORDS.findall(query.lower()):
        if "-" in word and word not in vocab:
            words.extend(part for part in word.split("-") if part)  # "rail-intermodal"
        else:
            words.append(word)
    return words, [_stem(w, vocab) for w in words]


def english_phrases(query: str) -> list[tuple[str, list[str]]]:
    """The glossary phrases in ``query`` (longest match first) with their Chinese terms, and its numbers.

    A phrase matches as written or with its words stemmed ("industrial parks" -> "industrial park").
    """
    words, stems = _words(query)
    table = glossary()
    longest = max((len(k) for k in table), default=1)
    found: list[tuple[str, list[str]]] = []
    i = 0
    while i < len(words):
        for n in range(min(longest, len(words) - i), 0, -1):
            key = next((k for k in (tuple(words[i : i + n]), tuple(stems[i : i + n])) if k in table), None)
            if key:
                found.append((" ".join(words[i : i + n]), list(table[key])))
                i += n
                break
        else:
            if re.fullmatch(r"\d+(\.\d+)?", words[i]):
                found.append((words[i], [words[i]]))
            i += 1
    return found


def expand_english(query: str) -> list[str]:
    """Chinese terms for the English phrases in ``query``, plus its numbers (see :func:`english_phrases`)."""
    terms: list[str] = []
    for _, chinese in english_phrases(query):
        terms.extend(t for t in chinese if t not in terms)
    return terms


@lru_cache(maxsize=1)
def _synonyms() -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    text = resources.files("rag.data").joinpath("synonyms_zh.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        terms = line.split()
        if len(terms) < 2 or line.startswith("#"):
            continue
        for term in terms:
            groups.setdefault(term.lower(), []).extend(t for t in terms if t != term)
    return groups


def synonyms(tokens: list[str]) -> list[str]:
    """The other forms of abbreviations among ``tokens`` (综保区 → 综合保税区), not already there."""
    table, have = _synonyms(), set(tokens)
    out: list[str] = []
    for token in tokens:
        out.extend(t for t in table.get(token, ()) if t not in have and t not in out)
    return out
