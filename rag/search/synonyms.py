"""Chinese abbreviations and their full forms (综保区 ↔ 综合保税区), for the keyword side of retrieval.

General vocabulary of economic news in rag/data/synonyms_zh.tsv.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources


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
