"""Chinese numerals as numbers (rag.text.numerals) and where questions use them."""
from __future__ import annotations

import pytest

from rag.text.numerals import zh_number
from rag.text.timeexpr import months_in, periods_in
from rag.text.tokenize import arabic_percentages


@pytest.mark.parametrize("text, value", [("八十", 80), ("十五", 15), ("一百零五", 105), ("两", 2), ("零点五", 0.5),
                                         ("12", 12)])
def test_zh_number_reads_numerals_and_digits(text, value):
    assert zh_number(text) == value


@pytest.mark.parametrize("text", ["", "口岸", "八十吨"])
def test_zh_number_is_none_for_words(text):
    assert zh_number(text) is None


def test_percentages_and_months_written_in_characters():
    assert arabic_percentages("增速达百分之十五点五，占百分之一百零五") == "增速达15.5%，占105%"
    assert months_in("十二月和两月") == {2, 12}
    assert periods_in("前十一个月") == {(1, 11)}
