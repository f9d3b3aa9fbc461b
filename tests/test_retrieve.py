"""Retrieval end to end over the real corpus (real model), the LangChain retriever, bad queries."""
from __future__ import annotations

import time

import pytest

from rag.errors import InvalidQueryError
from rag.retrieve import Hit, LangChainRetriever, RetrievalConfig, Retriever, clean_query

# question -> the article that answers it (doc ids start with the file number)
QUESTIONS = [
    ("2024年江津西部陆海新通道班列开行多少列", "001"),
    ("How many municipal specialised SMEs did Jiangjin have in 2023", "003"),
    ("青白江中试产业基地", "004"),
    ("江津区2024年工业税收多少", "002"),
    ("2025年青白江规上工业增加值增长多少", "000"),
    ("How many trains did the Jiangjin New Western Land-Sea Corridor run in 2024", "001"),
]


def _doc(hit: Hit) -> str:
    return hit.chunk.doc_id[:3]


@pytest.mark.parametrize("question, want", QUESTIONS)
def test_finds_the_right_article(corpus_kb, question, want):
    hits = corpus_kb.search(question, k=5)
    assert want in [_doc(h) for h in hits[:3]], [(_doc(h), round(h.score, 3)) for h in hits]


def test_year_in_question_decides_between_two_train_counts(corpus_kb):
    """003's May-2023 passage about the same trains outranked 001's 2024 count until the year boost."""
    hits = corpus_kb.search("2024年江津西部陆海新通道班列开行多少列", k=5)
    assert _doc(hits[0]) == "001"
    config = corpus_kb.engine.retriever.config
    before = (config.year_boost, config.rerank)
    try:
        config.year_boost, config.rerank = 0.0, 0.0  # the sentence reranker alone also puts 001 first
        assert _doc(corpus_kb.search("2024年江津西部陆海新通道班列开行多少列", k=5)[0]) == "003"
    finally:
        config.year_boost, config.rerank = before


def test_a_district_named_lifts_its_own_chunks(corpus_kb):
    """A Jiangjin timeline of 2025 outranked Qingbaijiang's cross-border e-commerce passage until the place boost."""
    question = "how many cross-border e-commerce orders did Qingbaijiang process in 2025?"
    assert corpus_kb.search(question, k=3)[0].chunk.chunk_id == "000_b33ada6247a9846e#0004"  # 1207万单
    config = corpus_kb.engine.retriever.config
    try:
        config.place_boost = 0.0
        assert _doc(corpus_kb.search(question, k=3)[0]) == "001"
    finally:
        config.place_boost = RetrievalConfig().place_boost


def test_the_period_asked_lifts_the_chunks_that_give_it(corpus_kb):
    question = "Between January and May 2023, how many land-sea corridor trains did Jiangjin send out?"
    assert "1月-5月" in corpus_kb.search(question, k=3)[0].chunk.clean
    config = corpus_kb.engine.retriever.config
    try:
        config.period_boost = 0.0
        assert "1月-5月" not in corpus_kb.search(question, k=3)[0].chunk.clean
    finally:
        config.period_boost = RetrievalConfig().period_boost


@pytest.mark.parametrize("misspelt, right", [("Jiangjing", "jiangjin"), ("Qingbaijang", "qingbaijiang"),
                                             ("Luohaung", "luohuang"), ("Qingbaijaing", "qingbaijiang")])
def test_a_place_one_letter_off_is_read_as_the_place(corpus_kb, misspelt, right):
    from rag.places import correct_place_spelling

    assert correct_place_spelling(f"How many trains did {misspelt} run?") == f"How many trains did {right} run?"
    district = "江津" if right in ("jiangjin", "luohuang") else "青白江"
    hits = corpus_kb.search(f"What did {misspelt}'s industry and trade achieve?", k=3)
    assert hits and hits[0].doc["district"] == district


def test_ordinary_words_and_other_places_keep_their_spelling():
    from rag.places import correct_place_spelling

    text = "Chengde, changing, shipping, Jiangxi, Jiangjin's and Chengdu"
    assert correct_place_spelling(text) == text


@pytest.mark.parametrize("question, want", [q for q in QUESTIONS if q[1] != "001"])
def test_top_hit_is_the_right_article(corpus_kb, question, want):
    assert _doc(corpus_kb.search(question, k=1)[0]) == want


def test_answer_for_the_train_question_cites_001(corpus_kb):
    answer = corpus_kb.ask("2024年江津西部陆海新通道班列开行多少列")
    assert answer.answerable
    assert answer.citations[0].doc_id.startswith("001") and "1804" in answer.citations[0].text
    for c in answer.citations:
        assert corpus_kb.engine.index.doc_text(c.doc_id)[c.start : c.end] == c.text


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
            assert h.doc["doc_id"] == h.chunk.doc_id and h.doc["title"] and h.doc["district"] in ("青白江", "江津")
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


def test_a_comparison_alternates_the_two_districts(corpus_kb):
    """Both sides near the top: without interleaving, Jiangjin's four trade passages fill the top four."""
    question = "Compare the 2025 foreign trade of Qingbaijiang and Jiangjin."
    retriever = corpus_kb.engine.retriever
    one = "How much foreign trade did Jiangjin do in 2025?"
    interleaved = [h.chunk.chunk_id for h in retriever.search(one, k=5)]
    config = retriever.config
    config.rerank = 0.0  # the sentence reranker reorders the interleaved pool by score
    try:
        assert {h.doc["district"] for h in retriever.search(question, k=2)} == {"青白江", "江津"}
        config.interleave_sides = False
        assert {h.doc["district"] for h in retriever.search(question, k=4)} == {"江津"}
    finally:
        config.rerank, config.interleave_sides = RetrievalConfig().rerank, True
    # with the reranker both sides are still in the top five, and a one-district question is unchanged
    assert {h.doc["district"] for h in retriever.search(question, k=5)} == {"青白江", "江津"}
    config.interleave_sides = False
    try:
        assert [h.chunk.chunk_id for h in retriever.search(one, k=5)] == interleaved
    finally:
        config.interleave_sides = True