"""Years, months, days and parts of a year in Chinese and English."""
from __future__ import annotations

import pytest

from rag.text.timeexpr import days_in, months_in, periods_in, relative_years, years_in
from rag.text.units import en_unit, figures, has_unit, zh_unit


@pytest.mark.parametrize("text, periods", [
    ("上半年", {(1, 6)}), ("first half of 2023", {(1, 6)}), ("1-7月", {(1, 7)}), ("1月至5月", {(1, 5)}),
    ("前5个月", {(1, 5)}), ("first five months", {(1, 5)}), ("from january to may", {(1, 5)}),
    ("一季度", {(1, 3)}), ("q2", {(4, 6)}), ("前三季度", {(1, 9)}), ("全年", {(1, 12)}), ("一整年", {(1, 12)}), ("8月", set())])
def test_parts_of_a_year_are_month_ranges(text, periods):
    assert periods_in(text) == periods


def test_single_months_and_days():
    assert months_in("7月份以来") == {7}
    assert months_in("1-7月") == set()  # a range, not two months
    assert months_in("in august") == {8}
    assert days_in("8月11日") == {(8, 11)} and days_in("on august 11, 2023") == {(8, 11)}


def test_years_are_not_counts():
    assert years_in("2023年开行2000列") == {"2023"}
    assert relative_years("去年增长", "2023") == {"2022"}


def test_units_asked():
    assert zh_unit("运了多少万吨") == ("吨",)
    assert "%" in zh_unit("同比增长多少")
    assert "元" in zh_unit("投资多少钱")
    assert en_unit("how many tonnes of freight") == ("吨",)
    assert "%" in en_unit("what share of exports")


def test_figures_and_units_in_a_sentence():
    found = figures("进出口货运量达1200万吨，同比增长15.3%")
    assert [(f[2], f[3]) for f in found] == [("1200", "吨"), ("15.3", "%")]
    assert has_unit("实现进出口额36.8亿元", ("元",)) and not has_unit("入驻企业132家", ("元",))

