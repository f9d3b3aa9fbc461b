"""Places named in a question: the two districts the articles cover, their cities, and places they do not cover."""
from __future__ import annotations

import re

from .tokenize import normalize

PLACES = {
    "青白江": ("青白江", "qingbaijiang", "成都国际铁路港", "城厢", "chengdu international railway port"),
    "江津": ("江津", "jiangjin", "珞璜", "luohuang", "小南垭", "xiaonanya", "双福", "德感", "白沙", "几江"),
    "成都": ("成都", "chengdu"), "重庆": ("重庆", "chongqing"),
}
CITY_OF = {"青白江": "成都", "江津": "重庆"}
DISTRICT_OF = {"青白江": "青白江", "成都": "青白江", "江津": "江津", "重庆": "江津"}  # the side a place is on

# Places the articles are not about: naming one is a hard constraint the evidence must meet.
OTHER_PLACES = {
    "两江新区": ("两江新区", "liangjiang"), "涪陵": ("涪陵", "fuling"), "德阳": ("德阳", "deyang"),
    "果园港": ("果园港", "guoyuan"), "江北": ("江北", "jiangbei"), "渝北": ("渝北", "yubei"),
    "万州": ("万州", "wanzhou"), "永川": ("永川", "yongchuan"), "璧山": ("璧山", "bishan"),
    "合川": ("合川", "hechuan"), "綦江": ("綦江", "qijiang"), "九龙坡": ("九龙坡", "jiulongpo"),
    "沙坪坝": ("沙坪坝", "shapingba"), "巴南": ("巴南", "banan"), "北碚": ("北碚", "beibei"),
    "长寿": ("长寿", "changshou"), "天府新区": ("天府新区", "tianfu"), "双流": ("双流", "shuangliu"),
    "郫都": ("郫都", "pidu"), "温江": ("温江", "wenjiang"), "新都": ("新都", "xindu"),
    "龙泉驿": ("龙泉驿", "longquanyi"), "绵阳": ("绵阳", "mianyang"), "宜宾": ("宜宾", "yibin"),
    "泸州": ("泸州", "luzhou"), "自贡": ("自贡", "zigong"), "西安": ("西安", "xi'an"),
    "郑州": ("郑州", "zhengzhou"), "武汉": ("武汉", "wuhan"), "义乌": ("义乌", "yiwu"),
    "上海": ("上海", "shanghai"), "北京": ("北京", "beijing"), "广州": ("广州", "guangzhou"),
    "昆明": ("昆明", "kunming"), "贵阳": ("贵阳", "guiyang"), "南宁": ("南宁", "nanning"),
    "钦州": ("钦州", "qinzhou"), "兰州": ("兰州", "lanzhou"), "承德": ("承德", "chengde"),
}


PLACE_KEYS = frozenset(k for keys in PLACES.values() for k in keys)  # every spelling of the four places


def in_place_name(token: str) -> bool:
    """``token`` is (part of) a name of the districts or their cities: 青白, 江津, qingbaijiang."""
    return any(token in key for key in PLACE_KEYS)


def question_places(question: str) -> set[str]:
    q = normalize(question)
    return {name for name, keys in PLACES.items() if any(k in q for k in keys)}


def foreign_places(question: str) -> set[str]:
    q = normalize(question)
    return {name for name, keys in OTHER_PLACES.items() if any(k in q for k in keys)}



_OTHER_LATIN = frozenset(k for keys in OTHER_PLACES.values() for k in keys if k.isascii())
_LATIN_KEYS = sorted({k for keys in PLACES.values() for k in keys if k.isascii() and " " not in k and len(k) >= 6})


def correct_place_spelling(text: str) -> str:
    """"Jiangjing", "Qingbaijang", "Luohaung" → the district's spelling (one letter off: added, missing,
    changed or two swapped); a misspelt place would otherwise match nothing."""
    def fix(m: re.Match) -> str:
        word = m.group(0).lower()
        if word in _LATIN_KEYS or word in _OTHER_LATIN:
            return m.group(0)
        return next((k for k in _LATIN_KEYS if _one_edit(word, k)), m.group(0))
    return re.sub(r"[A-Za-z]{6,}", fix, text)


def _one_edit(a: str, b: str) -> bool:
    """``a`` and ``b`` differ by one insertion, deletion, substitution or swap of neighbours."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    i = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    if len(a) == len(b):
        return a[i + 1:] == b[i + 1:] or (a[i + 1:i + 2] == b[i:i + 1] and a[i:i + 1] == b[i + 1:i + 2]
                                          and a[i + 2:] == b[i + 2:])
    return a[i + 1:] == b[i:] if len(a) > len(b) else a[i:] == b[i + 1:]
