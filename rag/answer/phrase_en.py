"""The English of an answer phrase, for an English question: exact renderings or None.

A figure or a date through rag.text.english; a count with the thing counted in CC-CEDICT's words (56个国家 →
56 countries); a name asked through rag.index.english_names; else the figures of a clause, in order.
"""
from __future__ import annotations

import re

from rag.answer.enumeration import NAME_ASKED, asks_list, list_en
from rag.answer.figures import COUNTERS, DATE, HEDGE, NOUN_MAX, counted_noun, zh_figures
from rag.answer.phrase_names import asked_kind
from rag.index.english_names import gloss_en, name_en, noun_en
from rag.search.analysis import QuestionAnalysis
from rag.text.english import render_en


def phrase_en(a: QuestionAnalysis, text: str) -> str | None:
    """The English of a figure or a date (a counted noun after its figure in CEDICT's words when CEDICT lists
    it, else the figure alone), or of a name when a name was asked (CC-CEDICT or pinyin)."""
    rendered = render_en(text)
    if rendered is None:
        m = re.match(rf"(.+?(?:{'|'.join(COUNTERS)})(?:多|余)?)([\u4e00-\u9fff]{{1,{NOUN_MAX}}})$", text)
        if m and counted_noun(m.group(2)) == len(m.group(2)) and (figure := render_en(m.group(1))) is not None:
            noun = noun_en(m.group(2))
            rendered = f"{figure} {_plural(noun)}" if noun and not re.search(r"[a-z]$", figure) else figure
    if rendered is None and (kind := asked_kind(a.type, a.text)):
        rendered = name_en(text, kind)
    if rendered is None:
        rendered = _figures_en(text)
    if rendered is None and asks_list(a):
        rendered = list_en(text)
    if rendered is None and NAME_ASKED.search(a.text) and len(text) <= 24:
        rendered = gloss_en(text, name=True)  # a name asked that is no person, organisation or place: 创新5号 and the like
    return rendered


def _figures_en(text: str) -> str | None:
    """For a clause: the English of the figures in it, in order ("320 million yuan; 12.5%"), when each of
    them renders and it holds at most three; the clause itself stays the phrase beside it."""
    spans = [(s, e) for s, e, num, _, unit in zh_figures(text) if num[0].isdigit() and unit
             and not any(ds <= s < de for ds, de in (m.span() for m in DATE.finditer(text)))]
    if not spans or len(spans) > 3:
        return None
    parts = []
    for s, e in spans:
        hedge = HEDGE.search(text[:s])
        part = render_en(text[hedge.start() if hedge else s:e])
        if part is None:
            return None
        parts.append(part)
    return "; ".join(parts)


def _plural(noun: str) -> str:
    """company → companies, port → ports, box → boxes (the last word of the gloss)."""
    if re.search(r"[^aeiou]y$", noun):
        return noun[:-1] + "ies"
    if re.search(r"(?:s|x|z|ch|sh)$", noun):
        return noun + "es"
    return noun + "s"
