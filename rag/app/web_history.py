"""Conversations kept in the browser (``gr.BrowserState``): saved after every answer, listed to reopen or delete.

The store is one JSON value in the browser's localStorage, encrypted by Gradio with a key kept beside the
index folder (so a server restart can still read it)::

    {"conversations": [{"id", "title", "updated", "turns": [{"question", "answer", "error", "verdict"}]}]}

newest first, at most ``ChatConfig.max_conversations`` of them and ``max_turns`` turns each. A stored turn is
the question and the answer JSON without its question analysis and without the articles' texts (localStorage
holds a few MB per site); reopening takes each cited article from the current index when the cited span still
reads the same there, else the viewer shows the quoted passage only. Functions here take and return plain
values and never modify their arguments; anything malformed in a store is dropped, never raised.
"""
from __future__ import annotations

import os
import secrets
import time
import uuid
from pathlib import Path

from rag.config import ChatConfig

EMPTY: dict = {"conversations": []}
TITLE_CHARS = 40
STORAGE_KEY = "lugang-chat-history"


def browser_secret(index_dir: str | Path, config: ChatConfig | None = None) -> str:
    """The key the browser store is encrypted with: read from beside ``index_dir``, created once (mode 600)."""
    path = Path(index_dir).absolute().parent / (config or ChatConfig()).secret_file
    try:
        secret = path.read_text(encoding="ascii").strip()
        if len(secret) >= 16:
            return secret
    except (OSError, UnicodeDecodeError):
        pass
    secret = secrets.token_urlsafe(24)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secret + "\n")
    except OSError:  # a read-only folder: history then lasts until the server restarts
        pass
    return secret


def conversations(store: object) -> list[dict]:
    """The well-formed conversations of ``store`` (whatever the browser sent back)."""
    items = store.get("conversations") if isinstance(store, dict) else None
    out = []
    for c in items if isinstance(items, list) else []:
        if (isinstance(c, dict) and isinstance(c.get("id"), str) and c["id"] and isinstance(c.get("turns"), list)
                and all(isinstance(t, dict) and isinstance(t.get("question"), str) for t in c["turns"])):
            out.append(c)
    return out


def stored_turn(turn: dict) -> dict:
    """What the browser keeps of a turn: question, answer (without analysis), error, verdict."""
    answer = turn.get("answer")
    if isinstance(answer, dict):
        answer = {k: v for k, v in answer.items() if k != "analysis"}
    return {"question": turn.get("question", ""), "answer": answer, "error": turn.get("error"),
            "verdict": turn.get("verdict")}


def new_id() -> str:
    return uuid.uuid4().hex[:12]


def save(store: object, conv_id: str, turns: list[dict], config: ChatConfig | None = None) -> dict:
    """``store`` with conversation ``conv_id`` set to ``turns`` and moved to the front (a new store)."""
    config = config or ChatConfig()
    done = [stored_turn(t) for t in turns if t.get("answer") or t.get("error")][-config.max_turns:]
    rest = [c for c in conversations(store) if c["id"] != conv_id]
    if not done:
        return {"conversations": rest}
    title = " ".join(done[0]["question"].split())
    title = title if len(title) <= TITLE_CHARS else title[:TITLE_CHARS - 1] + "…"
    conv = {"id": conv_id, "title": title, "updated": int(time.time()), "turns": done}
    return {"conversations": [conv, *rest][: config.max_conversations]}


def delete(store: object, conv_id: str | None) -> dict:
    """``store`` without conversation ``conv_id`` (a new store)."""
    return {"conversations": [c for c in conversations(store) if c["id"] != conv_id]}


def choices(store: object) -> list[tuple[str, str]]:
    """(label, id) of every conversation, newest first: the title and the number of questions."""
    return [(f"{c.get('title') or '…'} ({len(c['turns'])})", c["id"]) for c in conversations(store)]


def reopen(store: object, conv_id: str | None, index=None) -> list[dict] | None:
    """The turns of conversation ``conv_id`` ready for the chat, or None when it is not in ``store``.

    ``index`` (the loaded index, optional) gives back the cited articles' texts where each citation's span
    still reads the same; the others are left out, so the viewer falls back to the quoted passage.
    """
    conv = next((c for c in conversations(store) if c["id"] == conv_id), None)
    if conv is None:
        return None
    turns = []
    for t in conv["turns"]:
        answer = t.get("answer") if isinstance(t.get("answer"), dict) else None
        turn = {"question": t["question"], "answer": answer, "error": t.get("error"), "partial": "",
                "verdict": t.get("verdict"), "sources": {}}
        if answer is None and not turn["error"]:
            continue
        if answer is not None and index is not None:
            turn["sources"] = _sources(answer, index)
        turns.append(turn)
    return turns


def _sources(answer: dict, index) -> dict[str, str]:
    out: dict[str, str] = {}
    for c in list(answer.get("citations") or []) + list(answer.get("related") or []):
        doc_id = c.get("doc_id") if isinstance(c, dict) else None
        if doc_id in out or doc_id not in index.docs:
            continue
        text = index.doc_text(doc_id)
        start, end = c.get("start", -1), c.get("end", -1)
        if isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= len(text) \
                and text[start:end] == c.get("text"):
            out[doc_id] = text
    return out
