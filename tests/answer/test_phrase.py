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


def _question(qtype: str, focus: tuple[str, ...] = (), unit: tuple[str, ...] = (), text: str = "问题"):
    from rag.search.analysis import QuestionAnalysis, TermGroup

    groups = tuple(TermGroup(w, (w,), 1.0) for w in focus)
    return QuestionAnalysis(text, "zh", groups, (), (), type=qtype, unit=unit, measure=focus[:1], focus=groups)


def _phrase(a, sentence: str) -> str | None:
    from rag.answer.phrase import _find

    span = _find(a, sentence)
    return sentence[span[0]:span[1]] if span else None


def test_the_figure_nearest_the_focus_word_in_its_own_clause():
    a = _question("number", ("产能",))
    assert _phrase(a, "喀什公司新征地325亩、总投资18亿元的项目，建成后将新增20万吨年产能。") == "20万吨"


def test_a_date_question_that_also_counts_gets_the_date_and_never_a_piece_of_it():
    a = _question("date", ("举行",), unit=("个",))
    assert _phrase(a, "满洲里6月5日举行集中开工活动，涉及项目103个。") == "6月5日"
    b = _question("number", ("开工",))
    assert _phrase(b, "6月5日，霍尔果斯集中开工项目共计103个。") == "103个"


def test_the_speaker_is_the_name_before_the_verb_of_speech():
    a = _question("person", ("副总裁",), text="那位副总裁叫什么名字")
    assert _phrase(a, "北极星集团副总裁、雪松供应链公司总经理王海涛表示。") == "王海涛"


def test_a_list_question_gets_the_clause_that_enumerates():
    a = _question("list", ("组团",))
    sentence = "喀什着力打造一流园区组团，推动东城、西城、南城、北城各组团特色化发展。"
    assert _phrase(a, sentence) == "推动东城、西城、南城、北城各组团特色化发展"
