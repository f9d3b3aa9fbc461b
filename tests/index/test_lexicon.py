"""The English→Chinese lexicon built from CC-CEDICT, the glossary and pinyin for a corpus' own words."""
from __future__ import annotations

import pytest

from rag.index.lexicon import build_lexicon, cedict, lemma, made_of_words, pinyin_key


def _lexicon(vocabulary: dict[str, int], names: dict[str, str] | None = None) -> dict[str, list[str]]:
    return build_lexicon(vocabulary, names or {})[0]


def test_a_foreign_person_is_found_by_family_name_alone():
    lex = _lexicon({"普京": 3, "马克龙": 2})
    assert "普京" in lex["putin"]
    assert "马克龙" in lex["macron"]


def test_a_chinese_name_in_its_own_pinyin_gives_no_family_name_key():
    entries = cedict()["鲁迅"]
    assert entries and entries[0][1][0].startswith("Lu Xun")
    lex = _lexicon({"鲁迅": 3})
    assert "xun" not in lex


def test_a_people_s_adjective_finds_the_country_the_corpus_names():
    lex = _lexicon({"墨西哥": 4, "印度": 2}, {"墨西哥": "place", "印度": "place"})
    assert "墨西哥" in lex[lemma("Mexican")]
    assert "印度" in lex[lemma("Indian")]


def test_an_acronym_in_a_gloss_is_a_key():
    lex = _lexicon({"世界贸易组织": 2})
    assert "世界贸易组织" in lex["wto"]


def test_a_glossary_term_the_tokenizer_splits_is_kept_when_the_corpus_has_its_pieces():
    lex = _lexicon({"占": 5, "比": 5})
    assert "占比" in lex["share"]
    assert "占比" not in _lexicon({"占": 5}).get("share", [])


def test_names_get_a_pinyin_key():
    _, pinyin = build_lexicon({}, {"阿拉山口": "place", "伊宁市": "place"})
    assert pinyin["alashankou"] == ["阿拉山口"]
    assert "伊宁市" in pinyin[pinyin_key("伊宁")]


@pytest.mark.parametrize("text", ["中央银行", "冷藏柜", "展望未来", "远洋货轮", "特大城市"])
def test_common_words_run_together_describe_rather_than_name(text):
    assert made_of_words(text)


@pytest.mark.parametrize("text", ["万科", "宇通", "阿里巴巴", "摩托罗拉", "卡塔尔航空", "涪陵区", "Flexport"])
def test_names_are_not_runs_of_common_words(text):
    assert not made_of_words(text)
