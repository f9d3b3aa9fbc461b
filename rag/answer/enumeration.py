"""Enumerations in a Chinese clause: the run of items a list question asks for, and its English.

General Chinese list writing only: items joined by 顿号 (、), the last by 和/及/与/以及 (A、B和C); the first item
begins after the verb or preposition that governs the list (推动A、B → A), the last ends before the word that
closes it (A、B等, 以A、B为主的, A、B各组团, 与A、B合作).
"""
from __future__ import annotations

import re

from rag.index.english_names import gloss_en
from rag.search.analysis import QuestionAnalysis
from rag.text.tokenize import posseg

_ITEM = r"[^、，,；;。！？!?：:（）()\s等]{1,24}"  # 等 closes a list: A、B等C和D、E is two lists
_ITEM_MAX = 12  # characters of a name or term in a list that English renders
_RUN = re.compile(rf"{_ITEM}(?:、{_ITEM})+")
WHICH = re.compile(r"哪[几两二三四五六七八九十]|哪些|\bwhich (?:two|three|four|five|six|seven)\b|^list\b|what (?:are|were) the", re.I)
# questions asking what a name, a code or a plan consists of: the answer is its explanation
DEFINE = re.compile(r"代表|指的?是?(?:什么|哪)|指什么|包括|包含|构成|组成|由哪|什么意思|分别是|哪几|哪些|"
                     r"consist|made up|make up|makes up|refer to|stand for|\bmean\b|\binclude|comprise|which (?:two|three|"
                     r"four|five|six)|what (?:are|were) the", re.I)
# a question asking what something is called: its name, often quoted in Chinese news
NAME_ASKED = re.compile(r"叫什么|什么名|名称是|名字是|称为什么|\bname of\b|\bcalled\b|\bnamed\b|what(?: is|'s|was) the name", re.I)
# "what measures", "which fighter jets": an English question asking for things in the plural
_PLURAL_ASKED = re.compile(r"\b(?:what|which)\s+(?:[a-z-]+\s+){0,3}?[a-z-]{2,}(?<!s)s\b", re.I)
_JOINS = ("以及", "和", "及", "与")
_LAST_JOIN = re.compile(r"(?<=[^、])(?:以及|和|及|与)(?=[^、])")
# words that close a list: the last item ends before them
_CLOSE = frozenset("等 为主 为重点 为核心 为代表 为主导 为特色 的 各 分别 共同 均 都 合作".split())
_CLOSE_COUNT = re.compile(r"[\dX两三四五六七八九十]+(?:个|大|项|类|家|种)")  # 3个主导产业, 六大集群
# words that open a list: the first item begins after them (jieba tags: verb, preposition, adverb, idiom)
_OPEN_TAGS = ("v", "vn", "p", "d", "l", "r", "c", "ad", "vd")


def enumeration(text: str) -> tuple[int, int] | None:
    """The span of the longest run of items joined by 顿号 in ``text``, trimmed to the items; None when there
    is none."""
    best = None
    for m in _RUN.finditer(text):
        items = m.group(0).split("、")
        tail = _LAST_JOIN.split(items[-1], maxsplit=1)
        middle = items[1:-1] + tail[:-1]
        width = max(len(i) for i in middle) if middle else 8
        start = m.start() + len(items[0]) - len(_first(items[0], width))
        last = _last(items[-1], width)
        end = m.end() - len(items[-1]) + len(last)
        if last and (best is None or end - start > best[1] - best[0]):
            best = start, end
    return best


def _first(item: str, width: int) -> str:
    """The first item without the words that open the list (初步建成以新材料 → 新材料)."""
    kept = ""
    for word, flag in reversed(posseg(item)):
        if kept and ((flag in _OPEN_TAGS and word not in _JOINS) or len(kept) + len(word) > width + 3):
            break
        kept = word + kept
    return re.sub(r"^(?:以及|和|及|与)", "", kept)  # 与A、B合作: a join word that opens the list is a preposition


def _last(item: str, width: int) -> str:
    """The last item without the words that close the list (都市农业为主的产业集群 → 都市农业)."""
    kept = ""
    for word, _ in posseg(item):
        if kept and word in _CLOSE:
            break
        kept += word
    count = _CLOSE_COUNT.search(kept, 1)
    if count and len(kept) - count.end() >= 2:  # 3个主导产业 sums the list up; 两个镇 is part of its item
        kept = kept[:count.start()]
    parts = _LAST_JOIN.split(kept, maxsplit=1)
    return kept if len(parts[-1]) <= 2 * width + 2 else ""


def asks_list(analysis: QuestionAnalysis) -> bool:
    """The question asks for a list: which ones, what something consists of."""
    return analysis.type == "list" or bool(WHICH.search(analysis.text) or DEFINE.search(analysis.text)
                                            or _PLURAL_ASKED.search(analysis.text))


def list_en(text: str) -> str | None:
    """The English of the enumeration in ``text``, item by item (rag.index.english_names.gloss_en), joined
    "A, B and C"; None when there is none or an item has no gloss."""
    run = enumeration(text)
    if run is None:
        return None
    items = [i for part in text[run[0]:run[1]].split("、") for i in _LAST_JOIN.split(part) if i]
    if any(len(i) > _ITEM_MAX for i in items):
        return None  # clauses joined by 顿号, not names or terms
    words = [gloss_en(i) for i in items]
    if not all(words):
        return None
    return ", ".join(words[:-1]) + " and " + words[-1]
