"""Units and figures: which units a question's answer carries, and figures with units in a sentence.

General Chinese measure words and their English names; no corpus-specific terms.
"""
from __future__ import annotations

import re

# Chinese units a figure may carry, longest first (亿元 before 元 is handled by the multiplier)
ZH_UNITS = ("个百分点", "平方公里", "平方米", "千瓦时", "标准箱", "标箱", "万人次", "人次", "架次", "辆次", "批次", "车次",
            "艘次", "班次", "个月", "公顷", "公里", "千米",
            "美元", "欧元", "港元", "日元", "英镑", "元", "吨", "箱", "列", "趟", "班", "家", "个", "名", "位", "人", "户",
            "辆", "台", "艘", "架", "项", "件", "条", "座", "所", "亩", "次", "倍", "天", "日", "小时", "分钟", "秒", "周",
            "部", "款", "只", "头", "株", "本", "张", "份", "套", "支", "根", "块", "篇", "首", "场", "届", "期", "批",
            "单", "笔", "起", "宗", "例", "层", "口", "处", "类", "种", "所",
            "年", "岁", "米", "度", "瓦", "GWh", "MWh", "kWh", "GW", "MW", "%", "‰")
MULTIPLIERS = {"万亿": 10**12, "千亿": 10**11, "百亿": 10**10, "十亿": 10**9, "亿": 10**8, "千万": 10**7,
               "百万": 10**6, "十万": 10**5, "万": 10**4, "千": 10**3, "百": 10**2}
_MULT = f"(?:{'|'.join(sorted(MULTIPLIERS, key=len, reverse=True))})?"
NUMBER = r"\d+(?:[.,]\d+)*"
RANGE_DASH = "[-—–~～至到]"  # between the two ends of a range: 10-15万辆, 3万至5万辆, 1月至5月"
FIGURE = re.compile(rf"({NUMBER})\s*({_MULT})\s*(?:多|余|左右)?\s*({'|'.join(map(re.escape, ZH_UNITS))})?", re.I)
HEDGE = re.compile(rf"(?:超过|超|逾|近|约|大约|接近|将近|均超|达到?|以上|左右|多|余)\s*{NUMBER}|{NUMBER}\s*{_MULT}\s*(?:多|余|以上|左右)")

_MONEY = ("元", "美元", "欧元", "港元", "日元", "英镑")
_RATE = ("%", "个百分点", "倍")
_ZH_ASK = re.compile(rf"(?:多少|几)\s*({_MULT})\s*({'|'.join(map(re.escape, ZH_UNITS))})")
_ZH_MONEY = re.compile(r"多少钱|多少资金|投资(?:额)?(?:是|为|达|了)?多少|金额|营收|营业收入|净利润|利润|收入|销售额|成交额|总额|资金|价格|票价|费用|成本|补贴|拨付|估值|市值")
_ZH_RATE = re.compile(r"比例|占比|百分之几|百分比|增速|增幅|涨幅|降幅|增长率|(?:增长|下降|上涨|下跌|提高|降低|回落|减少|增加)(?:了)?多少|几成|同比")
_EN_UNITS = [(r"\b(?:tonnes|tons|tonne|ton)\b", ("吨",)), (r"\b(?:teus?|containers?|boxes)\b", ("标箱", "标准箱", "箱", "个")),
             (r"\btrains?\b|train trips", ("列", "趟", "班")), (r"\b(?:companies|firms|enterprises|businesses|banks)\b", ("家", "个")),
             (r"\b(?:people|persons|workers|employees|visitors|tourists|passengers|residents|students)\b", ("人", "名", "人次", "位")),
             (r"\b(?:vehicles|cars|trucks|buses)\b", ("辆", "台")), (r"\bships?\b|\bvessels?\b", ("艘",)),
             (r"\bflights?\b", ("班", "架次")), (r"\bprojects?\b", ("个", "项")), (r"\b(?:days?)\b", ("天", "日")),
             (r"\bhours?\b", ("小时",)), (r"\bminutes?\b", ("分钟",)), (r"\byears? old\b|\bage\b", ("岁",)),
             (r"\bmu\b", ("亩",)), (r"square (?:meters|metres)", ("平方米",)), (r"square kilomet", ("平方公里",)),
             (r"\bkilomet|\bkm\b", ("公里", "千米")), (r"\bkwh\b|kilowatt", ("千瓦时", "度"))]
DURATION = ("天", "日", "小时", "分钟", "秒", "周")  # the units of a length of time
_ZH_DURATION = re.compile(r"多久|多长时间|多少时间|用时多少|耗时多少|需要多长|几个小时|几分钟")
_EN_DURATION = re.compile(r"how long (?:does|did|do|will|would|is it|was it)\b(?!.*\b(?:km|kilomet|met(?:re|er)s?|miles?)\b)|"
                          r"how long.{0,60}\b(?:take|takes|took|need|needs|last|lasts)\b|how quickly|how much time", re.I)
_EN_MONEY = re.compile(r"how much (?:money|did|does|has|will|was|were|is)|\byuan\b|\bworth\b|contract value|"
                       r"value of the (?:contract|deal|project|investment)|\brmb\b|\bdollars?\b|\binvest|\brevenue|"
                       r"\bprofit|\bcost|\bprice|\bfund|\bsales\b|\bturnover|\bvaluation|\bsubsid|\bfare|\bspen[dt]", re.I)
_EN_RATE = re.compile(r"percent|percentage|\bshare\b|proportion|\brate\b|by how much|how much (?:did|has|had) .{0,60}"
                      r"(?:grow|rise|increase|fall|drop|decline)|growth|year[- ]on[- ]year", re.I)


def zh_unit(question: str) -> tuple[str, ...]:
    """Units the answer to a Chinese question carries: 多少吨 → 吨, 多少钱 → 元, 增速 → %."""
    m = _ZH_ASK.search(question)
    if m:
        unit = m.group(2)
        return _RATE if unit == "%" else (unit,)
    if _ZH_DURATION.search(question):
        return DURATION
    if _ZH_RATE.search(question):
        return _RATE
    if _ZH_MONEY.search(question) and re.search(r"多少|几|多大|多高", question):
        return _MONEY
    return ()


def en_unit(question: str) -> tuple[str, ...]:
    """Units the answer to an English question carries: "how many tonnes" → 吨, "what share" → %."""
    q = question.lower()
    if re.search(r"how many|number of|how much|what (?:is|was) the (?:total|volume|amount)", q):
        for pattern, units in _EN_UNITS:
            if re.search(pattern, q):
                return units
    if _EN_DURATION.search(q):
        return DURATION
    if _EN_RATE.search(q):
        return _RATE
    if _EN_MONEY.search(q) and re.search(r"how much|what (?:is|was|were|are) the|amount|total", q):
        return _MONEY
    return ()


def figures(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, number, unit) of every figure in ``text``; unit is "" when none follows."""
    out = []
    for m in FIGURE.finditer(text):
        out.append((m.start(), m.end(), m.group(1), (m.group(3) or "")))
    return out


def has_unit(text: str, units: tuple[str, ...]) -> bool:
    """A figure in ``text`` carries one of ``units`` (亿元 and 万元 carry 元)."""
    return any(u and any(u == w or w.endswith(u) for w in units) for *_, u in figures(text))
