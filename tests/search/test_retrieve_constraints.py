"""What the question pins down lifts the passages that meet it: its place, its part of the year, several places."""
from __future__ import annotations

import pytest

from rag.config import RetrievalConfig


@pytest.fixture
def kb(news_kb):
    return news_kb


def test_the_place_asked_comes_first(kb):
    for question, doc in (("满洲里口岸的货运量是多少？", "manzhouli"), ("霍尔果斯口岸的货运量是多少？", "horgos"),
                          ("How much freight did Manzhouli handle?", "manzhouli")):
        assert kb.search(question, k=3)[0].chunk.doc_id == doc, question


def test_the_place_boost_adds_the_share_of_places_met(kb):
    retriever = kb.engine.retriever
    question = "满洲里口岸的货运量是多少？"
    with_boost = {h.chunk.chunk_id: h.score for h in retriever.search(question, k=10, rerank=False)}
    retriever.config.place_boost = 0.0
    try:
        without = {h.chunk.chunk_id: h.score for h in retriever.search(question, k=10, rerank=False)}
    finally:
        retriever.config.place_boost = RetrievalConfig().place_boost
    lifted = {cid for cid in without if with_boost[cid] > without[cid] + 1e-9}
    assert lifted and all(cid.startswith("manzhouli") for cid in lifted)


def test_the_part_of_the_year_asked_comes_first(kb):
    assert kb.search("一季度进出口额是多少？", k=1)[0].chunk.doc_id == "kashgar"


def test_a_question_about_two_places_alternates_them(kb):
    hits = kb.search("比较霍尔果斯和满洲里口岸的货运量", k=2)
    assert {h.chunk.doc_id for h in hits} == {"horgos", "manzhouli"}
