"""The answer phrase (rag.answer.phrase): the exact source span that answers, found from the question analysis."""
from __future__ import annotations

import pytest

from rag.answer.engine import open_engine


@pytest.fixture(scope="module")
def engine(news_kb):
    return open_engine(news_kb.index_dir)


@pytest.mark.parametrize("question, phrase", [
    ("2023年上半年霍尔果斯口岸进出口货运量达到多少万吨？", "1200万吨"),
    ("喀什综合保税区已入驻多少家企业？", "132家"),
    ("How many tonnes of goods passed through Manzhouli port in 2022?", "1850万吨"),
])
def test_a_number_question_gets_the_figure_with_its_unit(engine, question, phrase):
    answer = engine.ask(question)
    assert answer.answerable, answer.refusal_reason
    short = answer.short_answer
    assert short is not None and short["text"] == phrase
    source = engine.index.doc_text(short["doc_id"])
    assert source[short["start"]:short["end"]] == short["text"]  # an exact span of the article
    assert short["citation"] == 1
    assert short["en"] == ("18.5 million tonnes" if question.startswith("How") else None)


def test_the_figure_the_question_already_gives_is_not_the_answer(engine):
    short = engine.ask("霍尔果斯口岸7月份出入境的中欧班列达到多少列？").short_answer
    assert short is not None and short["text"] == "680列"


def test_a_refusal_has_no_phrase_and_the_json_carries_the_field(engine):
    answer = engine.ask("霍尔果斯口岸2023年上半年接待了多少游客？")
    data = answer.to_json()
    assert "short_answer" in data
    if not answer.answerable:
        assert data["short_answer"] is None
