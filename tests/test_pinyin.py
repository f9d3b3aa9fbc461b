"""Names written in pinyin in English questions find the Chinese words of the corpus."""
from __future__ import annotations

from rag.pinyin import PinyinNames


def test_runs_of_words_spell_corpus_words_longest_first():
    names = PinyinNames(["积微物联", "积微", "小南垭", "珞璜", "中试", "进口"])
    assert names.terms("What was Jiwei Wulian's revenue?") == ["积微物联"]
    assert names.terms("trains from Xiaonanya and the LUOHUANG port") == ["小南垭", "珞璜"]
    assert names.terms("the pilot-scale (zhongshi) base") == ["中试"]


def test_ordinary_english_and_unknown_names_stay_out():
    names = PinyinNames(["积微物联", "价值", "加值", "中试"])
    assert names.terms("How did the change in value affect exports?") == []
    assert names.terms("Zhangsan Lisi") == []  # pinyin, but no corpus word is spelled so


def test_homophones_keep_every_spelling_and_non_words_are_skipped():
    names = PinyinNames(["价值", "加值", "青白江", "abc", "一"])
    assert names.terms("jiazhi") == ["价值", "加值"]
    assert len(names) == 2  # single characters and Latin entries are no names


def test_english_keyword_tokens_get_the_pinyin_names(corpus_kb):
    retriever = corpus_kb.engine.retriever
    tokens = retriever.keyword_tokens("What does Jiwei Wulian run in Qingbaijiang?")
    assert "积微物联" in tokens
    # a glossary term the index holds as one word is kept whole, not only as jieba's pieces (中试 → 试)
    assert "中试" in retriever.keyword_tokens("How many results did the pilot-scale base validate?")
    hits = retriever.search("What does Jiwei Wulian run in Qingbaijiang?", k=3)
    assert any("积微物联" in h.chunk.text for h in hits)
