"""Enumerations in a clause (rag.answer.enumeration) and their English."""
from __future__ import annotations

import pytest

from rag.answer.enumeration import enumeration, list_en


@pytest.mark.parametrize("clause, items", [
    ("初步建成以新材料、新能源、装备制造、现代农业为主的四大产业集群", "新材料、新能源、装备制造、现代农业"),
    ("推动东湖、西岭、南台、北坡各组团特色化发展", "东湖、西岭、南台、北坡"),
    ("与云岭第一医院、云岭妇幼保健院、云岭中医院合作办医", "云岭第一医院、云岭妇幼保健院、云岭中医院"),
    ("三个街道和东湖、西岭两个镇", "三个街道和东湖、西岭两个镇"),
    ("即发展电子信息、消费品、新能源及新型储能3个主导产业集群", "电子信息、消费品、新能源及新型储能"),
])
def test_the_run_of_items_without_the_words_that_open_and_close_it(clause, items):
    span = enumeration(clause)
    assert span is not None and clause[span[0]:span[1]] == items


def test_a_clause_without_a_list_has_none_and_a_list_closed_by_deng_is_cut_there():
    assert enumeration("全年新增企业120家，增长12%") is None
    clause = "推进巡查、抽检、公示等监管制度"
    span = enumeration(clause)
    assert clause[span[0]:span[1]] == "巡查、抽检、公示"


def test_a_list_of_names_and_terms_renders_item_by_item():
    assert list_en("推动东湖、西岭、南台各组团特色化发展").count(",") == 1
    assert list_en("新材料、新能源和装备制造") == "new material, new energy and equipment manufacture"
    assert list_en("全年新增企业120家") is None


def test_a_list_is_rendered_only_for_a_question_that_asks_for_several_things():
    from rag.answer.enumeration import asks_list
    from rag.search.analysis import QuestionAnalysis

    def asked(text: str) -> bool:
        return asks_list(QuestionAnalysis(text, "en", (), (), ()))

    assert asked("What measures will the bureau take?") and asked("Which fighter jets took part?")
    assert not asked("What is the theme of the expo?") and not asked("Who signed the agreement?")


def test_which_with_a_number_asks_for_several_things():
    from rag.answer.enumeration import WHICH

    assert WHICH.search("哪三项指标排第一") and WHICH.search("哪两条通道") and WHICH.search("哪几家医院")
    assert not WHICH.search("哪一天开通")
