"""RAG_BACKEND=milvus against a real milvus-lite file: build, search, add, delete, rebuild, reopen, crashes."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.config import BackendConfig, IndexConfig
from rag.errors import IndexCorruptError, IndexMismatchError, RagError, VectorStoreError
from rag.index import build as build_module
from rag.index import milvus_store
from rag.index.build import build_index
from rag.index.store import load_index, read_manifest

from fixtures_news import FILES, KASHGAR

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

FAISS = BackendConfig()


@pytest.fixture
def milvus(tmp_path):
    """A milvus-lite backend in tmp_path; its in-process server is stopped afterwards."""
    uri = str(tmp_path / "vectors.db")
    yield BackendConfig(name="milvus", milvus_uri=uri)
    milvus_store.release(uri)


def corpus(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir(exist_ok=True)
    for old in folder.iterdir():
        if old.name not in files:
            old.unlink()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def collection_rows(backend: BackendConfig, collection: str, flt: str = "") -> int:
    c = milvus_store.client(backend.milvus_uri)
    return int(c.query(collection, filter=flt, output_fields=["count(*)"])[0]["count(*)"])


def doc_rows(index, doc_id: str) -> set[int]:
    return {i for i, ch in enumerate(index.chunks) if ch.doc_id == doc_id}


def test_build_and_search_match_faiss(tmp_path, embedder, milvus):
    src = corpus(tmp_path, FILES)
    build_index(src, tmp_path / "mi", embedder=embedder, backend=milvus)
    build_index(src, tmp_path / "fi", embedder=embedder, backend=FAISS)
    mi, fi = load_index(tmp_path / "mi", backend=milvus), load_index(tmp_path / "fi", backend=FAISS)
    manifest = read_manifest(tmp_path / "mi")
    assert manifest["index"]["backend"] == "milvus"
    assert manifest["index"]["vectors"] == read_manifest(tmp_path / "fi")["index"]["vectors"] == IndexConfig().vectors
    assert manifest["index"]["milvus"]["uri"] == milvus.milvus_uri
    assert manifest["files"]["faiss"] == "vectors.pks.npy"
    assert not list((tmp_path / "mi").glob("gen-*/*.faiss"))  # the vectors live in Milvus only
    assert mi.vectors.ntotal == len(mi) == len(fi) > 0
    for question in ("凭祥班列开行了多少列", "二连浩特换装", "专精特新企业"):
        q = embedder.embed_query(question)
        m_rows, m_scores = mi.dense_search(q, 5)
        f_rows, f_scores = fi.dense_search(q, 5)
        assert m_rows.tolist() == f_rows.tolist()
        np.testing.assert_allclose(m_scores, f_scores, atol=1e-5)
        s_rows, _ = mi.sentence_search(q, 4)
        assert s_rows.tolist() == fi.sentence_search(q, 4)[0].tolist()
    np.testing.assert_allclose(mi.vectors_for([2, 0]), fi.vectors_for([2, 0]), atol=1e-6)
    np.testing.assert_allclose(mi.sentence_vectors_for([1]), fi.sentence_vectors_for([1]), atol=1e-6)


def test_add_delete_and_reopen(tmp_path, embedder, milvus):
    files = dict(FILES)
    index_dir = tmp_path / "idx"
    build_index(corpus(tmp_path, files), index_dir, embedder=embedder, backend=milvus)
    first = read_manifest(index_dir)["index"]["milvus"]["faiss"]
    # add an article: inserted into the same collection under new keys, earlier keys kept
    files["kashgar.txt"] = KASHGAR
    report = build_index(corpus(tmp_path, files), index_dir, embedder=embedder, backend=milvus)
    assert report.new_documents == ["kashgar"] and report.embedded_chunks < 10
    index = load_index(index_dir, backend=milvus)
    record = index.manifest["index"]["milvus"]["faiss"]
    assert record["collection"] == first["collection"] and record["next_pk"] > first["next_pk"]
    rows, _ = index.dense_search(embedder.embed_query("喀什综合保税区一季度进出口额"), 3)
    assert index.chunks[int(rows[0])].doc_id == "kashgar"
    # delete an article: its text is never retrieved, and its vectors leave the collection
    gone = "pingxiang"
    before = load_index(index_dir, backend=milvus)
    gone_vecs = before.vectors_for(sorted(doc_rows(before, gone)))
    del files["pingxiang.txt"]
    report = build_index(corpus(tmp_path, files), index_dir, embedder=embedder, backend=milvus)
    assert report.removed_documents == [gone]
    index = load_index(index_dir, backend=milvus)
    assert gone not in {ch.doc_id for ch in index.chunks}
    for vec in gone_vecs:  # the deleted chunks' own vectors as queries: the nearest is still not them
        rows, _ = index.dense_search(vec, len(index))
        assert len(rows) == len(index) and all(index.chunks[int(r)].doc_id != gone for r in rows)
    assert collection_rows(milvus, record["collection"], f'doc_id == "{gone}"') == 0
    assert collection_rows(milvus, record["collection"]) == len(index)
    sentences = index.manifest["index"]["milvus"]["sentence_faiss"]["collection"]
    assert collection_rows(milvus, sentences) == int(index.sent_start[-1])
    # reopen: a new client and a restarted milvus-lite over the same file
    expect = index.dense_search(embedder.embed_query("二连浩特换装"), 3)
    milvus_store.release(milvus.milvus_uri)
    reopened = load_index(index_dir, backend=milvus)
    got = reopened.dense_search(embedder.embed_query("二连浩特换装"), 3)
    assert got[0].tolist() == expect[0].tolist()


def test_rebuild_makes_a_new_collection_and_moves_the_alias(tmp_path, embedder, milvus):
    src = corpus(tmp_path, FILES)
    build_index(src, tmp_path / "idx", embedder=embedder, backend=milvus)
    old = read_manifest(tmp_path / "idx")["index"]["milvus"]["faiss"]
    build_index(src, tmp_path / "idx", embedder=embedder, backend=milvus, rebuild=True)
    new = read_manifest(tmp_path / "idx")["index"]["milvus"]["faiss"]
    assert new["collection"] != old["collection"] and new["alias"] == old["alias"]
    c = milvus_store.client(milvus.milvus_uri)
    assert c.describe_alias(new["alias"])["collection_name"] == new["collection"]
    assert old["collection"] not in c.list_collections()  # dropped once the new one serves
    index = load_index(tmp_path / "idx", backend=milvus)
    rows, _ = index.dense_search(embedder.embed_query("凭祥站货场智能门吊"), 1)
    assert "门吊" in index.chunks[int(rows[0])].text


def test_a_crashed_update_leaves_the_old_index_serving(tmp_path, embedder, milvus, monkeypatch):
    files = dict(FILES)
    index_dir = tmp_path / "idx"
    build_index(corpus(tmp_path, files), index_dir, embedder=embedder, backend=milvus)
    q = embedder.embed_query("喀什综合保税区一季度进出口额")
    expect = load_index(index_dir, backend=milvus).dense_search(q, 5)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    files["kashgar.txt"] = KASHGAR
    monkeypatch.setattr(build_module.checksums, "record", crash)  # after the Milvus inserts, before the switch
    with pytest.raises(KeyboardInterrupt):
        build_index(corpus(tmp_path, files), index_dir, embedder=embedder, backend=milvus)
    monkeypatch.undo()
    index = load_index(index_dir, backend=milvus)
    record = index.manifest["index"]["milvus"]["faiss"]
    assert collection_rows(milvus, record["collection"]) > len(index)  # the crashed update's vectors are there...
    got = index.dense_search(q, 5)  # ...but the live generation does not see them
    assert got[0].tolist() == expect[0].tolist()
    build_index(corpus(tmp_path, files), index_dir, embedder=embedder, backend=milvus)
    index = load_index(index_dir, backend=milvus)
    assert collection_rows(milvus, record["collection"]) == len(index)  # the leftovers were cleaned up


def test_backend_switch_reuses_embeddings_and_env_mismatch_is_reported(tmp_path, embedder, milvus):
    src = corpus(tmp_path, FILES)
    build_index(src, tmp_path / "idx", embedder=embedder, backend=FAISS)
    q = embedder.embed_query("凭祥班列开行了多少列")
    expect = load_index(tmp_path / "idx", backend=FAISS).dense_search(q, 3)
    report = build_index(src, tmp_path / "idx", embedder=embedder, backend=milvus)
    assert report.embedded_chunks == 0 and not report.unchanged
    index = load_index(tmp_path / "idx", backend=BackendConfig())  # RAG_BACKEND unset: the index's own backend
    assert index.manifest["index"]["backend"] == "milvus"
    assert index.dense_search(q, 3)[0].tolist() == expect[0].tolist()
    with pytest.raises(IndexMismatchError, match="keeps its vectors in milvus"):
        load_index(tmp_path / "idx", backend=BackendConfig(name="faiss", explicit=True))


def test_missing_collection_is_a_damaged_index(tmp_path, embedder, milvus):
    build_index(corpus(tmp_path, FILES), tmp_path / "idx", embedder=embedder, backend=milvus)
    record = read_manifest(tmp_path / "idx")["index"]["milvus"]["faiss"]
    c = milvus_store.client(milvus.milvus_uri)
    c.drop_alias(record["alias"])
    c.drop_collection(record["collection"])
    with pytest.raises(IndexCorruptError, match="does not exist") as err:
        load_index(tmp_path / "idx", backend=milvus)
    assert "RAG_MILVUS_URI" in err.value.hint


def test_backend_settings_from_env():
    assert BackendConfig.from_env({}) == BackendConfig()
    cfg = BackendConfig.from_env({"RAG_BACKEND": "Milvus", "RAG_MILVUS_URI": "http://db:19530",
                                  "RAG_MILVUS_INDEX": "hnsw"})
    assert (cfg.name, cfg.milvus_uri, cfg.index_type, cfg.explicit) == ("milvus", "http://db:19530", "HNSW", True)
    with pytest.raises(RagError, match="RAG_BACKEND"):
        BackendConfig.from_env({"RAG_BACKEND": "qdrant"})
    with pytest.raises(RagError, match="RAG_MILVUS_INDEX"):
        BackendConfig.from_env({"RAG_MILVUS_INDEX": "DISKANN"})
    with pytest.raises(RagError, match="neither a server address nor a .db file"):
        milvus_store.resolve_uri("/data/vectors", Path("."))
    assert milvus_store.resolve_uri(None, Path("/x/index")) == "/x/index/milvus.db"


def test_a_crash_after_the_switch_is_cleaned_up_by_the_next_build(tmp_path, embedder, milvus, monkeypatch):
    files = dict(FILES)
    index_dir = tmp_path / "idx"
    build_index(corpus(tmp_path, files), index_dir, embedder=embedder, backend=milvus)

    def interrupted(*args, **kwargs):
        raise VectorStoreError("connection lost")

    del files["smes.txt"]
    monkeypatch.setattr(milvus_store, "settle", interrupted)  # the manifest switched, the deletes never ran
    build_index(corpus(tmp_path, files), index_dir, embedder=embedder, backend=milvus)
    monkeypatch.undo()
    index = load_index(index_dir, backend=milvus)
    collection = index.manifest["index"]["milvus"]["faiss"]["collection"]
    assert collection_rows(milvus, collection, 'doc_id == "smes"') > 0  # still stored...
    rows, _ = index.dense_search(embedder.embed_query("专精特新企业数量"), len(index))
    assert len(rows) == len(index) and "smes" not in {index.chunks[int(r)].doc_id for r in rows}  # ...never found
    files["kashgar.txt"] = KASHGAR
    build_index(corpus(tmp_path, files), index_dir, embedder=embedder, backend=milvus)
    index = load_index(index_dir, backend=milvus)
    assert collection_rows(milvus, collection, 'doc_id == "smes"') == 0
    assert collection_rows(milvus, collection) == len(index)


def test_growing_past_flat_max_swaps_the_collection_index(tmp_path, embedder, milvus):
    from rag.config import IndexConfig

    files = dict(FILES)
    first = build_index(corpus(tmp_path, files), tmp_path / "idx", embedder=embedder, backend=milvus)
    config = IndexConfig(flat_max=first.chunks)  # exact now; one more article crosses it
    files["kashgar.txt"] = KASHGAR
    build_index(corpus(tmp_path, files), tmp_path / "idx", embedder=embedder, backend=milvus, config=config)
    index = load_index(tmp_path / "idx", backend=milvus)
    record = index.manifest["index"]["milvus"]["faiss"]
    assert record["index_type"] == "IVF_FLAT" and index.manifest["index"]["faiss_type"] == "milvus:IVF_FLAT"
    c = milvus_store.client(milvus.milvus_uri)
    assert c.describe_index(record["collection"], "vector")["index_type"] == "IVF_FLAT"
    assert index.manifest["index"]["milvus"]["sentence_faiss"]["index_type"] == "IVF_FLAT"  # more sentences
    rows, _ = index.dense_search(embedder.embed_query("喀什综合保税区一季度进出口额"), 3)
    assert index.chunks[int(rows[0])].doc_id == "kashgar"


def test_an_update_on_milvus_keeps_the_two_pass_mode_of_its_index(tmp_path, embedder, milvus):
    index_dir = tmp_path / "idx"
    src = corpus(tmp_path, FILES)
    build_index(src, index_dir, embedder=embedder, backend=milvus, config=IndexConfig(vectors="two-pass"))
    build_index(corpus(tmp_path, {**FILES, "kashgar.txt": KASHGAR}), index_dir, embedder=embedder, backend=milvus)
    assert read_manifest(index_dir)["index"]["vectors"] == "two-pass"
    index = load_index(index_dir, backend=milvus)
    rows = [i for i, c in enumerate(index.chunks) if c.doc_id == "kashgar"]
    want = embedder.embed_passages([index.chunks[i].embed_text for i in rows])
    np.testing.assert_allclose(index.vectors_for(rows), want, atol=2e-3)
