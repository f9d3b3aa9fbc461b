"""English questions over Chinese articles: the glossary expansion."""
from __future__ import annotations

from rag.crosslingual import expand_english
from rag.retrieve import RetrievalConfig


def test_phrases_map_to_the_articles_terms():
    terms = expand_english("How many China-Europe trains left Qingbaijiang in 2025?")
    assert {"青白江", "2025"} <= set(terms) and "中欧班列" in terms


def test_plurals_and_inflections_fall_back_to_the_listed_form():
    assert "通道" in expand_english("How many corridors?")  # corridor
    assert expand_english("logistics hubs") == expand_english("logistics hub")
    assert expand_english("the projected growth")[:1] == ["预计"]  # listed as such, not "project" -> 项目


def test_an_unlisted_hyphenated_word_is_split():
    assert {"多式联运", "联运"} <= set(expand_english("rail-intermodal routes"))


def test_unknown_words_expand_to_nothing_but_numbers_are_kept():
    assert expand_english("zebra quantum 42") == ["42"]


def test_chinese_abbreviations_expand_to_their_full_form_for_retrieval_only(corpus_kb):
    from rag.crosslingual import synonyms
    from rag.tokenize import tokenize

    assert synonyms(tokenize("青白江综保区的评级")) == ["综合保税区"]
    assert synonyms(tokenize("江津综合保税区")) == ["综保区"]
    assert synonyms(tokenize("江津班列")) == []
    r = corpus_kb.engine.retriever
    question = "青白江综保区的绩效评估排第几？"
    assert "综合保税区" in r.bm25_tokens(question) and "综合保税区" not in r.keyword_tokens(question)
    assert r.bm25_tokens("How big is the bonded zone?") == r.keyword_tokens("How big is the bonded zone?")
    def rank(hits):
        return next((h.rank for h in hits if "综合保税区绩效评估" in h.chunk.text), 99)

    ranks = {}
    try:
        for rerank in (0.0, RetrievalConfig().rerank):  # the keyword side alone, then with the sentence reranker
            r.config.rerank = rerank
            r.__dict__.pop("bm25_tokens", None)
            expanded = rank(corpus_kb.search(question, k=10))
            r.bm25_tokens = r.keyword_tokens  # as it ranked before the expansion
            ranks[rerank] = (expanded, rank(corpus_kb.search(question, k=10)))
    finally:
        r.config.rerank = RetrievalConfig().rerank
        r.__dict__.pop("bm25_tokens", None)
    assert ranks[0.0][0] <= 5 and all(expanded < plain for expanded, plain in ranks.values())


def test_scales_map_to_their_one_word_chinese_form():
    assert "百亿" in expand_english("clusters each reaching the 10-billion-yuan scale")
    assert "千亿" in expand_english("a hundred billion yuan industry")
    assert "组团" in expand_english("Which four zones make up the park?")


def test_general_vocabulary_of_bases_goods_and_days(corpus_kb):
    """English questions whose nouns the glossary lacked ranked the wrong passage first."""
    assert "示范基地" in expand_english("national demonstration bases")
    assert {"品类", "每天"} <= set(expand_english("how many categories of goods every day"))
    assert "车间" in expand_english("whose factory floor is in the photo")
    hits = corpus_kb.search("What kinds of goods ride on Jiangjin's land-sea corridor trains, and how many categories?", k=3)
    assert any("600余种" in h.chunk.text for h in hits)


def test_the_articles_terms_have_their_common_english_names():
    """A second pass over the articles' vocabulary: statistics, project stages, logistics, roles."""
    assert "规模以上" in expand_english("above designated size firms")
    assert "投产" in expand_english("when was it commissioned")
    assert "副总裁" in expand_english("the vice president")
    assert "老旧小区" in expand_english("old neighbourhoods")


def test_a_leading_firm_is_a_chain_leader():
    from rag.crosslingual import synonyms

    assert "链主" in synonyms(["龙头"]) and "链主企业" in synonyms(["带头企业"])
