"""English renderings of Chinese figures and dates (rag.text.english): exact, or None."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rag.text.english import MULTIPLIERS, render_en


@pytest.mark.parametrize("zh, en", [
    ("7.83万亿元", "7.83 trillion yuan"), ("2.3万列", "23,000 trains"), ("1207万单", "12.07 million orders"),
    ("10-15万辆", "100,000–150,000 vehicles"), ("61.62亿元", "6.162 billion yuan"), ("9万标箱", "90,000 TEU"),
    ("超过150家", "more than 150 companies"), ("12.7%", "12.7%"), ("0.5个百分点", "0.5 percentage points"),
    ("第18位", "18th"), ("2025年6月", "June 2025"), ("2025年6月18日", "18 June 2025"), ("1680列", "1,680 trains"),
    ("三项", "3 items"), ("近两天", "nearly 2 days"), ("第三", "3rd"), ("70%以上", "more than 70%"),
    ("100万元左右", "about 1 million yuan"), ("不超过60公里", "no more than 60 km"), ("14批次", "14 batches"),
    ("2024年底", "end of 2024"), ("2024年3月下旬", "late March 2024"), ("9月7日凌晨", "7 September, early morning"),
    ("2024年1-5月", "January–May 2024"), ("3至8月", "March–August"), ("16GWh", "16 GWh"), ("6个月", "6 months"),
    ("今年9月底前", "by the end of September this year"), ("去年6月", "June last year"), ("6月15日前", "before 15 June"),
    ("2025年底前", "by the end of 2025"), ("2300万美元至2600万美元之间", "between 23 million and 26 million US dollars"),
])
def test_figures_and_dates_render_exactly(zh, en):
    assert render_en(zh) == en


@pytest.mark.parametrize("zh", ["霍尔果斯口岸", "50余匹", "2025年13月", "约", "10亿元-15万吨",
                                "2024年底6月", "5-3月", "15万辆之间", "2024年3月下旬5日", "第二十一点五", "约100万元左右"])
def test_what_is_not_a_safe_figure_renders_as_none(zh):
    assert render_en(zh) is None


_SCALE = {"trillion": 10**12, "billion": 10**9, "million": 10**6, None: 1}
_EN_NUMBER = re.compile(r"([\d,]+(?:\.\d+)?)(?: (trillion|billion|million))?")


def _value(en: str) -> Decimal:
    m = _EN_NUMBER.match(en)
    return Decimal(m.group(1).replace(",", "")) * _SCALE[m.group(2)]


@given(number=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999"), places=2),
       mult=st.sampled_from(["", *MULTIPLIERS]), unit=st.sampled_from(["元", "吨", "列", "辆", "标箱", "%"]))
def test_converting_back_gives_the_same_value(number, mult, unit):
    zh = f"{number}{mult}{unit}"
    en = render_en(zh)
    assert en is not None
    assert _value(en) == number * MULTIPLIERS.get(mult, 1)


@given(low=st.integers(1, 999), high=st.integers(1, 999), mult=st.sampled_from(["万", "亿", "万亿"]))
def test_a_range_shares_the_multiplier_of_its_second_figure(low, high, mult):
    en = render_en(f"{low}-{high}{mult}辆")
    first, second = en.removesuffix(" vehicles").split("–")
    assert _value(first) == low * MULTIPLIERS[mult] and _value(second) == high * MULTIPLIERS[mult]


@pytest.mark.parametrize("text, english", [("60余项", "more than 60 items"), ("3000多家", "more than 3,000 companies"),
                                           ("8.9万余名", "more than 89,000 people"), ("22场", "22 events")])
def test_more_than_written_before_the_measure_word(text, english):
    assert render_en(text) == english


@given(number=st.integers(1, 99), unit=st.sampled_from(["项", "家", "台", "天"]))
def test_numbers_in_characters_convert_back_to_the_same_value(number, unit):
    import cn2an

    zh = cn2an.an2cn(number) + unit
    assert _value(render_en(zh)) == number
