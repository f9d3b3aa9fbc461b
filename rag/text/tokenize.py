"""Tokens for BM25 and lexical overlap: jieba with the corpus' domain terms.

Indexing and querying must use the same function, so it lives in one place.
"""
from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import lru_cache
from importlib import resources

_WORD = re.compile(r"[a-z]+|\d+(?:\.\d+)?%?|[\u3400-\u9fff]+", re.IGNORECASE)
_CJK = re.compile(r"[\u3400-\u9fff]")
STOPWORDS = frozenset(
    "的 了 和 与 及 是 在 有 为 对 等 也 都 而 将 把 被 从 到 以 之 其 这 那 个 一 上 中 下 年 月 日 "
    "多少 什么 哪些 哪个 哪 几 吗 呢 吧 啊 如何 怎么 怎样 是否 请问 请 我 你 他 她 它 们 "
    "the a an of to in on for and or is are was were be been by with at from as that this which "
    "what how many much when where who whose did does do it its into than".split()
)
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    with resources.files("rag.data").joinpath("userdict.txt").open("r", encoding="utf-8") as fh:
        tokenizer.load_userdict(fh)
    tokenizer.initialize()
    return tokenizer


@lru_cache(maxsize=1)
def _tagger():
    import jieba.posseg

    return jieba.posseg.POSTokenizer(_jieba())  # reads jieba's tag table once


def posseg(text: str) -> list[tuple[str, str]]:
    """jieba's words and part-of-speech tags, with the project's user dictionary (one tokenizer for all)."""
    with _lock:
        return [(p.word, p.flag) for p in _tagger().cut(text)]


def normalize(text: str) -> str:
    """NFKC (full-width digits and letters to ASCII) and lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def tokenize(text: str) -> list[str]:
    """Search-mode jieba tokens for CJK runs, words and numbers for the rest; stopwords dropped."""
    text = normalize(text)
    tokens: list[str] = []
    for match in _WORD.finditer(text):
        piece = match.group(0)
        if _CJK.match(piece):
            with _lock:  # jieba's tokenizer is not thread-safe during lazy init
                words = _jieba().cut_for_search(piece)
                tokens.extend(w for w in words if w not in STOPWORDS)
        elif piece not in STOPWORDS:
            tokens.append(piece)
    return tokens


_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_PERCENT = re.compile(r"百分之([零〇一二两三四五六七八九十百]+)(?:点([零〇一二三四五六七八九]+))?")


def _small_number(text: str) -> int | None:
    """A whole number written in characters (十五, 八十, 一百二十) as an int, or None."""
    from rag.text.numerals import zh_number
    value = zh_number(text)
    return int(value) if value is not None and value == int(value) else None


def arabic_percentages(text: str) -> str:
    """"百分之八十" → "80%": the articles write figures in digits, questions sometimes in words."""
    def repl(m: re.Match) -> str:
        whole = _small_number(m.group(1))
        if whole is None:
            return m.group(0)
        decimals = "".join(str(_DIGIT[c]) for c in m.group(2)) if m.group(2) else ""
        return f"{whole}{'.' + decimals if decimals else ''}%"
    return _PERCENT.sub(repl, text)


_SHORT_YEAR = re.compile(r"(?<![\d.])(1[5-9]|2\d)年(?![来间内多以前后左代])")


def full_years(text: str) -> str:
    """"25年" → "2025年": people shorten recent years, the articles never do."""
    return _SHORT_YEAR.sub(r"20\1年", text)


def as_written(text: str) -> str:
    """A question's figures as the articles write them (percentages in digits, years in full)."""
    return full_years(arabic_percentages(text))


def cjk_ratio(text: str) -> float:
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for c in letters if _CJK.match(c)) / len(letters)


def is_chinese(text: str) -> bool:
    """True when the question is mostly Chinese (BM25 over Chinese text can help it)."""
    return cjk_ratio(text) >= 0.3
