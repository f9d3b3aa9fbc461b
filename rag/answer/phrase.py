"""The answer phrase: the exact span of the first cited sentence that answers the question.

Found by general means from the question analysis: for a question asking a number, the figure
(with its multiplier, unit and a range partner: 10-15万辆) whose unit is the one asked, that the
question does not already give and that is not part of a date, nearest to the measure and focus words
asked (a clause break counting as distance); for a date, the date expression the
question does not give; for a person, an organisation or a place, the first name of that kind
(jieba's tags, organisation suffixes) the question does not name. Otherwise (reasons, lists, facts,
or no such span) the clause of the sentence that meets the most of the question, when it is short
enough; else no phrase, and the quoted sentence is the answer. The phrase is a span of the source,
so it is cited like any other text.
"""
from __future__ import annotations

import re

from rag.answer.types import Citation
from rag.index.english_names import name_en
from rag.search.analysis import QuestionAnalysis
from rag.text.english import QUALIFIERS, render_en
from rag.text.timeexpr import years_in
from rag.text.tokenize import normalize, posseg
from rag.text.units import RANGE_DASH, figures

MAX_CHARS = 60
_RANGE = re.compile(rf"\s*{RANGE_DASH}\s*$")
_DATE = re.compile(r"(?:(?:19|20)\d\d年)?\d{1,2}月(?:\d{1,2}[日号])?(?:上旬|中旬|下旬)?|(?:19|20)\d\d年(?:底|初|末)?"
                   r"|\d{1,2}[日号]")
_ORG = re.compile(r"[\u4e00-\u9fffA-Za-z0-9（）()]{2,20}?(?:有限公司|股份公司|公司|集团|银行|协会|委员会|研究院|大学|"
                  r"管委会|中心|局|厅|署)")
_POS = {"person": ("nr",), "org": ("nt",), "place": ("ns",)}
_RANGE_AFTER = re.compile(rf"\s*{RANGE_DASH}\s*")
_HEDGE = re.compile(rf"(?:{'|'.join(sorted(QUALIFIERS, key=len, reverse=True))})\s*$")  # 超过, 约, 不足 …
_CLAUSE = re.compile(r"[^，,；;：:。！？!?]+")
_TIME_UNITS = ("年", "月", "日", "天", "小时", "分钟", "秒", "周")
_SPEECH = frozenset("表示 说 介绍 指出 认为 称 坦言 透露 告诉 强调 谈到".split())
_BREAK = re.compile(r"[，,；;。！？!?]")
_CLAUSE_BREAK = 12  # a figure in another clause is as far as one twelve characters away in the same clause


def answer_phrase(analysis: QuestionAnalysis, citations: list[Citation]) -> dict | None:
    """``{"text", "citation", "doc_id", "start", "end", "en"}`` for the phrase of the first citation, or None.
    ``en`` is the exact English rendering (rag.text.english) for an English question, when there is one."""
    if not citations:
        return None
    cite = citations[0]
    span = _find(analysis, cite.text)
    if span is None:
        return None
    s, e = span
    text = cite.text[s:e].strip()
    if not text or len(text) > MAX_CHARS:
        return None
    s += cite.text[s:e].index(text)
    return {"text": text, "citation": cite.n, "doc_id": cite.doc_id, "start": cite.start + s,
            "end": cite.start + s + len(text), "en": _english(analysis, text) if analysis.language == "en" else None}


def _english(a: QuestionAnalysis, text: str) -> str | None:
    """The English of a figure or a date, or of a name when a name was asked (CC-CEDICT or pinyin)."""
    rendered = render_en(text)
    if rendered is None and a.type in _POS:
        rendered = name_en(text, a.type)
    return rendered


def _find(a: QuestionAnalysis, sentence: str) -> tuple[int, int] | None:
    asked = normalize(a.text)
    span = None
    if a.type == "date":
        span = _first_new(_DATE.finditer(sentence), asked)
    if span is None and (a.type in ("number", "date") or a.unit):
        span = _figure(a, sentence, asked)
    elif a.type in _POS:
        span = _name(a.type, sentence, asked)
    return span or _clause(a, sentence)


def _clause(a: QuestionAnalysis, sentence: str) -> tuple[int, int] | None:
    """The clause (between commas) that meets the most of the question's weighted terms, when it is short
    enough to be a phrase: for facts, lists and reasons the answer is usually the clause naming its subject.
    For a list question, a clause that enumerates (两个以上顿号) outranks one that only repeats the question."""
    best, best_score = None, 0.0
    top = max((g.weight for g in a.groups), default=1.0)
    for m in _CLAUSE.finditer(sentence):
        text = normalize(m.group(0))
        score = sum(g.weight for g in a.groups if any(w in text for w in g.words))
        if a.type == "list" and m.group(0).count("、") >= 2:
            score += 2 * top
        if score > best_score:
            best, best_score = (m.start(), m.end()), score
    if best is None or best[1] - best[0] > MAX_CHARS or best[1] - best[0] < 4:
        return None
    return best


def _figure(a: QuestionAnalysis, sentence: str, asked: str) -> tuple[int, int] | None:
    years = years_in(sentence)
    time_asked = any(u in _TIME_UNITS for u in a.unit)
    dates = [m.span() for m in _DATE.finditer(sentence)] if not time_asked else []
    found = [(s, e, num, unit) for s, e, num, unit in figures(sentence)
             if not (num in years and (not unit or unit == "年")) and num not in a.numbers
             and (time_asked or unit not in _TIME_UNITS) and not any(ds <= s < de for ds, de in dates)]
    if not found:
        return None
    words = set(a.measure) | {w for g in a.focus for w in g.words}
    anchors = [m.span() for w in words if w for m in re.finditer(re.escape(w), sentence)]

    def gap(s: int, e: int) -> float:
        """Characters between the figure and the nearest word of what is asked; a clause break counts extra."""
        best = float(len(sentence))
        for ws, we in anchors:
            lo, hi = (we, s) if ws < s else (e, ws)
            between = sentence[lo:hi] if lo < hi else ""
            best = min(best, max(hi - lo, 0) + _CLAUSE_BREAK * len(_BREAK.findall(between)))
        return best

    def rank(f: tuple[int, int, str, str]) -> tuple:
        s, e, _, unit = f
        unit_ok = bool(a.unit) and any(unit == u or unit.endswith(u) for u in a.unit)
        return (not unit_ok, not unit, gap(s, e), s)

    s, e, _, _ = min(found, key=rank)
    # a range written as two figures (10-15万辆) is one answer
    before = sentence[:s]
    m = _RANGE.search(before)
    if m:
        prev = [f for f in figures(before[: m.start()]) if f[1] == m.start()]
        if prev:
            s = prev[0][0]
    after = _RANGE_AFTER.match(sentence, e)
    if after:  # ... and so is 12亿元-17亿元 when the first figure was the one chosen
        nxt = [f for f in figures(sentence[after.end():]) if f[0] == 0]
        if nxt:
            e = after.end() + nxt[0][1]
    if s and sentence[s - 1] == "第":  # an ordinal: 第18位
        s -= 1
    hedge = _HEDGE.search(sentence[:s])
    if hedge:  # 超过150家 is the claim, not 150家
        s = hedge.start()
    return s, e


def _first_new(matches, asked: str) -> tuple[int, int] | None:
    for m in matches:
        if normalize(m.group(0)) not in asked:
            return m.start(), m.end()
    return None


def _name(kind: str, sentence: str, asked: str) -> tuple[int, int] | None:
    if kind == "org":
        hit = _first_new(_ORG.finditer(sentence), asked)
        if hit:
            return hit
    if kind == "person":  # 总经理孙建涛表示: the name just before a verb of speech is the speaker
        tagged = posseg(sentence)
        pos = 0
        for (word, flag), nxt in zip(tagged, tagged[1:] + [("", "")]):
            start = sentence.find(word, pos)
            pos = start + len(word) if start >= 0 else pos
            if (start >= 0 and flag == "nr" and 2 <= len(word) <= 4 and nxt[0] in _SPEECH
                    and normalize(word) not in asked):
                return start, start + len(word)
    pos = 0
    for word, flag in posseg(sentence):
        start = sentence.find(word, pos)
        pos = start + len(word) if start >= 0 else pos
        if start >= 0 and flag in _POS[kind] and len(word) >= 2 and normalize(word) not in asked:
            return start, start + len(word)
    return None
