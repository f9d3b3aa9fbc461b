"""English for names an answer gives (rag.index.english_names): CC-CEDICT proper nouns, else pinyin."""
from __future__ import annotations

import pytest

from rag.index.english_names import name_en


@pytest.mark.parametrize("name, kind, english", [
    ("王海涛", "person", "Wang Haitao"),  # a person: surname, then given name, in pinyin
    ("秘鲁", "place", "Peru"),  # CC-CEDICT's short gloss
    ("喀什", "place", "Kashgar"),  # the first of its alternatives
    ("满洲里", "place", "Manzhouli"),
    ("哈萨克斯坦", "place", "Kazakhstan"),
    ("北极星物流有限公司", "org", "North Star Logistics Co., Ltd."),  # name parts translated
])
def test_names(name, kind, english):
    assert name_en(name, kind) == english


def test_what_is_not_a_chinese_name_gets_none():
    assert name_en("Flexport", "org") is None
    assert name_en("满洲里口岸进出口货运量达1850万吨，同比增长", "org") is None


def test_a_term_is_glossed_word_by_word_and_latin_pieces_stay_whole():
    from rag.index.english_names import gloss_en

    assert gloss_en("装备制造") == "equipment manufacture"
    assert gloss_en("新能源") == "new energy"  # two listed pieces of a word CC-CEDICT lacks
    assert gloss_en("C-130H运输机").startswith("C-130H ")
    assert gloss_en("ABC") is None and gloss_en("很长" * 13) is None


def test_a_count_or_a_rank_in_a_term_is_written_in_digits():
    from rag.index.english_names import gloss_en

    assert gloss_en("五个街道").startswith("5 ")
    assert "2nd" in gloss_en("东湖市第二人民医院")


def test_a_name_written_with_a_middle_dot_is_rendered_part_by_part():
    assert name_en("马尔科·维奇", "person") == "Maerke Weiqi"


def test_a_gloss_never_passes_a_common_word_off_as_a_name():
    from rag.index.english_names import gloss_en

    assert gloss_en("装备制造") == "equipment manufacture"
    assert gloss_en("图们口岸") == "Tumen Port"  # a place name in pinyin is fine
    assert gloss_en("都市农业") == "city agriculture"  # 都市 is a word, whatever jieba tags it
    assert gloss_en("嗯嗯啊啊式发展") is None  # no dictionary renders 嗯嗯啊啊式: no pinyin pretending to be English
