"""The sentence scorer and the reranker built on it."""
from __future__ import annotations

from rag.rerank import SentenceWeights, rerank, score_sentences, sentence_tokens, token_weight


def _hits(corpus_kb, question, **config):
    retriever = corpus_kb.engine.retriever
    before = {k: getattr(retriever.config, k) for k in config}
    try:
        for k, v in config.items():
            setattr(retriever.config, k, v)
        return retriever.search(question, k=10)
    finally:
        for k, v in before.items():
            setattr(retriever.config, k, v)


def test_sentences_are_scored_best_first_and_the_asked_kind_counts(corpus_kb):
    retriever = corpus_kb.engine.retriever
    question = "2024年江津工业税收多少？"
    query_vec = retriever.embedder.embed_query(question)
    hits = _hits(corpus_kb, question, rerank=0.0)
    plain = score_sentences(retriever, question, query_vec, hits, SentenceWeights(type=0.0))
    typed = score_sentences(retriever, question, query_vec, hits, SentenceWeights(type=1.0))
    assert [c.score for c in plain] == sorted((c.score for c in plain), reverse=True)
    assert "43.5亿元" in plain[0].text
    by_text = {c.text: c.score for c in plain}
    gains = {c.text: round(c.score - by_text[c.text], 6) for c in typed}
    assert set(gains.values()) == {0.0, 1.0}  # a figure with a unit is what "多少" asks for
    assert all(gain == 0.0 for text, gain in gains.items() if not any(ch.isdigit() for ch in text))
    assert gains[plain[0].text] == 1.0
    assert all(c.hit.chunk.heading != c.text for c in plain)  # headings are no answers
    # substring matching (the reranker) and whole words (the answerer) agree on the best sentence here
    loose = score_sentences(retriever, question, query_vec, hits, SentenceWeights(), whole_words=False)
    assert loose[0].text == plain[0].text


def test_rerank_reorders_by_the_best_sentence_and_keeps_the_fused_score(corpus_kb):
    retriever = corpus_kb.engine.retriever
    question = "2024年江津西部陆海新通道班列开行多少列"
    query_vec = retriever.embedder.embed_query(question)
    hits = _hits(corpus_kb, question, rerank=0.0, year_boost=0.0)
    assert hits[0].chunk.doc_id.startswith("003")  # May 2023's running total ranks first on fused score
    fused = {h.chunk.chunk_id: h.score for h in hits}
    reranked = rerank(hits, score_sentences(retriever, question, query_vec, hits, SentenceWeights(),
                                            whole_words=False), 4.0)
    assert reranked[0].chunk.doc_id.startswith("001")  # "2024年全年…累计开行1804列"
    assert [h.rank for h in reranked] == list(range(1, len(reranked) + 1))
    assert all(h.fused == fused[h.chunk.chunk_id] for h in reranked)
    assert [h.score for h in reranked] == sorted((h.score for h in reranked), reverse=True)


def test_search_reranks_only_hybrid_and_not_credit_questions(corpus_kb):
    question = "2024年江津西部陆海新通道班列开行多少列"
    assert _hits(corpus_kb, question, year_boost=0.0)[0].chunk.doc_id.startswith("001")
    assert all(h.fused is None for h in corpus_kb.search(question, k=5, mode="bm25"))
    assert all(h.fused is None for h in corpus_kb.search("江津三向发力这篇报道署名的记者有哪几位？", k=5))


def test_token_weight_and_the_sentence_cache():
    assert token_weight("43.5") == 2.0 and token_weight("中欧班列") == 2.0 and token_weight("港") == 0.5
    assert sentence_tokens("江津班列开行1804列") is sentence_tokens("江津班列开行1804列")


def test_the_articles_district_and_year_count_as_words_of_each_sentence(corpus_kb):
    """"青白江 25年 跨境电商 单量": the sentence with 1207万单 names neither 青白江 nor 2025; its article does."""
    retriever = corpus_kb.engine.retriever
    question = "青白江 2025年 跨境电商 单量和增速"
    query_vec = retriever.embedder.embed_query(question)
    hits = _hits(corpus_kb, question)
    scored = score_sentences(retriever, question, query_vec, hits, SentenceWeights())
    orders = next(c for c in scored if "1207万单" in c.text)
    assert "青白江" not in orders.text and "2025" not in orders.text
    words = {t: token_weight(t) for t in set(retriever.keyword_tokens(question))}
    in_sentence = sum(w for t, w in words.items() if t in sentence_tokens(orders.text))
    assert orders.lexical > in_sentence / sum(words.values())  # 青白江 and 2025 matched by the article
