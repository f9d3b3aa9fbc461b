"""Retrieval end to end (real model): ranking, exact spans, the LangChain retriever, bad queries.

Invariants are checked on the bundled corpus (``corpus_kb``); which article a question finds, on the inline
app corpus (``app_kb``, tests/fixtures_news.py)."""
from __future__ import annotations

import time

import pytest

from rag.errors import InvalidQueryError
from rag.search.hits import clean_query
from rag.search.langchain import LangChainRetriever
from rag.search.retrieve import Retriever


def test_hits_are_ranked_quoted_exactly_and_carry_metadata(corpus_kb):
    index = corpus_kb.engine.index
    for mode in ("hybrid", "dense", "bm25"):
        hits = corpus_kb.search("中欧班列国际物流枢纽", k=7, mode=mode)
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
    assert len(corpus_kb.search("班列", k=1)) == 1
    assert len(corpus_kb.search("班列", k=500)) == len(corpus_kb.engine.index)  # capped at the index size
    with pytest.raises(InvalidQueryError):
        corpus_kb.search("班列", mode="fuzzy")
    assert corpus_kb.search("中试产业基地", k=3) == corpus_kb.search("中试产业基地", k=3)  # deterministic


@pytest.mark.parametrize("query", ["", "   \n\t", None, "？？！。", "\x00\x00"])
def test_empty_query_is_invalid(corpus_kb, query):
    with pytest.raises(InvalidQueryError) as err:
        corpus_kb.search(query)
    assert err.value.exit_code == 2 and err.value.hint
    with pytest.raises(InvalidQueryError):
        corpus_kb.ask(query)


def test_very_long_query_is_handled(app_kb):
    query = ("喀什综合保税区入驻企业" * 10_000)[:100_000]
    t0 = time.perf_counter()
    hits = app_kb.search(query, k=5)
    elapsed = time.perf_counter() - t0
    print(f"\n100,000-char search took {elapsed:.2f}s")
    assert elapsed < 10
    assert hits[0].chunk.doc_id == "kashgar"
    assert len(clean_query(query)) <= 1000
    answer = app_kb.ask(query)
    assert answer.question  # answered or refused, never a crash


def test_retriever_on_a_loaded_index(app_kb, embedder):
    retriever = Retriever(app_kb.engine.index, embedder)
    assert retriever.search("喀什综合保税区入驻企业", k=1)[0].chunk.doc_id == "kashgar"
    assert Retriever(app_kb.engine.index).embedder is embedder  # the index's own model, cached


def test_langchain_retriever_returns_documents_with_metadata(app_kb):
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever

    lc = LangChainRetriever(retriever=app_kb.engine.retriever, k=3)
    assert isinstance(lc, BaseRetriever)
    docs = lc.invoke("喀什综合保税区入驻企业")
    assert len(docs) == 3 and all(isinstance(d, Document) for d in docs)
    top = docs[0]
    assert top.metadata["doc_id"] == "kashgar" and top.metadata["district"] == "喀什"
    for key in ("doc_id", "title", "district", "date", "chunk_id", "start", "end", "score", "rank"):
        assert key in top.metadata, key
    source = app_kb.engine.index.doc_text(top.metadata["doc_id"])
    assert source[top.metadata["start"] : top.metadata["end"]] == top.page_content
    assert [d.metadata["rank"] for d in docs] == [1, 2, 3]
    batch = lc.batch(["How much freight did Manzhouli handle in 2022", "绥芬河2025年外贸进出口总额多少"])
    assert batch[0][0].metadata["doc_id"] == "manzhouli" and batch[1][0].metadata["doc_id"] == "suifenhe"
    with pytest.raises(InvalidQueryError):
        lc.invoke("   ")
    dense_only = LangChainRetriever(retriever=app_kb.engine.retriever, k=2, mode="dense")
    assert len(dense_only.invoke("国际陆路口岸")) == 2


def test_a_credit_question_ranks_the_credit_line_first(app_kb):
    """Bylines and picture credits are routed to: the page's credits sit at its end, after the last section."""
    hits = app_kb.search("绥芬河口岸这一版的图片和文字是谁提供的？", k=5)
    assert "图片由绥芬河市委宣传部提供" in hits[0].chunk.text
    hits = app_kb.search("绥芬河口岸这篇报道署名的记者有哪几位？", k=5)
    assert "张立 刘海燕 陈明" in hits[0].chunk.text
    plain = app_kb.search("绥芬河口岸这篇报道讲了什么？", k=5)  # no credit asked: no boost
    assert "张立 刘海燕 陈明" not in plain[0].chunk.text


def test_a_long_question_is_embedded_as_its_head_and_tail():
    from rag.config import RetrievalConfig
    from rag.search.retrieve import Retriever

    seen: list[str] = []

    class Recorder:
        def embed_query(self, text):
            seen.append(text)
            return text

    r = Retriever.__new__(Retriever)
    r.config, r.embedder = RetrievalConfig(query_embed_chars=20), Recorder()
    r.query_vector("短问题？")
    r.query_vector("开头" * 20 + "东兴口岸货运量多少？")
    assert seen[0] == "短问题？"
    assert seen[1].startswith("开头" * 5) and seen[1].endswith("口岸货运量多少？") and len(seen[1]) == 21
