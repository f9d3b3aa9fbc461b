"""Index file checksums (rag.index.checksums): every damaged file is refused, never served."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from rag.errors import IndexCorruptError
from rag.index import checksums
from rag.index.store import MANIFEST, load_index


@pytest.fixture(scope="module")
def built(news_kb) -> Path:
    news_kb.engine  # noqa: B018 - built and loaded once
    return news_kb.index_dir


def _copy(built: Path, tmp_path: Path) -> tuple[Path, Path]:
    dest = tmp_path / "index"
    shutil.copytree(built, dest)
    gen = dest / json.loads((dest / MANIFEST).read_text(encoding="utf-8"))["generation"]
    return dest, gen


def _index_files(built: Path) -> list[str]:
    return sorted(json.loads((built / MANIFEST).read_text(encoding="utf-8"))["digests"]["files"])


def test_the_manifest_records_every_generation_file(built):
    manifest = json.loads((built / MANIFEST).read_text(encoding="utf-8"))
    gen = built / manifest["generation"]
    on_disk = {p.relative_to(gen).as_posix() for p in gen.rglob("*") if p.is_file()} - {checksums.VERIFIED}
    assert set(manifest["digests"]["files"]) == on_disk
    assert {"chunks.jsonl", "vectors.faiss", "sentences.faiss", "knowledge.json", "bm25/vocab.json"} <= on_disk
    assert manifest["digests"]["algorithm"] == checksums.ALGORITHM


def _damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "empty":
        path.write_bytes(b"")
    elif how == "truncate":
        path.write_bytes(data[: len(data) // 2])
    else:  # flip one byte in the middle, size unchanged
        i = len(data) // 2
        path.write_bytes(data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1:])


@pytest.mark.parametrize("how", ["empty", "truncate", "flip"])
def test_every_damaged_file_is_refused_by_name(built, tmp_path, how):
    for rel in _index_files(built):
        case = tmp_path / f"{how}-{rel.replace('/', '_')}"
        dest, gen = _copy(built, case)
        _damage(gen / rel, how)
        with pytest.raises(IndexCorruptError) as err:
            load_index(dest)
        assert rel in err.value.message and "rag index --rebuild" in err.value.hint


def test_a_damaged_index_ends_in_a_message_and_exit_1_not_a_traceback(built, tmp_path):
    dest, gen = _copy(built, tmp_path)
    _damage(gen / "chunks.offsets.npy", "empty")
    run = subprocess.run([sys.executable, "-m", "rag", "search", "口岸", "--index", str(dest),
                          "--corpus", str(tmp_path / "corpus")], capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert "damaged" in run.stderr and "chunks.offsets.npy" in run.stderr and "rag index --rebuild" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout


def test_verified_files_are_not_read_again_until_they_change(built, tmp_path, monkeypatch):
    dest, gen = _copy(built, tmp_path)
    load_index(dest)  # verifies in full and remembers the stat of each file

    def no_hashing(path):
        raise AssertionError(f"{path} was hashed again")

    monkeypatch.setattr(checksums, "digest", no_hashing)
    load_index(dest)
    monkeypatch.undo()
    # rewritten with the same size and its modification time set back: the status-change time still moves
    path = gen / "docs.jsonl"
    st = path.stat()
    _damage(path, "flip")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    with pytest.raises(IndexCorruptError, match="docs.jsonl"):
        load_index(dest)


def test_an_unwritable_cache_only_costs_time(built, tmp_path, monkeypatch):
    dest, gen = _copy(built, tmp_path)
    (gen / checksums.VERIFIED).unlink(missing_ok=True)
    monkeypatch.setattr(checksums, "_write_cache", lambda gen, verified: None)
    assert len(load_index(dest)) > 0
    (gen / checksums.VERIFIED).write_text("{not json", encoding="utf-8")
    assert len(load_index(dest)) > 0


def test_an_index_without_checksums_still_loads(built, tmp_path, caplog):
    dest, _ = _copy(built, tmp_path)
    manifest = json.loads((dest / MANIFEST).read_text(encoding="utf-8"))
    del manifest["digests"]
    (dest / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    assert len(load_index(dest)) > 0
    assert "no file checksums" in caplog.text
