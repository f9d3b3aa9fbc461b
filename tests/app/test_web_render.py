"""rag.app.web_render: the answer phrase first and the only bold, source cards with rank and confidence."""
from __future__ import annotations

import re

from rag.app.web_render import answer_markdown, confidence_label, sources_html

BOLD = re.compile(r"\*\*(.+?)\*\*")


def answer(text: str, phrase: str | None, en: str | None = None, **more) -> dict:
    return {"answer": text, "answerable": True, "confidence": 0.87,
            "citations": [{"n": 1, "doc_id": "d", "title": "凭祥", "start": 0, "end": 4, "district": "凭祥",
                           "date": "2025", "score": 0.123456, "passage": "", "text": ""}],
            "related": [], "notice": "",
            "short_answer": {"text": phrase, "citation": 1, "en": en} if phrase else None, **more}


def test_the_phrase_comes_first_as_the_only_bold_piece_and_a_range_stays_whole():
    # the answerer bolds figures one by one: 10 and 15万辆 would be two bold pieces, 8.2% a third
    md = answer_markdown(answer("根据资料：东兴口岸预计年产**10**-**15万辆**，增长**8.2%**。[1]", "10-15万辆"), 0)
    assert BOLD.findall(md) == ["10\\-15万辆"]  # one piece, the phrase, escaped
    assert md.startswith("**10\\-15万辆** [\\[1\\]](#cite-0-1-c)\n\n根据资料：")
    assert "10\\-15万辆，增长8\\.2%" in md  # the quote follows, unbolded


def test_english_questions_show_the_english_rendering_first_in_the_same_bold_piece():
    md = answer_markdown(answer("According to the articles (quoted in Chinese): 瑞丽口岸进口粮食**120万吨**。[1]",
                                "120万吨", en="1.2 million tonnes"), 2)
    assert BOLD.findall(md) == ["1\\.2 million tonnes \\(120万吨\\)"]
    assert md.startswith("**1\\.2 million tonnes \\(120万吨\\)** [\\[1\\]](#cite-2-1-c)")
    same = answer_markdown(answer("According to the articles: 增长**9.6%**。[1]", "9.6%", en="9.6%"), 0)
    assert BOLD.findall(same) == ["9\\.6%"]  # a rendering equal to the phrase is not repeated


def test_without_a_phrase_or_on_refusal_nothing_is_bold():
    assert "**" not in answer_markdown(answer("根据资料：凭祥增长**8.2%**。[1]", None), 0)
    refusal = {"answer": "资料中没有找到能回答这个问题的内容。", "answerable": False, "citations": [], "related": [],
               "refusal_reason": "no retrieved article mentions 机场", "short_answer": None}
    md = answer_markdown(refusal, 0)
    assert "**" not in md and "未找到答案" in md and "原因 Reason: no retrieved article mentions 机场" in md


def test_source_cards_show_rank_and_calibrated_confidence_never_raw_scores():
    html = sources_html(answer("凭祥。[1]", None), 0, {"d": "凭祥口岸"})
    assert "排名 rank 1" in html and "可信度 Confidence: 高 high (87%)" in html
    assert "0.123" not in html and "relevance" not in html and "相关度" not in html
    assert confidence_label(0.55) == "可信度 Confidence: 中 medium (55%)" and confidence_label("x") == ""
    refusal = {"answerable": False, "confidence": 0.2, "citations": [],
               "related": [{"n": 2, "doc_id": "d", "title": "东兴", "start": 0, "end": 2, "score": 7.5}]}
    panel = sources_html(refusal, 0, {"d": "东兴口岸"})
    assert "排名 rank 2" in panel and "7.5" not in panel and "Confidence" not in panel
