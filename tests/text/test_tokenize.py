"""Tokens for BM25: jieba with the domain dictionary, NFKC, stopwords."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from rag.text.tokenize import cjk_ratio, is_chinese, normalize, tokenize


def test_domain_terms_stay_whole():
    tokens = tokenize("西部陆海新通道钦州班列开行1620列")
    assert "西部陆海新通道" in tokens
    assert "钦州" in tokens and "班列" in tokens and "1620" in tokens
    assert "多式联运" in tokenize("发展多式联运")


def test_fullwidth_digits_and_case_normalised():
    assert normalize("ＡＢＣ１８０４") == "abc1804"
    assert tokenize("开行１６２０列") == tokenize("开行1620列")
    assert "pingxiang" in tokenize("PINGXIANG")


def test_numbers_and_percentages_are_single_tokens():
    tokens = tokenize("专精特新企业增长11.6%")
    assert "11.6%" in tokens
    assert "专精特新" in tokens


def test_stopwords_dropped_in_both_languages():
    assert tokenize("How many trains did Pingxiang run in 2024?") == ["trains", "pingxiang", "run", "2024"]
    tokens = tokenize("凭祥的班列是多少")
    assert "的" not in tokens and "是" not in tokens and "多少" not in tokens
    assert tokenize("") == [] and tokenize("！！！、。") == []


def test_language_detection():
    assert is_chinese("凭祥班列开行多少列")
    assert not is_chinese("How many trains did Pingxiang run?")
    assert cjk_ratio("1234 !!") == 0.0
    assert is_chinese("凭祥班列 trains") and not is_chinese("Pingxiang 班列 trains")


def test_thread_safe_and_deterministic():
    texts = ["二连浩特市加快建设国际陆路口岸城市", "西部陆海新通道凭祥班列", "霍尔果斯口岸中欧班列"] * 20
    expected = [tokenize(t) for t in texts]
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(tokenize, texts)) == expected


def test_percentages_written_in_characters_become_digits():
    from rag.text.tokenize import arabic_percentages

    assert arabic_percentages("从没电充到百分之八十要多久") == "从没电充到80%要多久"
    assert arabic_percentages("百分之十五点五和百分之一百二十") == "15.5%和120%"
    assert arabic_percentages("增长了百分之几？") == "增长了百分之几？"  # asked, not given


def test_short_years_become_full_years():
    from rag.text.tokenize import as_written, full_years

    assert full_years("二连浩特25年跨境电商单量") == "二连浩特2025年跨境电商单量"
    assert full_years("凭祥24年新增几家") == "凭祥2024年新增几家"
    # durations and full years are left alone
    assert full_years("近25年来") == "近25年来" and full_years("2025年") == "2025年" and full_years("3年") == "3年"
    assert as_written("24年增长百分之八十") == "2024年增长80%"
