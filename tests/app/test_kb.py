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
