"""English renderings of Chinese figures and dates, exact or not at all.

``7.83万亿元`` → ``7.83 trillion yuan``, ``2.3万列`` → ``23,000 trains``, ``1207万单`` → ``12.07 million
orders``, ``10-15万辆`` → ``100,000–150,000 vehicles``, ``超过150家`` → ``more than 150 companies``,
``2025年6月`` → ``June 2025``. Values are computed with :class:`decimal.Decimal`, so the English
number is exactly the Chinese one. Text that is not a figure or a date of these forms gives None:
the quote stays the answer.
"""
from __future__ import annotations

import re
from decimal import Decimal

from rag.text.numerals import zh_number
from rag.text.units import MULTIPLIERS, RANGE_DASH

# measure words and units: the general ones of economic news, no corpus' own terms
UNITS = {"元": "yuan", "美元": "US dollars", "欧元": "euros", "港元": "Hong Kong dollars", "日元": "yen",
         "吨": "tonnes", "标箱": "TEU", "标准箱": "TEU", "箱": "containers", "列": "trains", "趟": "trains",
         "班": "services", "辆": "vehicles", "台": "units", "艘": "ships", "架次": "flights", "单": "orders",
         "件": "items", "票": "consignments", "家": "companies", "户": "households", "人次": "person-times",
         "人": "people", "名": "people", "位": "people", "项": "items", "个": "", "条": "lines", "座": "",
         "亩": "mu", "公顷": "hectares", "平方公里": "square kilometres", "平方米": "square metres",
         "公里": "km", "千米": "km", "米": "metres", "千瓦时": "kWh", "度": "kWh", "倍": "times",
         "批次": "batches", "辆次": "vehicle trips", "车次": "vehicle trips", "艘次": "ship calls", "班次": "services", "场": "events", "种": "kinds", "批": "batches", "次": "times", "款": "models", "所": "", "处": "",
         "天": "days", "小时": "hours", "分钟": "minutes", "%": "%", "个百分点": "percentage points",
         "个月": "months", "年": "years", "周": "weeks", "秒": "seconds", "岁": "years old", "千瓦": "kW", "兆瓦": "MW",
         "GWh": "GWh", "MWh": "MWh", "kWh": "kWh", "GW": "GW", "MW": "MW", "吉瓦时": "GWh", "立方米": "cubic metres",
         "升": "litres", "公斤": "kg", "千克": "kg", "克": "grams", "英镑": "pounds sterling", "张": "sheets",
         "套": "sets", "株": "plants", "头": "head", "期": "phases", "层": "storeys", "笔": "transactions",
         "枚": "", "颗": "", "粒": "", "棵": "trees", "栋": "buildings", "幢": "buildings"}
QUALIFIERS = {"超过": "more than", "超": "more than", "逾": "over", "突破": "over", "均超过": "all over",
              "均超": "all over", "近": "nearly", "接近": "nearly", "将近": "nearly", "约": "about",
              "大约": "about", "不足": "less than", "不到": "less than", "不超过": "no more than",
              "不低于": "at least", "不少于": "at least", "至少": "at least", "最高": "up to", "高达": "as much as"}
# after a figure: 70%以上 is "more than 70%", 100万元左右 "about 1 million yuan"
SUFFIXES = {"以上": "more than", "左右": "about", "以下": "at most", "以内": "within", "之间": "between"}
TIMES_OF_DAY = {"凌晨": "early morning", "早上": "morning", "上午": "morning", "中午": "noon", "下午": "afternoon",
                "傍晚": "evening", "晚上": "evening", "晚间": "evening"}
_PARTS_OF_MONTH = {"上旬": "early", "初": "early", "中旬": "mid-", "下旬": "late", "底": "late", "末": "late"}
_PARTS_OF_YEAR = {"初": "early", "年初": "early", "底": "end of", "年底": "end of", "末": "end of", "年末": "end of",
                  "年中": "mid-"}
RELATIVE_YEARS = {"今年": "this year", "去年": "last year", "明年": "next year", "当年": "that year"}
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")

_NUM = r"\d+(?:\.\d+)?"
_ZH_NUM = "[零一二三四五六七八九十百千两]+"
_MULT = "|".join(sorted(MULTIPLIERS, key=len, reverse=True))
_UNIT = "|".join(re.escape(u) for u in sorted(UNITS, key=len, reverse=True))
_QUAL = "|".join(sorted(QUALIFIERS, key=len, reverse=True))
_SUFFIX = "|".join(SUFFIXES)
_FIGURE = re.compile(rf"^(?P<qual>{_QUAL})?(?P<ord>第)?(?P<a>{_NUM}|{_ZH_NUM})(?P<am>{_MULT})?(?P<over>多|余)?(?P<au>{_UNIT})?"
                     rf"(?:\s*{RANGE_DASH}\s*(?P<b>{_NUM})(?P<bm>{_MULT})?(?P<bu>{_UNIT})?)?"
                     rf"(?P<more>多|余)?(?P<suffix>{_SUFFIX})?$")
_DAYTIME = "|".join(sorted(TIMES_OF_DAY, key=len, reverse=True))
_DATE = re.compile(rf"^(?:(?P<y>(?:19|20)\d\d)年(?P<yp>年中|初|底|末)?|(?P<rel>{'|'.join(RELATIVE_YEARS)}))?"
                   rf"(?:(?P<m>\d{{1,2}})月(?:(?P<d>\d{{1,2}})[日号])?(?P<mp>上旬|中旬|下旬|初|底|末)?)?(?P<t>{_DAYTIME})?"
                   rf"(?P<by>前|以前)?$")
_MONTH_RANGE = re.compile(rf"^(?:(?P<y>(?:19|20)\d\d)年)?(?P<m1>\d{{1,2}})月?\s*{RANGE_DASH}\s*(?P<m2>\d{{1,2}})月$")


def number_en(value: Decimal) -> str:
    """23000 → "23,000"; 12070000 → "12.07 million"; 7830000000000 → "7.83 trillion"."""
    for scale, word in ((10**12, "trillion"), (10**9, "billion"), (10**6, "million")):
        if abs(value) >= scale:
            return f"{_plain(value / scale)} {word}"
    return _plain(value, group=True)


def _plain(value: Decimal, group: bool = False) -> str:
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if group:
        whole, _, frac = text.partition(".")
        text = f"{int(whole):,}" + (f".{frac}" if frac else "")
    return text


def render_en(text: str) -> str | None:
    """The English for a Chinese figure or date written as in the articles, or None."""
    text = text.strip()
    m = _DATE.match(text)
    if m and (m.group("y") or m.group("m")) and not (m.group("yp") and m.group("m")) \
            and not (m.group("by") and m.group("t")):
        return _date_en(m)
    m = _MONTH_RANGE.match(text)
    if m:
        first, last = int(m.group("m1")), int(m.group("m2"))
        if not 1 <= first < last <= 12:
            return None
        return f"{MONTHS[first - 1]}–{MONTHS[last - 1]}" + (f" {m.group('y')}" if m.group("y") else "")
    m = _FIGURE.match(text)
    if not m:
        return None
    if not m.group("a")[0].isdigit():
        if m.group("b") or not (m.group("au") or m.group("ord")):
            return None  # a number in characters is read only as a count or a rank (三项, 第三)
        value = zh_number(m.group("a"))
        if value is None or value != int(value):
            return None
        return render_en(text.replace(m.group("a"), str(int(value)), 1))
    unit_b = m.group("bu")
    unit = m.group("au") or unit_b or ""
    if m.group("au") and unit_b and m.group("au") != unit_b:
        return None  # two different units: not a range we can read safely
    mult_b = MULTIPLIERS.get(m.group("bm") or "", 1)
    mult_a = MULTIPLIERS.get(m.group("am") or "", 0) or (mult_b if m.group("b") and not m.group("au") else 1)
    first = Decimal(m.group("a")) * mult_a
    if m.group("ord"):
        if m.group("b") or mult_a != 1:
            return None
        return _ordinal(int(first)) if first == int(first) else None
    words = number_en(first)
    if m.group("b"):
        words += "–" + number_en(Decimal(m.group("b")) * mult_b)
    unit_en = UNITS.get(unit, "")
    if unit in ("%",):
        words += "%"
    elif unit_en:
        words += f" {unit_en}"
    if m.group("more") or (m.group("over") and not m.group("b")):
        words = "more than " + words
    if m.group("qual"):
        words = f"{QUALIFIERS[m.group('qual')]} {words}"
    if m.group("suffix"):
        if m.group("qual") or m.group("more") or m.group("over"):
            return None
        if m.group("suffix") == "之间":  # 10万至15万辆之间: between the two ends of a range
            if not m.group("b"):
                return None
            return "between " + words.replace("–", " and ", 1)
        words = f"{SUFFIXES[m.group('suffix')]} {words}"
    return words


def _date_en(m: re.Match) -> str | None:
    year, month, day = m.group("y"), m.group("m"), m.group("d")
    if month and not 1 <= int(month) <= 12 or day and not 1 <= int(day) <= 31:
        return None
    if m.group("mp") and day:
        return None
    parts = []
    if day:
        parts.append(str(int(day)))
    if month:
        parts.append(MONTHS[int(month) - 1])
    if year:
        parts.append(year)
    text = " ".join(parts)
    part = m.group("yp") or m.group("mp")
    if part:
        prefix = (_PARTS_OF_YEAR if m.group("yp") else _PARTS_OF_MONTH)[part]
        text = f"{prefix}{text}" if prefix.endswith("-") else f"{prefix} {text}"
    if m.group("rel"):
        text += f" {RELATIVE_YEARS[m.group('rel')]}"
    if m.group("t"):
        text += f", {TIMES_OF_DAY[m.group('t')]}"
    if m.group("by"):  # 9月底前: by the end of September; 6月15日前: before 15 June
        if m.group("mp") in ("底", "末") or m.group("yp") in ("底", "末", "年末"):
            text = f"by the end of {text.removeprefix('late ').removeprefix('end of ')}"
        else:
            text = f"before {text}"
    return text


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
