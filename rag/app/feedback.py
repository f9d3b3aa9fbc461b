"""👍/👎 on chat answers: an append-only JSON Lines log beside the index, and its export to a question set.

The log (``feedback.jsonl`` next to the index folder, or ``$RAG_FEEDBACK``) holds one verdict per line::

    {"time", "verdict": "up"|"down"|"none", "question", "query", "answer", "answerable",
     "short_answer", "refusal_reason", "confidence", "citations": [{"n", "doc_id", "title", "text", "start", "end"}]}

``"none"`` is a verdict taken back (the thumb clicked again). Lines are only ever appended: each is one
``os.write`` of the whole line on an ``O_APPEND`` descriptor, under a process-wide lock and ``flock``, so
writers in threads or processes never interleave, and no earlier line is ever rewritten. A line torn by a
crash is ended before the next one is written; reading skips lines that are not JSON objects.

Export (``rag feedback export``) keeps the last verdict per question and answer, then:

* 👍 on an answer → an answerable question: ``evidence`` is the cited sentence holding the answer phrase
  (every cited sentence when there is no phrase), ``answer`` the phrase, ``doc`` its article;
* 👍 on a refusal → an unanswerable question (no evidence, no answer): the refusal was right;
* 👎 → not in the set, because what the right answer is (or whether there is one) is not known: it goes to a
  review file in the same format with ``"review": true`` and the rejected answer under ``"rejected"``; a
  reviewer fills in ``evidence``/``answer`` (or leaves them empty for an unanswerable question) and moves it.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path

from rag.config import ChatConfig
from rag.errors import FeedbackError
from rag.evaluation.evalset import Question

VERDICTS = {True: "up", False: "down"}
_lock = threading.Lock()


def feedback_path(index_dir: str | Path, config: ChatConfig | None = None) -> Path:
    """Where the chat writes feedback: ``$RAG_FEEDBACK``, else ``feedback.jsonl`` beside ``index_dir``."""
    if os.environ.get("RAG_FEEDBACK"):
        return Path(os.environ["RAG_FEEDBACK"])
    return Path(index_dir).absolute().parent / (config or ChatConfig()).feedback_file


def verdict_of(liked: object) -> str:
    """Gradio's LikeData.liked (True, False, or "" when a thumb is clicked off) as a verdict."""
    return VERDICTS.get(liked, "none") if isinstance(liked, bool) else "none"


def feedback_row(answer: dict, verdict: str, when: datetime | None = None) -> dict:
    """The log line for ``verdict`` on ``answer`` (the JSON of ``rag ask --json``)."""
    if verdict not in ("up", "down", "none"):
        raise ValueError(f"verdict must be up, down or none, not {verdict!r}")
    when = when or datetime.now(timezone.utc)
    return {"time": when.isoformat(timespec="seconds"), "verdict": verdict,
            "question": str(answer.get("question", "")), "query": str(answer.get("query", "")),
            "answer": str(answer.get("answer", "")), "answerable": bool(answer.get("answerable")),
            "short_answer": answer.get("short_answer"), "refusal_reason": str(answer.get("refusal_reason", "")),
            "confidence": answer.get("confidence", 0.0),
            "citations": [{k: c.get(k) for k in ("n", "doc_id", "title", "text", "start", "end")}
                          for c in answer.get("citations", [])]}


def append_feedback(path: str | Path, row: dict) -> None:
    """Append ``row`` as one line; earlier lines are never touched (see the module docstring)."""
    path = Path(path)
    data = (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _lock:
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)  # read: the last byte
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    data = b"\n" + data  # a line torn by a crash stays a line of its own
                written = os.write(fd, data)
                while written < len(data):  # a short write (full disk, signal): finish the line
                    written += os.write(fd, data[written:])
                os.fsync(fd)
            finally:
                os.close(fd)  # closing releases the flock
    except OSError as exc:
        raise FeedbackError(f"Cannot write the feedback log {path}: {exc.strerror}.") from exc


def read_feedback(path: str | Path) -> list[dict]:
    """Every well-formed line of the log, in order (torn or foreign lines are skipped)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError as exc:
        raise FeedbackError(f"No feedback log at {path}.", "The chat writes it when an answer gets 👍 or 👎; "
                            "give another file with --feedback.") from exc
    except OSError as exc:
        raise FeedbackError(f"Cannot read the feedback log {path}: {exc.strerror}.") from exc
    rows = []
    for line in text.splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict) and row.get("verdict") in ("up", "down", "none") and str(row.get("question", "")).strip():
            rows.append(row)
    return rows


def latest_verdicts(rows: list[dict]) -> list[dict]:
    """The last row per (question, answer), in the order each pair was first judged; retracted ones dropped."""
    last: dict[tuple[str, str], dict] = {}
    for row in rows:
        key = (str(row["question"]).strip(), str(row.get("answer", "")))
        last.pop(key, None)  # re-inserted: the newest verdict of a pair sits where it was last judged
        last[key] = row
    return [row for row in last.values() if row["verdict"] != "none"]


def _lang(question: str) -> str:
    from rag.text.tokenize import is_chinese

    return "zh" if is_chinese(question) else "en"


def _question_id(question: str) -> str:
    return "fb-" + hashlib.sha1(question.strip().encode("utf-8")).hexdigest()[:10]


def to_question(row: dict) -> Question | None:
    """The question a 👍 row makes (see the module docstring), or None for a row to review."""
    citations = [c for c in row.get("citations") or [] if c.get("text")]
    if row["verdict"] != "up" or (row.get("answerable") and not citations):
        return None  # a 👍 on an answer without citations names no evidence either: reviewed like a 👎
    question = str(row["question"]).strip()
    q = Question(id=_question_id(question), question=question, lang=_lang(question), set="feedback")
    if not row.get("answerable"):
        q.type = "unanswerable"
        return q
    short = row.get("short_answer") or {}
    held = [c for c in citations if c.get("n") == short.get("citation")] if short.get("text") else []
    q.type = "fact"
    q.evidence = [str(c["text"]).strip() for c in held or citations]
    q.answer = [str(short["text"])] if held else []
    q.docs = sorted({str(c["doc_id"]) for c in held or citations})
    return q


def review_row(row: dict) -> dict:
    """A 👎 row as a question to review: the set's format with empty evidence, the rejected answer beside it."""
    question = str(row["question"]).strip()
    return {"id": _question_id(question), "question": question, "lang": _lang(question), "type": "review",
            "review": True, "evidence": [], "answer": [],
            "rejected": {k: row.get(k) for k in ("answer", "answerable", "short_answer", "refusal_reason",
                                                 "citations", "time")}}


def export_feedback(rows: list[dict]) -> tuple[list[Question], list[dict]]:
    """(questions for the eval set, rows to review) from the log's rows; one question per question text, the
    newest verdict deciding when the same question was judged more than once."""
    newest: dict[str, dict] = {}
    for row in latest_verdicts(rows):
        key = str(row["question"]).strip()
        newest.pop(key, None)
        newest[key] = row
    questions, review = [], []
    for row in newest.values():
        q = to_question(row)
        if q is not None:
            questions.append(q)
        else:
            review.append(review_row(row))
    return questions, review
