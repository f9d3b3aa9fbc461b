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


def test_a_base_file_carried_forward_by_a_hard_link_is_not_hashed_again(corpus_kb, tmp_path, monkeypatch):
    """Neither when the new generation is recorded nor when it is loaded (removing the old generation
    changes the shared files' ctime; the build renews their verified stat)."""
    from rag.app.kb import KnowledgeBase
    from rag.config import IndexConfig

    shutil.copytree(corpus_kb.corpus_dir, tmp_path / "corpus")
    kb = KnowledgeBase(tmp_path / "corpus", tmp_path / "index", index_config=IndexConfig(flat_max=100))
    kb.update()  # over flat_max: IVF, whose base files later generations hard-link
    first = kb.engine.index.path / kb.engine.index.generation
    inodes = {p.relative_to(first).as_posix(): p.stat().st_ino for p in first.rglob("*") if p.is_file()}
    hashed: list[str] = []
    real = checksums.digest
    monkeypatch.setattr(checksums, "digest", lambda path: hashed.append(Path(path).name) or real(path))
    (tmp_path / "corpus" / "extra.txt").write_text("东兴口岸2024年进出口货运量达到300万吨。", encoding="utf-8")
    kb.update()
    second = kb.engine.index.path / kb.engine.index.generation
    linked = [p.relative_to(second).as_posix() for p in second.rglob("*")
              if p.is_file() and inodes.get(p.relative_to(second).as_posix()) == p.stat().st_ino]
    assert linked  # the IVF base files
    assert not set(Path(rel).name for rel in linked) & set(hashed)
    manifest = json.loads((kb.index_dir / MANIFEST).read_text(encoding="utf-8"))["digests"]["files"]
    assert all(manifest[rel]["digest"] == real(second / rel) for rel in linked)  # and their digests are right
