"""The question path (rag.answer.engine): any text asked gets an answer, a refusal with its reason, or an
InvalidQueryError — never another exception. Property-based (hypothesis), bounded in ``make test``."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.answer.engine import open_engine
from rag.errors import InvalidQueryError

_CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
_CHARS = st.one_of(_CJK, st.sampled_from(list("年月日万亿吨列元%口岸班列货运量进出口增长多少哪里什么时候？?，。 0123456789")))
_WORDS = st.sampled_from(["霍尔果斯", "满洲里", "2023年", "上半年", "口岸", "货运量", "多少", "How many", "trains",
                          "What", " in ", "?", "\x00", "\u200b", "<script>", "'; DROP TABLE"])
QUESTIONS = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=_CHARS, max_size=120),
    st.lists(st.one_of(_WORDS, _CHARS), max_size=40).map("".join),
    st.text(alphabet=_CHARS, min_size=900, max_size=1500),  # over the length limit
)


@pytest.fixture(scope="module")
def engine(news_kb):
    return open_engine(news_kb.index_dir)


@settings(max_examples=settings.default.max_examples * 3 // 5)  # ~0.3 s each: 30 in make test
@given(question=QUESTIONS)
def test_any_question_gets_an_answer_or_a_clear_error(engine, question):
    try:
        answer = engine.ask(question)
    except InvalidQueryError as exc:
        assert exc.message
        return
    data = answer.to_json()
    if answer.answerable:
        assert data["citations"] and all(c["text"] for c in data["citations"])
    else:
        assert data.get("refusal_reason")


@settings(max_examples=settings.default.max_examples * 3 // 5)
@given(question=QUESTIONS)
def test_any_query_searches_or_fails_with_a_clear_error(engine, question):
    try:
        hits = engine.search(question)
    except InvalidQueryError:
        return
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
