"""English questions over Chinese articles: the glossary expansion."""
from __future__ import annotations

from rag.crosslingual import expand_english


def test_phrases_map_to_the_articles_terms():
    terms = expand_english("How many China-Europe trains left Qingbaijiang in 2025?")
    assert {"青白江", "2025"} <= set(terms) and "中欧班列" in terms


def test_plurals_and_inflections_fall_back_to_the_listed_form():
    assert "通道" in expand_english("How many corridors?")  # corridor
    assert expand_english("industrial parks") == expand_english("industrial park")
    assert expand_english("the projected growth")[:1] == ["预计"]  # listed as such, not "project" -> 项目


def test_an_unlisted_hyphenated_word_is_split():
    assert {"多式联运", "联运"} <= set(expand_english("rail-intermodal routes"))


def test_unknown_words_expand_to_nothing_but_numbers_are_kept():
    assert expand_english("zebra quantum 42") == ["42"]
