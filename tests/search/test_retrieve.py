"""Retrieval end to end (real model): ranking, exact spans, the LangChain retriever, bad queries."""
from __future__ import annotations

import time

import pytest

from rag.errors import InvalidQueryError
from rag.search.hits import Hit, clean_query
from rag.search.langchain import LangChainRetriever
from rag.search.retrieve import Retriever


def _doc(hit: Hit) -> str:
    return hit.chunk.doc_id[:3]


def test_hits_are_ranked_quoted_exactly_and_carry_metadata(corpus_kb):
    index = corpus_kb.engine.index
    for mode in ("hybrid", "dense", "bm25"):
        hits = corpus_kb.search("成都国际铁路港中欧班列", k=7, mode=mode)
        assert len(hits) == 7, mode
        assert [h.rank for h in hits] == list(range(1, 8))
        assert all(a.score >= b.score for a, b in zip(hits, hits[1:])), mode
        assert len({h.chunk.chunk_id for h in hits}) == 7
        for h in hits:
            assert index.doc_text(h.chunk.doc_id)[h.chunk.start : h.chunk.end] == h.chunk.text
            assert h.doc["doc_id"] == h.chunk.doc_id and h.doc["title"]
            assert "source" not in h.doc  # the whole article is not copied into every hit
            data = h.to_json()
            assert list(data) == ["rank", "score", "doc_id", "title", "chunk_id", "text", "start", "end"]
            assert data["text"] == h.chunk.text


def test_k_and_modes(corpus_kb):
    assert len(corpus_kb.search("江津", k=1)) == 1
    assert len(corpus_kb.search("江津", k=500)) == len(corpus_kb.engine.index)  # capped at the index size
    with pytest.raises(InvalidQueryError):
        corpus_kb.search("江津", mode="fuzzy")
    assert corpus_kb.search("青白江中试产业基地", k=3) == corpus_kb.search("青白江中试产业基地", k=3)  # deterministic


@pytest.mark.parametrize("query", ["", "   \n\t", None, "？？！。", "\x00\x00"])
def test_empty_query_is_invalid(corpus_kb, query):
    with pytest.raises(InvalidQueryError) as err:
        corpus_kb.search(query)
    assert err.value.exit_code == 2 and err.value.hint
    with pytest.raises(InvalidQueryError):
        corpus_kb.ask(query)


def test_very_long_query_is_handled(corpus_kb):
    query = ("青白江中试产业基地" * 12_000)[:100_000]
    t0 = time.perf_counter()
    hits = corpus_kb.search(query, k=5)
    elapsed = time.perf_counter() - t0
    print(f"\n100,000-char search took {elapsed:.2f}s")
    assert elapsed < 10
    assert _doc(hits[0]) == "004"
    assert len(clean_query(query)) <= 1000
    answer = corpus_kb.ask(query)
    assert answer.question  # answered or refused, never a crash


def test_retriever_on_a_loaded_index(corpus_kb, embedder):
    retriever = Retriever(corpus_kb.engine.index, embedder)
    assert _doc(retriever.search("青白江中试产业基地", k=1)[0]) == "004"
    assert Retriever(corpus_kb.engine.index).embedder is embedder  # the index's own model, cached


def test_langchain_retriever_returns_documents_with_metadata(corpus_kb):
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever

    lc = LangChainRetriever(retriever=corpus_kb.engine.retriever, k=3)
    assert isinstance(lc, BaseRetriever)
    docs = lc.invoke("青白江中试产业基地")
    assert len(docs) == 3 and all(isinstance(d, Document) for d in docs)
    top = docs[0]
    assert top.metadata["doc_id"].startswith("004")
    for key in ("doc_id", "title", "district", "date", "chunk_id", "start", "end", "score", "rank"):
        assert key in top.metadata, key
    source = corpus_kb.engine.index.doc_text(top.metadata["doc_id"])
    assert source[top.metadata["start"] : top.metadata["end"]] == top.page_content
    assert [d.metadata["rank"] for d in docs] == [1, 2, 3]
    batch = lc.batch(["How many municipal specialised SMEs did Jiangjin have in 2023", "江津区2024年工业税收多少"])
    assert batch[0][0].metadata["doc_id"].startswith("003") and batch[1][0].metadata["doc_id"].startswith("002")
    with pytest.raises(InvalidQueryError):
        lc.invoke("   ")
    dense_only = LangChainRetriever(retriever=corpus_kb.engine.retriever, k=2, mode="dense")
    assert len(dense_only.invoke("成都国际铁路港")) == 2


def test_a_credit_question_ranks_the_credit_line_first(corpus_kb):
    """Bylines and picture credits are routed to: passage similarity alone ranked this one below 10."""
    hits = corpus_kb.search("重庆枢纽港产业园两周年这一版的图片和文字是谁提供的？", k=5)
    assert "本版图文由刘星宸、阮瑞雪、吕晓提供" in hits[0].chunk.text
    hits = corpus_kb.search("江津三向发力这篇报道署名的记者有哪几位？", k=5)
    assert "罗晶 王琳琳 马菱涛" in hits[0].chunk.text
    plain = corpus_kb.search("江津三向发力这篇报道讲了什么？", k=5)  # no credit asked: no boost
    assert "罗晶 王琳琳 马菱涛" not in plain[0].chunk.text
