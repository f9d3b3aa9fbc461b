"""Cited answers and refusals over the inline news fixtures (places and names no seed article has)."""
from __future__ import annotations

import pytest

from fixtures_news import HORGOS


@pytest.fixture
def kb(news_kb):
    return news_kb


def cited_exactly(kb, answer) -> None:
    for c in answer.citations:
        assert kb.engine.index.doc_text(c.doc_id)[c.start:c.end] == c.text


def test_a_chinese_figure_is_answered_and_cited_at_its_span(kb):
    answer = kb.ask("2023年上半年霍尔果斯口岸进出口货运量是多少？")
    assert answer.answerable and "1200万吨" in answer.answer
    assert answer.citations[0].doc_id == "horgos"
    cited_exactly(kb, answer)
    assert 0 < answer.confidence <= 1 and answer.analysis["places"] == ["霍尔果斯"]


def test_the_place_asked_picks_its_own_figure(kb):
    answer = kb.ask("满洲里口岸2022年进出口货运量达到多少？")
    assert answer.answerable and "1850万吨" in answer.answer
    assert answer.citations[0].doc_id == "manzhouli"
    cited_exactly(kb, answer)


def test_an_english_question_is_answered_from_the_chinese_article(kb):
    answer = kb.ask("How many tonnes of freight did Manzhouli port handle in 2022?")
    assert answer.answerable and "1850万吨" in answer.answer
    cited_exactly(kb, answer)


def test_a_question_about_something_no_article_names_is_refused_with_a_reason(kb):
    answer = kb.ask("How much did Flexport invest in Kashgar?")
    assert not answer.answerable and answer.citations == []
    assert answer.refusal_reason and answer.related
    assert answer.to_json()["refusal_reason"] == answer.refusal_reason


@pytest.mark.parametrize("question", ["How far is Mars from the Sun?", "如何用Excel做数据透视表？",
                                      "怎样给猫剪指甲？", "Who painted the Mona Lisa?"])
def test_a_question_no_news_answers_is_refused(kb, question):
    answer = kb.ask(question)
    assert not answer.answerable and answer.refusal_reason


def test_captions_are_never_the_answer(kb):
    answer = kb.ask("霍尔果斯海关公布的口岸货运量是多少？")
    assert answer.answerable and "1200万吨" in answer.answer
    assert all("图片来源" not in c.text for c in answer.citations)


def test_one_article_corpus(make_kb):
    kb = make_kb({"horgos.txt": HORGOS})
    answer = kb.ask("7月份经霍尔果斯口岸出入境的中欧班列有多少列？")
    assert answer.answerable and "680列" in answer.answer
    cited_exactly(kb, answer)


def test_a_follow_up_takes_the_place_from_the_question_before(kb):
    history = [{"role": "user", "content": "2022年满洲里口岸进出口货运量是多少？"},
               {"role": "assistant", "content": "…"}]
    answer = kb.ask("那霍尔果斯呢？", history=history)
    assert "霍尔果斯" in answer.query and "满洲里" not in answer.query


def test_bold_marks_the_answer_phrase_only(kb):
    answer = kb.ask("满洲里口岸2022年进出口货运量达到多少？")
    assert answer.answer.count("**") == 2
    assert f"**{answer.short_answer['text']}**" in answer.answer
