"""rag bench and the scale paths it drove: helpers, BM25 postings, IVF updates, the stat-based corpus scan.

No timing assertions: numbers depend on the machine; their presence and sanity are checked.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from rag.app.kb import KnowledgeBase
from rag.bench.data import clustered_vectors, corpus_sentences, percentile, recall_at_k, summary_ms, synthetic_articles
from rag.config import IndexConfig
from rag.index import vector_store
from rag.index.bm25 import BM25Index, top_rows
from rag.index.pooling import texts_to_embed
from rag.index.store import load_index, read_manifest
from rag.ingest import documents as corpus
from rag.ingest import scan as corpus_scan
from rag.ingest.chunking import chunk_document

from fixtures_news import FILES

# ---------------------------------------------------------------- measuring helpers


def test_recall_at_k_counts_shared_ids_and_ignores_padding():
    exact = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    assert recall_at_k(exact, exact, k=4) == 1.0
    assert recall_at_k(np.array([[1, 2, 9, 9], [8, 7, 6, 5]]), exact, k=4) == pytest.approx(0.75)
    assert recall_at_k(np.array([[1, -1, -1, -1]]), np.array([[1, 2, -1, -1]]), k=4) == 0.5
    assert recall_at_k(np.array([[3, 4, 1, 2]]), exact[:1], k=2) == 0.0  # only the top k count


def test_percentiles_and_summary():
    values = list(range(1, 101))
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile([], 95) == 0.0
    s = summary_ms(values)
    assert s["n"] == 100 and s["p50_ms"] < s["p95_ms"] <= 100


def test_clustered_vectors_are_unit_deterministic_and_near_their_centres(corpus_kb):
    index = corpus_kb.engine.index
    centres = index.vectors_for(range(len(index)))
    x = clustered_vectors(centres, 500, seed=1)
    assert x.shape == (500, index.dim) and x.dtype == np.float32
    assert np.allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(x, clustered_vectors(centres, 500, seed=1))
    assert (x @ centres.T).max(axis=1).min() > 0.8  # every vector sits in the corpus' neighbourhood


def test_synthetic_articles_recombine_real_sentences():
    sentences = corpus_sentences("corpus")
    assert len(sentences) > 100
    articles = synthetic_articles(sentences, 3, chars=800, seed=5)
    assert [a[0] for a in articles] == ["syn_00000.txt", "syn_00001.txt", "syn_00002.txt"]
    assert articles == synthetic_articles(sentences, 3, chars=800, seed=5)
    body = articles[0][1].split("\n\n", 1)[1]
    assert len(body) >= 800 and any(s in body for s in sentences)


# ---------------------------------------------------------------- BM25 postings


def _token_lists():
    from rag.text.tokenize import tokenize

    return [tokenize(s) for s in corpus_sentences("corpus")[:300]]


def test_bm25_scores_equal_bm25s():
    bm25s = pytest.importorskip("bm25s")
    tokens = _token_lists()
    ref = bm25s.BM25(k1=1.2, b=0.75)
    ref.index([t or [""] for t in tokens], show_progress=False)
    ours = BM25Index.build(tokens, k1=1.2, b=0.75)
    for query in (["开放", "工业"], ["枢纽", "班列", "班列"], ["中欧", "班列", "开行"]):
        assert np.allclose(ours.scores(query), ref.get_scores(query), atol=1e-4)
    assert not ours.scores(["不在词表里的词"]).any()


def test_bm25_update_equals_a_fresh_build_and_survives_save_load(tmp_path):
    tokens = _token_lists()
    old = BM25Index.build(tokens[:200])
    # drop old rows 50-99, keep the rest shifted, and put 30 new chunks where the dropped ones were
    new_tokens = tokens[200:230]
    mapping = np.full(200, -1)
    mapping[:50] = np.arange(50)
    mapping[100:] = np.arange(80, 180)
    updated = old.updated(mapping, 180, np.arange(50, 80), new_tokens)
    fresh = BM25Index.build(tokens[:50] + new_tokens + tokens[100:200])
    for query in (["开放", "工业"], ["枢纽", "班列"], ["2024年"]):
        assert np.allclose(updated.scores(query), fresh.scores(query), atol=1e-6)
    updated.save(tmp_path / "bm25")
    loaded = BM25Index.load(tmp_path / "bm25")
    assert np.array_equal(loaded.scores(["枢纽"]), updated.scores(["枢纽"]))


def test_top_rows_is_a_stable_partial_sort():
    rng = np.random.default_rng(0)
    for scores in (rng.integers(0, 4, 1000).astype(np.float32), rng.random(1000).astype(np.float32),
                   np.where(rng.random(5000) < 0.05, rng.random(5000), 0).astype(np.float32)):
        for k in (1, 10, 60, 5000):
            assert np.array_equal(top_rows(scores, k), np.argsort(-scores, kind="stable")[:k])


def test_resized_bm25_cuts_and_repeats_postings():
    from rag.bench.scale import resized_bm25

    tokens = _token_lists()[:100]
    unit = BM25Index.build(tokens)
    for n in (40, 250):
        fresh = BM25Index.build((tokens * 3)[:n])
        assert np.allclose(resized_bm25(unit, n).scores(["枢纽", "班列"]), fresh.scores(["枢纽", "班列"]))


def test_bm25_scale_rows_are_keyed_by_corpus_size():
    from rag.bench.scale import bm25_scale

    unit = BM25Index.build(_token_lists()[:100])
    rows = bm25_scale(unit, [["枢纽", "班列"], ["开放"]], (50, 300), log=lambda m: None)
    assert [r["n"] for r in rows] == [50, 300]  # was overwritten by the number of queries once
    assert [r["queries"] for r in rows] == [2, 2] and all(r["p50_ms"] > 0 for r in rows)


# ---------------------------------------------------------------- vectors


def test_vector_scale_reports_exact_recall_one_and_a_plot(tmp_path, corpus_kb, embedder):
    from rag.bench.report import plot
    from rag.bench.scale import vector_scale

    index = corpus_kb.engine.index
    base = clustered_vectors(index.vectors_for(range(len(index))), 3000, seed=4)
    queries = np.vstack([embedder.embed_query(q) for q in ("口岸班列", "规上工业增加值", "What is a land port?")])
    rows = vector_scale(base, queries, [1000, 3000], hnsw_max=1000, config=IndexConfig(), log=lambda m: None,
                        nprobes=(4, 64))
    assert [r["n"] for r in rows] == [1000, 3000]
    for r in rows:
        assert r["flat"]["recall_at_10"] == 1.0 and 0 <= r["ivf"]["recall_at_10"] <= 1
        assert r["ivf"]["nprobe"][64]["recall_at_10"] >= r["ivf"]["nprobe"][4]["recall_at_10"]
    assert "hnsw" in rows[0] and rows[1]["hnsw_build_s_extrapolated"] > 0
    result = {"vector_search": rows, "latency": {"chunks": 141, "search": {"p50_ms": 10.0},
              "search_without_embedding": {"p50_ms": 0.5}, "query_embed": {"p50_ms": 9.0}},
              "build": [{"chunks": 141, "build_s": 18.0, "index_chunks_per_s": 7.8}]}
    plot(result, tmp_path / "scale.png")
    assert (tmp_path / "scale.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------- the index at scale settings


def test_index_switches_to_ivf_and_updates_it_incrementally(tmp_path, corpus_kb):
    """flat_max below the corpus size: IVF for chunks and sentences; delete and re-add an article."""
    shutil.copytree(corpus_kb.corpus_dir, tmp_path / "corpus")
    shutil.copytree(corpus_kb.index_dir, tmp_path / "index", ignore=shutil.ignore_patterns(".lock"))
    kb = KnowledgeBase(tmp_path / "corpus", tmp_path / "index", index_config=IndexConfig(flat_max=100))
    smallest = min(kb.documents(), key=lambda d: d["chunks"])
    kb.delete(smallest["doc_id"])  # flat -> IVF, trained on the remaining vectors
    assert read_manifest(kb.index_dir)["index"]["faiss_type"] == "ivf"
    deleted = next((tmp_path / "corpus" / ".trash").glob(f"{Path(smallest['path']).stem}.*"))
    shutil.move(deleted, tmp_path / "corpus" / smallest["path"])
    report = kb.update()  # IVF kept: the article's vectors are added, every other row renumbered
    assert report.new_documents == [smallest["doc_id"]] and report.embedded_chunks == smallest["chunks"]
    index, ref = kb.engine.index, corpus_kb.engine.index
    assert index.manifest["index"]["faiss_type"] == index.manifest["index"]["sentence_faiss_type"] == "ivf"
    assert [c.chunk_id for c in index.chunks] == [c.chunk_id for c in ref.chunks]
    for question in ("2025年规上工业增加值增长多少", "综保区", "How many China-Europe trains?"):
        qv = ref_vec = corpus_kb.engine.retriever.embedder.embed_query(question)
        rows, scores = index.dense_search(qv, 10)  # 16 lists, 64 probed: exhaustive, hence exact
        ref_rows, ref_scores = ref.dense_search(ref_vec, 10)
        assert np.array_equal(rows, ref_rows) and np.allclose(scores, ref_scores, atol=1e-4)
        srows, _ = index.sentence_search(qv, 10)
        assert np.array_equal(srows, ref.sentence_search(ref_vec, 10)[0])
        assert [h.chunk.chunk_id for h in kb.search(question)] == [h.chunk.chunk_id for h in corpus_kb.search(question)]


def test_unchanged_files_are_not_read_again(make_kb, monkeypatch):
    kb = make_kb(FILES)
    monkeypatch.setattr(corpus_scan, "RACY_NS", 0)
    assert kb.update().unchanged  # records the files' size and mtime
    assert set(read_manifest(kb.index_dir)["file_stats"]) >= set(FILES)
    reads = []
    real = corpus.load_document
    monkeypatch.setattr(corpus, "load_document", lambda path, *a: reads.append(path.name) or real(path, *a))
    time.sleep(0.01)
    (kb.corpus_dir / "smes.txt").write_text("凭祥市共有市级“专精特新”企业300家。", encoding="utf-8")
    report = kb.update()
    assert reads == ["smes.txt"] and report.changed_documents == ["smes"]
    assert "300家" in kb.search("专精特新企业多少家", k=1)[0].chunk.text
    reads.clear()
    os.utime(kb.corpus_dir / "pingxiang.txt")  # touched, same text: read, hashed, nothing re-embedded
    report = kb.update()
    assert reads == ["pingxiang.txt"] and report.unchanged


def test_fresh_files_are_not_trusted_by_their_stats(make_kb):
    kb = make_kb(FILES)  # built right after the files were written: within the racy window
    stats = read_manifest(kb.index_dir)["file_stats"]
    assert not set(FILES) & set(stats)


def test_chunks_load_lazily_and_a_damaged_line_is_reported(make_kb):
    from rag.errors import IndexCorruptError

    kb = make_kb(FILES)
    index = load_index(kb.index_dir)
    assert all(c is None for c in index.chunks._cache)  # opening parses nothing
    assert index.chunks[0].chunk_id == index.manifest["documents"][0]["chunk_ids"][0]
    gen = kb.index_dir / index.generation
    data = (gen / "chunks.jsonl").read_bytes()
    (gen / "chunks.jsonl").write_bytes(b"[" + data[1:])  # same size, broken JSON in line 0
    with pytest.raises(IndexCorruptError) as err:
        load_index(kb.index_dir).chunks[0]
    assert "rag index" in err.value.hint


# ---------------------------------------------------------------- the command


def test_quick_bench_reports_the_key_ratios(make_kb, tmp_path):
    from rag.bench.report import summary_lines, tables
    from rag.bench.run import QUICK_KEYS, run_bench

    kb = make_kb(FILES, build=False)
    result = run_bench(kb.corpus_dir, tmp_path / "no-index", quick=True, work_dir=tmp_path / "work", log=lambda m: None)
    key = result["key"]
    assert set(key) == set(QUICK_KEYS)
    assert all(isinstance(v, (int, float)) and v > 0 for v in key.values())
    assert 0.2 < key["index_ratio"] < 2 and key["search_ratio"] >= 0.5
    cost = result["cost"]  # build seconds over one pass of the model over the chunk texts, same run
    assert key["index_cost_ratio"] == pytest.approx(cost["build_s"] / cost["chunk_embed_s"], rel=0.01)
    assert cost["vectors"] == IndexConfig().vectors and cost["chunk_texts"] == result["build"][0]["chunks"]
    chunks = [c for d in corpus.load_corpus(tmp_path / "work" / "corpus")[0] for c in chunk_document(d)]
    assert result["build"][0]["texts"] == len(texts_to_embed(chunks, cost["vectors"]))  # what the build embeds
    assert key["search_p50_ms"] >= key["query_embed_ms"] * 0.5
    assert result["build"][0]["chunks"] >= 2 and result["latency"]["search"]["n"] == 40
    assert result["cold"]["search"]["p50_s"] > 0
    assert "index build" in "\n".join(summary_lines(result)) and "| input |" in tables(result)
    assert "index cost" in "\n".join(summary_lines(result)) and "index_cost_ratio" in tables(result)
    json.dumps(result)  # the whole result is JSON


def test_cli_bench_quick_prints_json(make_kb, tmp_path, capsys, monkeypatch):
    from rag.app.cli import main
    from rag.bench import run as bench

    kb = make_kb(FILES)
    monkeypatch.setattr(bench, "questions", lambda limit=None: ["凭祥班列开行多少列", "二连浩特换装"])
    assert main(["bench", "--quick", "--corpus", str(kb.corpus_dir), "--index", str(kb.index_dir)]) == 0
    key = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(key) == set(bench.QUICK_KEYS)


def test_adding_to_a_large_index_links_its_ivf_base_and_writes_a_delta(tmp_path, corpus_kb):
    """An added article's vectors go to an exact delta; the IVF base file is shared, not rewritten."""
    shutil.copytree(corpus_kb.corpus_dir, tmp_path / "corpus")
    shutil.copytree(corpus_kb.index_dir, tmp_path / "index", ignore=shutil.ignore_patterns(".lock"))
    kb = KnowledgeBase(tmp_path / "corpus", tmp_path / "index", index_config=IndexConfig(flat_max=100))
    (tmp_path / "corpus" / "zz_a.txt").write_text("# 阿拉山口简讯\n\n阿拉山口市新建一座冷链物流仓库。", encoding="utf-8")
    kb.update()  # 142 chunks > flat_max: the vectors are copied into a new IVF index
    gen = lambda: kb.index_dir / read_manifest(kb.index_dir)["generation"]  # noqa: E731
    base_inode = os.stat(gen() / "vectors.faiss").st_ino
    (tmp_path / "corpus" / "zz_note.txt").write_text(
        "# 瑞丽新闻简讯\n\n瑞丽市今年新开通一条至东盟的国际货运班列线路。该线路每周开行两班。", encoding="utf-8")
    report = kb.update()
    assert report.new_documents == ["zz_note"]
    manifest = read_manifest(kb.index_dir)["index"]
    assert manifest["faiss_segments"] == {"base": 142, "deleted": 0, "delta": report.embedded_chunks}
    assert manifest["sentence_faiss_segments"]["delta"] > 0
    assert os.stat(gen() / "vectors.faiss").st_ino == base_inode and (gen() / "vectors.delta.faiss").exists()
    index = kb.engine.index
    n, n_sent = len(index), int(index.sent_start[-1])
    exact = vector_store.build(index.vectors.reconstruct(range(n)), index.dim, flat_max=10**9, nprobe=64)
    exact_sent = vector_store.build(index.sentence_vectors.reconstruct(range(n_sent)), index.dim, 10**9, 64)
    embed = corpus_kb.engine.retriever.embedder.embed_query
    for question in ("瑞丽至东盟的国际货运班列每周开几班", "2025年规上工业增加值增长多少"):
        qv = embed(question)  # 16 lists, 64 probed: exhaustive, so equal to exact search
        rows, scores = index.dense_search(qv, 10)
        assert np.array_equal(rows, exact.search(qv, 10)[0]) and np.allclose(scores, exact.search(qv, 10)[1])
        assert np.array_equal(index.sentence_search(qv, 10)[0], exact_sent.search(qv, 10)[0])
    assert kb.search("瑞丽至东盟的国际货运班列每周开几班", k=1)[0].chunk.doc_id == "zz_note"
    kb.delete("zz_note")  # the delta empties: back to the base alone, still the same file
    assert read_manifest(kb.index_dir)["index"]["faiss_segments"] == {"base": 142, "deleted": 0, "delta": 0}
    assert os.stat(gen() / "vectors.faiss").st_ino == base_inode and not (gen() / "vectors.rows.npy").exists()
