"""Credit lines (bylines, picture credits) and questions that ask for them."""
from __future__ import annotations

import pytest

from rag.ingest.credits import asks_for_credits, find_credits

PAGE = """凭祥 口岸经济绘就新图景

通道提速 贸易聚势 园区焕新

凭祥市今年新增规上工业企业21家。

张立 刘海燕 陈明
图片由凭祥市委宣传部提供
图片来源
黄国平 中共崇左市委凭祥市委副书记
【报告执笔：广西日报记者韦思远】制图：梁宁
"""


def test_credit_lines_are_found_with_exact_spans():
    credits = find_credits(PAGE)
    assert [(c.text, sorted(c.kinds)) for c in credits] == [
        ("张立 刘海燕 陈明", ["writer"]),
        ("图片由凭祥市委宣传部提供", ["picture"]),
        ("黄国平 中共崇左市委凭祥市委副书记", ["writer"]),
        ("【报告执笔：广西日报记者韦思远】制图：梁宁", ["picture", "writer"]),
    ]  # not the slogan line of 4-character words, not a bare "图片来源", not the sentences
    for c in credits:
        assert PAGE[c.start : c.end] == c.text


def test_windows_newlines_keep_the_spans_exact():
    page = PAGE.replace("\n", "\r\n")
    for c in find_credits(page):
        assert page[c.start : c.end] == c.text


@pytest.mark.parametrize("question, kind", [
    ("凭祥口岸经济这篇报道署名的记者有哪几位？", "writer"),
    ("2023年凭祥那篇稿子的作者是谁？", "writer"),
    ("Who wrote the 2023 Erenhot survey report?", "writer"),
    ("Which reporters' names are on the Pingxiang article?", "writer"),
    ("这一版的图片和文字是谁提供的？", "picture"),
    ("Who provided the photos of the Pingxiang page?", "picture"),
    ("第一张配图拍的是什么地方？", None),  # about a picture's content, not its credit
    ("凭祥市委书记是谁？", None),  # a role, not a credit
    ("凭祥班列开行多少列？", None),
])
def test_credit_questions(question, kind):
    assert asks_for_credits(question) == kind
