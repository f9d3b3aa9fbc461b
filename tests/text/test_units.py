"""Units an answer carries, read from the question (rag.text.units)."""
from __future__ import annotations

import pytest

from rag.text.units import DURATION, en_unit, zh_unit


@pytest.mark.parametrize("question", ["东南亚水果从曼谷运到喀什，路上要多久？", "满洲里到莫斯科的班列需要多长时间？"])
def test_a_chinese_question_about_a_length_of_time(question):
    assert zh_unit(question) == DURATION


@pytest.mark.parametrize("question", ["How long does the train from Horgos to Almaty take?",
                                      "How quickly can the battery be charged?"])
def test_an_english_question_about_a_length_of_time(question):
    assert en_unit(question) == DURATION


def test_a_length_is_not_a_time_and_other_units_stay():
    assert en_unit("How long is the railway from Kashgar to Osh, in km?") != DURATION
    assert zh_unit("满洲里口岸货运量是多少万吨？") == ("吨",)
    assert en_unit("How many tonnes did Manzhouli handle?") == ("吨",)
