"""Figures and dates in a Chinese sentence, for the answer phrase and its English.

General Chinese number writing only: digits with a multiplier and a unit (3.2亿元), numbers in characters with
a measure word (两个, 三项), hedges (超过, 约), date expressions (2025年6月18日, 11月底前) and the noun a measure
word counts (56个国家).
"""
from __future__ import annotations

import re

from rag.text.english import QUALIFIERS, TIMES_OF_DAY
from rag.text.tokenize import posseg
from rag.text.units import FIGURE, ZH_UNITS

_DAYTIME = "|".join(sorted(TIMES_OF_DAY, key=len, reverse=True))
DATE = re.compile(rf"(?:(?:(?:19|20)\d\d年|今年|去年|明年|当年)?\d{{1,2}}月(?:\d{{1,2}}[日号])?(?:上旬|中旬|下旬|底|初|末)?|(?:19|20)\d\d年(?:底|初|末)?"
                  rf"|\d{{1,2}}[日号])(?:{_DAYTIME})?(?:前|以前)?")
HEDGE = re.compile(rf"(?:{'|'.join(sorted(QUALIFIERS, key=len, reverse=True))})\s*$")  # 超过, 约, 不足 …
# measure words that count things: the thing counted follows them (56个国家, 7台智能吊机) and belongs to
# the phrase; units of money, mass, rate or time name the quantity themselves
COUNTERS = frozenset("个 家 项 台 种 名 位 套 座 所 条 处 款 只 件 艘 辆 批 场 类 架 部 笔 宗 例 张 份 支 根 块 本 首 篇 株 头 户 "
                     "届 期 层 口 枚 颗 粒 棵 匹 盏 间 栋 幢".split())
NOUN_MAX = 10  # characters of the counted noun kept after the measure word
# measure words the phrase reads beside the shared unit table (rag.text.units, which the analysis uses too)
_MORE_UNITS = re.compile(r"\s*(?:多|余)?\s*(周年|枚|颗|粒|棵|匹|盏|间|所|栋|幢|艘次)")
ZH_DIGITS = "零一二三四五六七八九十百千两"
_ZH_FIGURE = re.compile(rf"(?<![\d.{ZH_DIGITS}])((?:数|几)?[{ZH_DIGITS}]+)(多|余)?"
                        rf"({'|'.join(map(re.escape, ZH_UNITS))})")


def zh_figures(sentence: str) -> list[tuple[int, int, str, str, str]]:
    """(start, end, number, multiplier, unit) of every figure; numbers written in characters (两个, 三项) only
    with a unit after them."""
    out = []
    for m in FIGURE.finditer(sentence):
        unit, end = m.group(3) or "", m.end()
        more = _MORE_UNITS.match(sentence, m.end(2) if m.group(2) is not None else m.end(1))
        if more and len(more.group(1)) > len(unit):  # 96周年, not 96周; 53枚
            unit, end = more.group(1), more.end()
        out.append((m.start(), end, m.group(1), m.group(2) or "", unit))
    for m in _ZH_FIGURE.finditer(sentence):
        if not any(s <= m.start() < e for s, e, *_ in out):
            out.append((m.start(), m.end(), m.group(1), "", m.group(3)))
    return sorted(out)


def counted_noun(text: str) -> int:
    """Length of the noun right after a measure word (智能吊机 in 7台智能吊机,实现…; 国家(商品)馆), 0 when none
    follows."""
    length, end = 0, 0
    for word, flag in posseg(text):
        # a noun phrase may hold a bracket (国家(商品)馆) or a bound morpheme jieba leaves alone (视联网)
        inside = flag.startswith("n") or flag == "vn" or word in "()（）" or len(word) == 1 and flag in ("vg", "ng", "b")
        if not inside or length + len(word) > NOUN_MAX:
            break
        length += len(word)
        if flag.startswith("n"):
            end = length
    return end
