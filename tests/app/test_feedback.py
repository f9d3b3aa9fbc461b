"""rag.app.feedback: the append-only 👍/👎 log and its export to an eval question set (rag feedback export)."""
from __future__ import annotations

import json
import threading
from types import SimpleNamespace

import pytest

from rag.app import web
from rag.app.cli import main as cli_main
from rag.app.feedback import (
    append_feedback,
    export_feedback,
    feedback_path,
    feedback_row,
    read_feedback,
    verdict_of,
)
from rag.errors import FeedbackError
from rag.evaluation.evalset import check_set, load_set

# an inline article (places no seed article names): the export is checked against it
SOURCE = ("东兴口岸一季度进出口货运量稳步增长\n\n今年一季度，东兴口岸进出口货运量达到86万吨，同比增长12.4%。"
          "凭祥综合保税区新入驻企业35家。瑞丽口岸边民互市贸易额为18.6亿元。\n")
SENTENCE = "今年一季度，东兴口岸进出口货运量达到86万吨，同比增长12.4%。"


def answered(question: str = "东兴口岸一季度货运量是多少？") -> dict:
    start = SOURCE.index(SENTENCE)
    return {"question": question, "query": question, "answer": "根据资料：**86万吨**，同比增长**12.4%**。[1]",
            "answerable": True, "confidence": 0.91, "refusal_reason": "", "analysis": {"big": "dropped"},
            "short_answer": {"text": "86万吨", "citation": 1, "doc_id": "dongxing", "start": start + 17,
                             "end": start + 21, "en": None},
            "citations": [{"n": 1, "doc_id": "dongxing", "title": "东兴口岸", "text": SENTENCE, "start": start,
                           "end": start + len(SENTENCE), "score": 0.9, "passage": SOURCE}]}


def refused(question: str = "东兴口岸的机场客流量是多少？") -> dict:
    return {"question": question, "answer": "资料中没有找到能回答这个问题的内容。", "answerable": False,
            "refusal_reason": "no retrieved article mentions 机场", "citations": [], "related": []}


def test_rows_carry_question_answer_citations_verdict_and_time():
    row = feedback_row(answered(), "up")
    assert row["verdict"] == "up" and row["question"].startswith("东兴") and row["answerable"]
    assert row["citations"] == [{"n": 1, "doc_id": "dongxing", "title": "东兴口岸", "text": SENTENCE,
                                 "start": SOURCE.index(SENTENCE), "end": SOURCE.index(SENTENCE) + len(SENTENCE)}]
    assert row["short_answer"]["text"] == "86万吨" and "T" in row["time"] and "analysis" not in row
    assert verdict_of(True) == "up" and verdict_of(False) == "down" and verdict_of("") == "none"
    with pytest.raises(ValueError):
        feedback_row(answered(), "maybe")


def test_appends_from_many_threads_lose_no_line_and_keep_earlier_ones(tmp_path):
    path = tmp_path / "feedback.jsonl"
    path.write_bytes(b'{"verdict": "up", "question": "earlier"}\n{"verdict": "do')  # a line torn by a crash
    rows = [feedback_row(answered(f"问题{i}？"), "up" if i % 2 else "down") for i in range(40)]
    threads = [threading.Thread(target=append_feedback, args=(path, r)) for r in rows]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == '{"verdict": "up", "question": "earlier"}' and lines[1] == '{"verdict": "do'
    got = read_feedback(path)
    assert len(got) == 41 and got[0]["question"] == "earlier"  # the torn line skipped, nothing else lost
    assert sorted(r["question"] for r in got[1:]) == sorted(r["question"] for r in rows)


def test_export_maps_verdicts_to_questions_and_review(tmp_path):
    rows = [feedback_row(answered(), "down"), feedback_row(answered(), "up"),  # changed mind: the last counts
            feedback_row(refused(), "up"),
            feedback_row(answered("凭祥综合保税区新入驻企业多少家？"), "down"),
            feedback_row(answered("瑞丽口岸互市贸易额是多少？"), "up"),
            feedback_row(answered("瑞丽口岸互市贸易额是多少？"), "none")]  # taken back: dropped
    questions, review = export_feedback(rows)
    by_text = {q.question: q for q in questions}
    assert set(by_text) == {"东兴口岸一季度货运量是多少？", "东兴口岸的机场客流量是多少？"}
    good = by_text["东兴口岸一季度货运量是多少？"]
    assert good.answerable and good.evidence == [SENTENCE] and good.answer == ["86万吨"] and good.docs == ["dongxing"]
    assert not by_text["东兴口岸的机场客流量是多少？"].answerable  # 👍 on a refusal: unanswerable
    assert [r["question"] for r in review] == ["凭祥综合保税区新入驻企业多少家？"]
    assert review[0]["review"] and review[0]["evidence"] == [] and review[0]["rejected"]["answer"]

    # the set is in the eval format and valid against the article it came from
    from rag.evaluation.evalset import save_set

    save_set(questions, tmp_path / "set.jsonl")
    loaded = load_set(tmp_path / "set.jsonl")
    assert [q.id for q in loaded] == [q.id for q in questions] and all(q.id.startswith("fb-") for q in loaded)
    assert check_set(loaded, {"dongxing": SOURCE}).ok


def test_record_verdict_from_the_chat_writes_beside_the_index(tmp_path, monkeypatch):
    monkeypatch.delenv("RAG_FEEDBACK", raising=False)
    kb = SimpleNamespace(index_dir=tmp_path / "index")
    turns = [{"question": "东兴口岸一季度货运量是多少？", "answer": answered()}, {"question": "x", "error": "boom"}]
    assert web.record_verdict(kb, turns, 1, True) == "up" and turns[0]["verdict"] == "up"
    assert web.record_verdict(kb, turns, 3, False) is None  # an error message: nothing to judge
    assert web.record_verdict(kb, turns, 1, "") == "none" and turns[0]["verdict"] is None
    assert feedback_path(kb.index_dir) == tmp_path / "feedback.jsonl"
    assert [r["verdict"] for r in read_feedback(tmp_path / "feedback.jsonl")] == ["up", "none"]
    assert web.feedback_values([{"verdict": "down"}, {}]) == ["Dislike", None]


def test_cli_feedback_export(tmp_path, capsys):
    log = tmp_path / "fb.jsonl"
    for row in (feedback_row(answered(), "up"), feedback_row(refused(), "up"),
                feedback_row(answered("凭祥综合保税区新入驻企业多少家？"), "down")):
        append_feedback(log, row)
    out = tmp_path / "out" / "set.jsonl"
    assert cli_main(["feedback", "export", "--feedback", str(log), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "1 answerable and 1 unanswerable" in printed and "1 to review" in printed
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["answer"] for r in rows] == [["86万吨"], []]
    review = (tmp_path / "out" / "set.review.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(review) == 1 and json.loads(review[0])["type"] == "review"

    assert cli_main(["feedback", "export", "--feedback", str(tmp_path / "missing.jsonl"), "-o", str(out)]) == 1
    assert "No feedback log" in capsys.readouterr().err


def test_unwritable_log_is_a_feedback_error(tmp_path):
    (tmp_path / "dir.jsonl").mkdir()
    with pytest.raises(FeedbackError):
        append_feedback(tmp_path / "dir.jsonl", feedback_row(answered(), "up"))
