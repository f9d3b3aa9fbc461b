"""Credit lines (bylines, picture credits) and questions that ask for them."""
from __future__ import annotations

import pytest

from rag.ingest.credits import asks_for_credits, find_credits

PAGE = """江津 三向发力绘就新图景

工业强基 营商聚势 治理焕新

江津区今年新增规上工业企业33家。

罗晶 王琳琳 马菱涛
图片由江津区委宣传部提供
图片来源
池勇 中共成都市委青白江区委副书记
【报告执笔：成都日报锦观新闻记者谢夏冬】制图：姜蓉
"""


def test_credit_lines_are_found_with_exact_spans():
    credits = find_credits(PAGE)
    assert [(c.text, sorted(c.kinds)) for c in credits] == [
        ("罗晶 王琳琳 马菱涛", ["writer"]),
        ("图片由江津区委宣传部提供", ["picture"]),
        ("池勇 中共成都市委青白江区委副书记", ["writer"]),
        ("【报告执笔：成都日报锦观新闻记者谢夏冬】制图：姜蓉", ["picture", "writer"]),
    ]  # not the slogan line of 4-character words, not a bare "图片来源", not the sentences
    for c in credits:
        assert PAGE[c.start : c.end] == c.text


def test_windows_newlines_keep_the_spans_exact():
    page = PAGE.replace("\n", "\r\n")
    for c in find_credits(page):
        assert page[c.start : c.end] == c.text


@pytest.mark.parametrize("question, kind", [
    ("江津三向发力这篇报道署名的记者有哪几位？", "writer"),
    ("2023年江津那篇稿子的作者是谁？", "writer"),
    ("Who wrote the 2023 Qingbaijiang survey report?", "writer"),
    ("Which reporters' names are on the Jiangjin article?", "writer"),
    ("这一版的图片和文字是谁提供的？", "picture"),
    ("Who provided the photos of the Jiangjin page?", "picture"),
    ("第一张配图拍的是什么地方？", None),  # about a picture's content, not its credit
    ("江津区委书记是谁？", None),  # a role, not a credit
    ("江津班列开行多少列？", None),
])
def test_credit_questions(question, kind):
    assert asks_for_credits(question) == kind
