"""The question analysis, against an index of the inline news fixtures."""
from __future__ import annotations

import pytest


@pytest.fixture
def kb(news_kb):
    return news_kb


def analyse(kb, q):
    return kb.engine.retriever.analyse(q)


def test_a_chinese_question(kb):
    a = analyse(kb, "2023年上半年霍尔果斯口岸进出口货运量是多少万吨？")
    assert a.language == "zh" and a.type == "number"
    assert [p.source for p in a.places] == ["霍尔果斯"]
    assert a.years == {"2023"} and a.periods == {(1, 6)} and a.unit == ("吨",)


def test_an_english_question_maps_to_the_corpus_words(kb):
    a = analyse(kb, "How many tonnes of freight did Manzhouli port handle in 2022?")
    assert a.language == "en" and a.type == "number" and a.unit == ("吨",)
    assert any("满洲里" in p.words for p in a.places)
    assert a.years == {"2022"}


@pytest.mark.parametrize("question", ["How much freight did Manzhouli's port handle in 2022?",
                                      "How much freight did Manzhouli’s port handle in 2022?"])
def test_a_possessive_is_part_of_its_name_not_a_word(kb, question):
    a = analyse(kb, question)
    assert [g.source for g in a.groups if g.source.lower() == "s"] == []
    assert any("满洲里" in p.words for p in a.places)


def test_a_name_the_corpus_never_uses_is_an_entity_without_words(kb):
    a = analyse(kb, "How much did Flexport invest in Kashgar?")
    flexport = next(g for g in a.entities if g.source == "Flexport")
    assert "Flexport" in a.unmapped  # looked for as written (articles print Latin names), found nowhere
    assert flexport.words == ("flexport",) and kb.engine.index.bm25.doc_freq("flexport") == 0
    assert any("喀什" in p.words for p in a.places)


def test_types(kb):
    assert analyse(kb, "满洲里副市长是谁？").type == "person"
    assert analyse(kb, "When did the Kashgar zone report its figures?").type == "date"
    assert analyse(kb, "为什么企业物流成本下降？").type == "reason"
    assert analyse(kb, "What are the main imports of Manzhouli?").type == "list"


def test_the_focus_is_the_words_next_to_the_interrogative(kb):
    a = analyse(kb, "满洲里口岸2022年进出口货运量达到多少？")
    assert a.measure == ("货运量",)  # not the verb 达到
    assert "货运量" in [g.source for g in a.focus]
    a = analyse(kb, "喀什综合保税区占地多少平方公里？")
    assert "占地" in [g.source for g in a.focus] and "平方公里" not in [g.source for g in a.focus]
    assert analyse(kb, "满洲里副市长是谁？").to_json()["focus"] == ["市长"]  # the group jieba cuts


def test_a_place_that_starts_like_an_interrogative_is_not_one():
    from rag.search.analysis import _interrogative

    assert _interrogative([("几内亚", "ns"), ("铝土矿", "n"), ("出口", "v"), ("多少", "m"), ("吨", "q")]) == 3
    assert _interrogative([("哪些", "r"), ("企业", "n")]) == 0


@pytest.mark.parametrize("question, period", [("How much freight did Manzhouli handle in Q2 2023?", (4, 6)),
                                              ("How much freight did Manzhouli handle in H1 2023?", (1, 6))])
def test_a_quarter_or_half_written_short_is_a_time_not_terms(kb, question, period):
    a = analyse(kb, question)
    assert a.periods == {period} and a.years == {"2023"}
    assert not [g.source for g in a.groups if g.source.lower() in ("q", "h", "2", "1", "q2", "h1")]

