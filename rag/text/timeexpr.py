"""Time expressions in questions and sentences: years, months and parts of a year as month ranges.

A part of a year is a ``(first month, last month)`` pair, so 上半年, "first half", 1-6月 and 前6个月
are the same (1, 6), 一季度 and Q1 are (1, 3), and 全年 / "full year" is (1, 12). A single month
asked (8月, August) is a month, and a sentence's day date (8月17日) names its month.
"""
from __future__ import annotations

import re
from functools import lru_cache

from rag.text.numerals import zh_number
from rag.text.units import RANGE_DASH, ZH_UNITS

# a year, not a count: "2000列" or "2024家" is no year (any unit of rag.text.units but 年 and 届 follows a count)
_COUNT_AFTER = "|".join(re.escape(u) for u in ("万", "亿", "多", "余", *ZH_UNITS) if u not in ("年", "届"))
YEAR = re.compile(rf"(?<![\d.])((?:19|20)\d\d)(?!\d|\.\d)(?!\s*(?:{_COUNT_AFTER}))")
_EN_NUM = {w: i for i, w in enumerate("one two three four five six seven eight nine ten eleven twelve".split(), start=1)}
MONTHS_EN = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
             "november", "december")
_MON = r"(?:january|february|march|april|may|june|july|august|september|october|november|december)"
_N = r"(\d{1,2}|十[一二]?|[一二三四五六七八九十两])"
_NAMED = [(r"上半年|first half|\bh1\b|first six months", (1, 6)), (r"下半年|second half|\bh2\b", (7, 12)),
          (r"前三季度|first three quarters", (1, 9)),
          (r"(?<!前)(?:第)?一季度|first quarter|\bq1\b", (1, 3)), (r"(?<!前)(?:第)?二季度|second quarter|\bq2\b", (4, 6)),
          (r"(?<!前)(?:第)?三季度|third quarter|\bq3\b", (7, 9)), (r"(?:第)?四季度|fourth quarter|\bq4\b", (10, 12)),
          (r"全年|整年|full[- ]year|whole year|entire year", (1, 12))]
_RANGE_ZH = re.compile(rf"{_N}月?\s*(?:{RANGE_DASH})\s*{_N}月")
_FIRST_N = re.compile(rf"前{_N}个?月|first (\d{{1,2}}|one|two|three|four|five|six|seven|eight|nine|ten|eleven) months", re.I)
_RANGE_EN = re.compile(rf"(?:from |between )?({_MON})\s*(?:to|through|until|and|-|–)\s*({_MON})", re.I)
_MONTH_ZH = re.compile(rf"(?<![\d.]){_N}月(?:份)?")
_MONTH_EN = re.compile(rf"\b({_MON})\b", re.I)


def _num(s: str) -> int:
    s = s.lower()
    if s.isdigit():
        return int(s)
    return _EN_NUM.get(s) or int(zh_number(s) or 0)


@lru_cache(maxsize=65536)
def years_in(text: str) -> frozenset[str]:
    """Four-digit years (counts such as 2000列 are not years)."""
    return frozenset(YEAR.findall(text))


@lru_cache(maxsize=65536)
def _ranges(text: str) -> tuple[tuple[tuple[int, int], tuple[int, int]], ...]:
    """(span, (first, last)) of every part of a year named in ``text``."""
    out = []
    for pattern, months in _NAMED:
        out += [((m.start(), m.end()), months) for m in re.finditer(pattern, text, re.I)]
    for m in _RANGE_ZH.finditer(text):
        out.append(((m.start(), m.end()), (_num(m.group(1)), _num(m.group(2)))))
    for m in _FIRST_N.finditer(text):
        out.append(((m.start(), m.end()), (1, _num(m.group(1) or m.group(2)))))
    for m in _RANGE_EN.finditer(text):
        out.append(((m.start(), m.end()), (MONTHS_EN.index(m.group(1).lower()) + 1,
                                           MONTHS_EN.index(m.group(2).lower()) + 1)))
    return tuple((s, r) for s, r in out if 1 <= r[0] <= r[1] <= 12)


@lru_cache(maxsize=65536)
def periods_in(text: str) -> frozenset[tuple[int, int]]:
    """Parts of a year named in ``text`` as month ranges (a single month is not a period)."""
    return frozenset(r for _, r in _ranges(text) if r[0] != r[1])


@lru_cache(maxsize=65536)
def months_in(text: str) -> frozenset[int]:
    """Single months named outside any range: 8月, 7月份, 8月17日, August."""
    spans = [s for s, _ in _ranges(text)]
    out = set()
    for m in list(_MONTH_ZH.finditer(text)) + list(_MONTH_EN.finditer(text)):
        if any(a <= m.start() < b for a, b in spans):
            continue
        value = _num(m.group(1)) if m.re is _MONTH_ZH else MONTHS_EN.index(m.group(1).lower()) + 1
        if 1 <= value <= 12:
            out.add(value)
    if "may" in {m.group(1).lower() for m in _MONTH_EN.finditer(text)} and not re.search(r"\bmay\s+\d|\bin may\b|\bmay\s+(?:19|20)\d\d", text, re.I):
        out.discard(5)  # "may" the verb
    return frozenset(out)


_DAY_ZH = re.compile(rf"{_N}月\s*(\d{{1,2}})\s*[日号]")
_DAY_EN = re.compile(rf"\b({_MON})\s+(\d{{1,2}})(?:st|nd|rd|th)?\b|\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MON})\b", re.I)


@lru_cache(maxsize=65536)
def days_in(text: str) -> frozenset[tuple[int, int]]:
    """Calendar days named in ``text`` as (month, day): 8月11日, August 11, 11 August."""
    out = set()
    for m in _DAY_ZH.finditer(text):
        out.add((_num(m.group(1)), int(m.group(2))))
    for m in _DAY_EN.finditer(text):
        month = m.group(1) or m.group(4)
        day = m.group(2) or m.group(3)
        out.add((MONTHS_EN.index(month.lower()) + 1, int(day)))
    return frozenset((mo, d) for mo, d in out if 1 <= mo <= 12 and 1 <= d <= 31)


def relative_years(text: str, doc_year: str) -> set[str]:
    """今年 / 去年 / 明年 in a sentence, read against its article's year."""
    if not doc_year.isdigit():
        return set()
    year = int(doc_year)
    out = set()
    for word, delta in (("今年", 0), ("去年", -1), ("上年", -1), ("明年", 1), ("前年", -2), ("this year", 0),
                        ("last year", -1), ("next year", 1)):
        if word in text:
            out.add(str(year + delta))
    return out
