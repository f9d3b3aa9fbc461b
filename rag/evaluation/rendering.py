"""Whether an English rendering holds the key fact: the ``phrase_en`` metric of ``rag eval``.

Definition ("holds the figure"). A rendering ``en`` of the answer phrase holds a key (one string of a
question's ``answer`` list) when ``en`` is not None and

- the key has figures or date parts: every one of them is written in ``en``. A figure's value is its
  digits times its multiplier (``2.3万列`` = 23000, ``10-15万辆`` = 100000 and 150000: the first end of a
  range shares the second's multiplier; ``第三`` and ``三个`` = 3 through the Chinese numerals); ``en`` writes
  it as digits with thousands commas and an optional million/billion/trillion (``23,000``, ``12.07 million``,
  ``18th`` = 18). A year (``2025年``) must appear as its digits, a month (``6月``) as its English name, a
  day (``18日``) as its number. Values are compared exactly (:class:`decimal.Decimal`).
- the key has neither (a name, a term): the phrase that was rendered holds the key (``contains_key``);
  the rendering of a span holding a name is that name in English (rag.index.english_names), which has
  no exact reference to compare with.

A question counts as held when any of its keys is held; the rate is taken over answered English
questions, so a null rendering counts as a miss.
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from rag.evaluation.evalset import contains_key
from rag.text.english import MONTHS
from rag.text.numerals import zh_number
from rag.text.units import FIGURE, MULTIPLIERS, RANGE_DASH, ZH_UNITS

_DATE_PART = re.compile(r"(?<![\d.])(?:(?P<y>(?:19|20)\d\d)年|(?P<m>\d{1,2})月(?:份)?|(?P<d>\d{1,2})[日号])")
_ZH_DIGITS = "零一二三四五六七八九十百千两"
_ZH_UNIT = "|".join(re.escape(u) for u in ZH_UNITS)
_ZH_NUMERAL = re.compile(rf"第([{_ZH_DIGITS}]+)|([{_ZH_DIGITS}]+)(?=\s*(?:{_ZH_UNIT}))")
_EN_VALUE = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?:\s*(trillion|billion|million))?")
_SCALE = {"trillion": 10**12, "billion": 10**9, "million": 10**6}
_RANGE_START = re.compile(rf"^\s*{RANGE_DASH}\s*$")


def en_values(en: str) -> set[Decimal]:
    """The numbers written in an English rendering: ``"100,000–150,000 vehicles"`` → {100000, 150000}."""
    out = set()
    for m in _EN_VALUE.finditer(en):
        value = Decimal(m.group(1).replace(",", "") + (m.group(2) or ""))
        out.add((value * _SCALE.get(m.group(3) or "", 1)).normalize())
    return out


def key_parts(key: str) -> tuple[set[Decimal], set[str]]:
    """(figure values, date words) of a key: ``"2025年6月18日"`` → (∅, {"2025", "June", "18"}),
    ``"10-15万辆"`` → ({100000, 150000}, ∅)."""
    dates: set[str] = set()
    for m in _DATE_PART.finditer(key):
        if m.group("y"):
            dates.add(m.group("y"))
        elif m.group("m") and 1 <= int(m.group("m")) <= 12:
            dates.add(MONTHS[int(m.group("m")) - 1])
        elif m.group("d"):
            dates.add(str(int(m.group("d"))))
    rest = _DATE_PART.sub(" ", key)
    values: set[Decimal] = set()
    found = list(FIGURE.finditer(rest))
    for i, m in enumerate(found):
        try:
            number = Decimal(m.group(1).replace(",", ""))
        except InvalidOperation:
            continue
        mult = MULTIPLIERS.get(m.group(2) or "", 0)
        if not mult:  # 10-15万辆: the first end takes the multiplier of the second
            nxt = found[i + 1] if i + 1 < len(found) else None
            between = rest[m.end():nxt.start()] if nxt else ""
            mult = MULTIPLIERS.get(nxt.group(2) or "", 1) if nxt and _RANGE_START.match(between) else 1
        values.add((number * mult).normalize())
    for m in _ZH_NUMERAL.finditer(rest):
        value = zh_number(m.group(1) or m.group(2))
        if value is not None:
            values.add(Decimal(str(value)).normalize())
    return values, dates


def holds_key(en: str | None, phrase: str, keys: list[str]) -> bool:
    """Whether the rendering ``en`` of ``phrase`` holds one of ``keys`` (see the module docstring)."""
    if not en:
        return False
    written = en_values(en)
    words = set(re.findall(r"[A-Za-z]+|\d+", en))
    for key in keys:
        values, dates = key_parts(key)
        if values or dates:
            if values <= written and dates <= words:
                return True
        elif contains_key(phrase, [key]):
            return True
    return False
