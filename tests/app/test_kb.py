"""The knowledge base (rag.app.kb): file names it accepts, and deleted files kept in .trash."""
from __future__ import annotations

import pytest

from rag.errors import DocumentError

ARTICLE = "二连浩特口岸2024年进出口货运量达到1800万吨。"


@pytest.fixture
def kb(make_kb):
    return make_kb({"erenhot.txt": ARTICLE})


@pytest.mark.parametrize("name, why", [
    ("口岸" * 43 + ".txt", "bytes long"),  # 258 + 4 bytes
    ("line\nbreak.txt", "control characters"),
    ("tab\there.txt", "control characters"),
    ("zero\u200bwidth.txt", "control characters"),
    (".txt", "unsupported file type"),
])
def test_unusable_file_names_get_a_clear_error_and_nothing_is_written(kb, tmp_path, name, why):
    src = tmp_path / "upload.txt"
    src.write_text("满洲里口岸2023年中欧班列开行5000列。", encoding="utf-8")
    before = sorted(p.name for p in kb.corpus_dir.iterdir())
    with pytest.raises(DocumentError, match=why):
        kb.add_file(src, name=name)
    assert sorted(p.name for p in kb.corpus_dir.iterdir()) == before


def test_a_long_but_legal_name_is_accepted(kb, tmp_path):
    src = tmp_path / "upload.txt"
    src.write_text("满洲里口岸2023年中欧班列开行5000列。", encoding="utf-8")
    name = "满洲里" * 27 + ".txt"  # 243 + 4 bytes
    doc_id, _ = kb.add_file(src, name=name)
    assert (kb.corpus_dir / name).exists() and doc_id in {d["doc_id"] for d in kb.documents()}


def test_every_deleted_version_is_kept_in_the_trash(kb, tmp_path):
    src = tmp_path / "upload.txt"
    versions = ["霍尔果斯口岸上半年过货量增长12%。", "霍尔果斯口岸上半年过货量增长15%。"]
    for text in versions:
        src.write_text(text, encoding="utf-8")
        doc_id, _ = kb.add_file(src, name="horgos.txt")
        kb.delete(doc_id)
    kept = sorted((kb.corpus_dir / ".trash").glob("horgos.*.txt"))
    assert len(kept) == 2
    assert sorted(p.read_text(encoding="utf-8") for p in kept) == sorted(versions)
    assert not (kb.corpus_dir / "horgos.txt").exists()


def test_a_generation_written_by_another_process_is_swapped_in(kb, monkeypatch):
    from rag.app import kb as kb_module
    from rag.app.kb import KnowledgeBase

    monkeypatch.setattr(kb_module, "WATCH_SECONDS", 0.0)
    old = kb.engine.index.generation
    assert all(h.chunk.doc_id != "manzhouli" for h in kb.search("满洲里口岸中欧班列", k=5))
    (kb.corpus_dir / "manzhouli.txt").write_text("满洲里口岸2023年中欧班列开行5000列。", encoding="utf-8")
    KnowledgeBase(kb.corpus_dir, kb.index_dir).update()  # as `rag index` would, from another process
    assert kb.search("满洲里口岸中欧班列", k=1)[0].chunk.doc_id == "manzhouli"
    assert kb.engine.index.generation != old


def test_a_damaged_newer_generation_is_not_swapped_in(kb, monkeypatch, caplog):
    import json

    from rag.app import kb as kb_module

    monkeypatch.setattr(kb_module, "WATCH_SECONDS", 0.0)
    serving = kb.engine.index.generation
    manifest_path = kb.index_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["generation"] = "gen-9999"  # a generation that is not there
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    hits = kb.search("二连浩特口岸货运量", k=1)
    assert hits and hits[0].chunk.doc_id == "erenhot"
    assert kb.engine.index.generation == serving
    assert "could not be loaded" in caplog.text


def test_long_questions_are_answered_one_at_a_time(kb, monkeypatch):
    import threading
    import time

    from rag.app.kb import LONG_QUESTION_CHARS

    running, most = 0, 0
    lock = threading.Lock()

    def slow_ask(question, history=None, **kwargs):
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with lock:
            running -= 1

    monkeypatch.setattr(kb.engine, "ask", slow_ask)
    long_q = "口岸" * LONG_QUESTION_CHARS
    threads = [threading.Thread(target=kb.ask, args=(long_q,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most == 1
    most = 0
    short = [threading.Thread(target=kb.ask, args=("口岸货运量多少？",)) for _ in range(4)]
    for t in short:
        t.start()
    for t in short:
        t.join()
    assert most > 1  # short questions are not gated: they overlap
