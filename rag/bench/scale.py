"""``rag bench`` at scale: vector search and BM25 at 10k-1M rows, and a 100k-chunk index on disk.

Vectors here are synthetic (see :func:`rag.bench.data.clustered_vectors`),
queries are real questions embedded by the real model, and recall@10 of the
approximate index is measured against exact search over the same vectors.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from rag.bench.data import (
    SyntheticEmbedder,
    corpus_sentences,
    dir_size,
    latencies_ms,
    recall_at_k,
    summary_ms,
    synthetic_articles,
    write_articles,
)
from rag.config import IndexConfig
from rag.index import checksums, vector_store
from rag.index.bm25 import BM25Index
from rag.index.build import build_index
from rag.index.embedding import Embedder
from rag.index.generation import FILES
from rag.index.store import load_index

Log = Callable[[str], None]


def _search_all(index, queries: np.ndarray, k: int = 10) -> tuple[list[float], np.ndarray]:
    times, found = [], []
    for q in queries:
        t0 = time.perf_counter()
        _, ids = index.search(q[None, :], k)
        times.append((time.perf_counter() - t0) * 1000)
        found.append(ids[0])
    return times, np.asarray(found)


def _index_bytes(index) -> int:
    faiss = vector_store.faiss_module()
    writer = faiss.VectorIOWriter()
    faiss.write_index(index, writer)
    return int(writer.data.size())


def vector_scale(base: np.ndarray, queries: np.ndarray, sizes: Sequence[int], hnsw_max: int,
                 config: IndexConfig, log: Log, nprobes: Sequence[int] = (4, 8, 16, 32, 64)) -> list[dict]:
    """Exact vs IVF (the product's choice) vs HNSW at each size; IVF nprobe swept at every size."""
    faiss = vector_store.faiss_module()
    dim = base.shape[1]
    rows = []
    for n in sizes:
        x = base[:n]
        row: dict = {"n": n, "vector_mb": round(x.nbytes / 2**20, 1)}
        flat = faiss.IndexFlatIP(dim)
        flat.add(x)
        times, exact = _search_all(flat, queries)
        row["flat"] = {**summary_ms(times), "recall_at_10": 1.0}
        del flat
        t0 = time.perf_counter()
        ivf = vector_store.build(x, dim, flat_max=0, nprobe=config.ivf_nprobe).base
        row["ivf"] = {"build_s": round(time.perf_counter() - t0, 2), "nlist": int(ivf.nlist),
                      "bytes": _index_bytes(ivf), "nprobe": {}}
        for nprobe in nprobes:
            ivf.nprobe = nprobe
            times, found = _search_all(ivf, queries)
            row["ivf"]["nprobe"][nprobe] = {**summary_ms(times), "recall_at_10": round(recall_at_k(found, exact), 4)}
        row["ivf"].update(row["ivf"]["nprobe"][config.ivf_nprobe])
        del ivf
        log(f"vectors {n:>9,}: flat p50 {row['flat']['p50_ms']:.2f} ms, IVF{row['ivf']['nlist']} "
            f"nprobe {config.ivf_nprobe} p50 {row['ivf']['p50_ms']:.3f} ms recall {row['ivf']['recall_at_10']:.3f} "
            f"(build {row['ivf']['build_s']:.1f} s)")
        if n <= hnsw_max:
            row["hnsw"] = _hnsw(x, queries, exact)
            log(f"  HNSW32: build {row['hnsw']['build_s']:.1f} s, efSearch {row['hnsw']['ef_search']}: "
                f"p50 {row['hnsw']['p50_ms']:.3f} ms, recall {row['hnsw']['recall_at_10']:.3f}")
        rows.append(row)
    _extrapolate_hnsw(rows)
    return rows


def _hnsw(x: np.ndarray, queries: np.ndarray, exact: np.ndarray, efs: Sequence[int] = (64, 128, 256, 512)) -> dict:
    """HNSW32 (efConstruction 80); the headline efSearch is the smallest reaching recall@10 0.95."""
    faiss = vector_store.faiss_module()
    t0 = time.perf_counter()
    hnsw = faiss.IndexHNSWFlat(x.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
    hnsw.hnsw.efConstruction = 80
    hnsw.add(x)
    out: dict = {"build_s": round(time.perf_counter() - t0, 2), "bytes": _index_bytes(hnsw), "m": 32,
                 "ef_construction": 80, "ef": {}}
    for ef in efs:
        hnsw.hnsw.efSearch = ef
        times, found = _search_all(hnsw, queries)
        out["ef"][ef] = {**summary_ms(times), "recall_at_10": round(recall_at_k(found, exact), 4)}
    best = next((ef for ef in efs if out["ef"][ef]["recall_at_10"] >= 0.95), efs[-1])
    out.update(out["ef"][best], ef_search=best)
    return out


def _extrapolate_hnsw(rows: list[dict]) -> None:
    """HNSW build time beyond what was measured: n log n from the largest measured size."""
    measured = [r for r in rows if "hnsw" in r]
    if not measured:
        return
    ref = measured[-1]
    for r in rows:
        if "hnsw" not in r:
            scale = r["n"] * np.log(r["n"]) / (ref["n"] * np.log(ref["n"]))
            r["hnsw_build_s_extrapolated"] = round(ref["hnsw"]["build_s"] * scale, 1)


def resized_bm25(unit: BM25Index, n: int) -> BM25Index:
    """``unit`` cut to its first ``n`` chunks, or repeated until it has ``n`` (postings copied, no tokenising)."""
    m = unit.num_docs
    if n <= m:
        mapping = np.where(np.arange(m) < n, np.arange(m), -1)
        return unit.updated(mapping, n, np.zeros(0, np.int64), [])
    reps = -(-n // m)
    indptr, rows, tfs = np.asarray(unit.indptr), np.asarray(unit.rows), np.asarray(unit.tfs)
    counts = np.diff(indptr)
    term = np.repeat(np.arange(len(counts)), counts)
    within = np.arange(len(rows)) - indptr[term]
    out_rows = np.empty(len(rows) * reps, dtype=np.int64)
    out_tfs = np.empty(len(rows) * reps, dtype=np.float32)
    for c in range(reps):  # term-major: term t holds its postings of copy 0, then copy 1, ...
        pos = reps * indptr[term] + c * counts[term] + within
        out_rows[pos] = rows + c * m
        out_tfs[pos] = tfs
    keep = out_rows < n
    new_indptr = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(np.bincount(_terms_of(indptr, reps)[keep], minlength=len(counts)), out=new_indptr[1:])
    lengths = np.tile(np.asarray(unit.lengths), reps)[:n]
    return BM25Index(unit.vocab, new_indptr, out_rows[keep].astype(np.int32), out_tfs[keep], lengths, unit.k1, unit.b)


def _terms_of(indptr: np.ndarray, reps: int) -> np.ndarray:
    """Term of every posting of an index whose lists were each repeated ``reps`` times."""
    return np.repeat(np.arange(len(indptr) - 1), np.diff(indptr) * reps)


def bm25_scale(unit: BM25Index, query_tokens: Sequence[Sequence[str]], sizes: Sequence[int],
               log: Log) -> list[dict]:
    """BM25 query time (scores + top 60) at each size, from ``unit``'s postings cut or repeated."""
    rows = []
    for n in sizes:
        t0 = time.perf_counter()
        bm25 = resized_bm25(unit, n)
        build_s = time.perf_counter() - t0

        def search(toks, bm25=bm25):
            scores = bm25.scores(toks)
            k = min(60, len(scores))
            np.argpartition(-scores, k - 1)[:k]

        bm25.term_id("")  # the term dictionary is built on first use; not part of a query
        times = latencies_ms(search, query_tokens)
        # summary_ms' "n" counts queries; here n is the corpus size
        rows.append({**summary_ms(times), "n": n, "queries": len(times), "postings": int(len(bm25.rows)),
                     "vocab": len(bm25.vocab), "resize_s": round(build_s, 2)})
        log(f"BM25 {n:>9,} chunks: p50 {rows[-1]['p50_ms']:.2f} ms ({len(bm25.rows):,} postings)")
    return rows


# ---------------------------------------------------------------- a large index on disk


def large_index(work: Path, corpus_dir: Path, n_chunks: int, embedder: Embedder, centres: np.ndarray,
                queries: Sequence[str], config: IndexConfig, log: Log) -> dict:
    """Build a ``n_chunks`` index (synthetic vectors), then measure it: disk, load, memory, search, add, delete."""
    folder = work / "large_corpus"
    index_dir = work / "large_index"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(index_dir, ignore_errors=True)
    sentences = corpus_sentences(corpus_dir)
    per_article = 39  # chunks of a 6000-character synthetic article, measured
    write_articles(folder, synthetic_articles(sentences, max(1, n_chunks // per_article)))
    time.sleep(2.1)  # files this fresh are not trusted by their stats (rag.ingest.scan.RACY_NS)
    t0 = time.perf_counter()
    report = build_index(folder, index_dir, embedder=SyntheticEmbedder(centres, embedder.model_id), config=config)
    out: dict = {"chunks": report.chunks, "documents": report.documents,
                 "build_s": round(time.perf_counter() - t0, 2),
                 "build_timings": report.timings}
    log(f"large index: {report.chunks:,} chunks built in {out['build_s']:.1f} s (synthetic vectors)")
    gen = index_dir / json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))["generation"]
    out["disk"] = {name: dir_size(gen / f) if (gen / f).is_dir() else (gen / f).stat().st_size
                   for name, f in FILES.items()}
    out["disk_total"] = dir_size(index_dir)
    out["verify"] = _verify_cost(index_dir, gen)
    log(f"  checksums: {out['verify']['full_s']:.2f} s to verify every file "
        f"({out['verify']['mb_per_s']:.0f} MB/s), {out['verify']['cached_ms']:.2f} ms when unchanged")
    index = load_index(index_dir)
    out["kinds"] = {k: index.manifest["index"].get(k) for k in ("faiss_type", "sentence_faiss_type")}
    out["sentences"] = int(index.sent_start[-1])
    del index
    noop = build_index(folder, index_dir, embedder=embedder, config=config)
    out["noop_update_s"] = round(noop.seconds, 3)
    out["process"] = process_probe(folder, index_dir, queries)
    log(f"  load {out['process']['load_s']:.2f} s, peak RSS {out['process']['peak_rss_mb']:.0f} MB, "
        f"search p50 {out['process']['search']['p50_ms']:.1f} ms")
    # add one real article (real model), then delete it
    article = max(sorted(corpus_dir.glob("*.txt")), key=lambda p: p.stat().st_size)
    shutil.copyfile(article, folder / ("zz_" + article.name))
    add = build_index(folder, index_dir, embedder=embedder, config=config)
    out["add"] = {"seconds": round(add.seconds, 3), "embed_s": round(add.embed_seconds, 3),
                  "overhead_s": round(add.seconds - add.embed_seconds, 3), "embedded_chunks": add.embedded_chunks,
                  "timings": add.timings}
    log(f"  add one article: {add.seconds:.2f} s = embedding {add.embed_seconds:.2f} s "
        f"+ {add.seconds - add.embed_seconds:.2f} s")
    (folder / ("zz_" + article.name)).unlink()
    delete = build_index(folder, index_dir, embedder=embedder, config=config)
    out["delete"] = {"seconds": round(delete.seconds, 3), "timings": delete.timings}
    log(f"  delete one article: {delete.seconds:.2f} s")
    # the same as a user runs it: `rag index` in a fresh process (imports, model and jieba load included)
    out["cli"] = {}
    for step in ("add", "delete"):
        if step == "add":
            shutil.copyfile(article, folder / ("zz_" + article.name))
        else:
            (folder / ("zz_" + article.name)).unlink()
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "rag", "index", "-q", "--corpus", str(folder), "--index", str(index_dir)],
                       check=True, capture_output=True, timeout=600)
        out["cli"][f"{step}_s"] = round(time.perf_counter() - t0, 3)
    log(f"  rag index in a fresh process: add {out['cli']['add_s']:.2f} s, delete {out['cli']['delete_s']:.2f} s")
    out["index_dir"], out["corpus_dir"] = str(index_dir), str(folder)
    return out


def _verify_cost(index_dir: Path, gen: Path) -> dict:
    """Seconds to verify every file of a generation in full, and again when the verified cache holds."""
    recorded = json.loads((index_dir / "manifest.json").read_text(encoding="utf-8"))["digests"]
    (gen / checksums.VERIFIED).unlink(missing_ok=True)
    t0 = time.perf_counter()
    assert checksums.verify(gen, recorded) is None
    full = time.perf_counter() - t0
    t0 = time.perf_counter()
    assert checksums.verify(gen, recorded) is None
    cached = time.perf_counter() - t0
    size_mb = sum(f["size"] for f in recorded["files"].values()) / 1e6
    return {"full_s": round(full, 3), "cached_ms": round(cached * 1000, 3), "mb": round(size_mb, 1),
            "mb_per_s": round(size_mb / full, 1) if full else None}


_PROBE = r"""
import json, sys, time
import jieba.posseg  # the answerer tags names with it for some questions: loaded up front in every probe alike
list(jieba.posseg.cut("经理张三"))
t0 = time.perf_counter()
from rag.answer.engine import open_engine
from rag.bench.data import peak_rss_mb, latencies_ms, summary_ms
t1 = time.perf_counter()
kb = engine = open_engine(sys.argv[2])
t2 = time.perf_counter()
queries = json.loads(sys.argv[3])
first = time.perf_counter(); kb.search(queries[0]); first = time.perf_counter() - first
search = latencies_ms(lambda q: kb.search(q), queries)
ask = latencies_ms(lambda q: kb.ask(q), queries)
r = engine.retriever
pairs = [(q, r.embedder.embed_query(q)) for q in queries]
retrieval = latencies_ms(lambda p: r.search(p[0], query_vec=p[1]), pairs)
status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line)
rss = {k: int(status[k].split()[0]) / 1024 for k in ("RssAnon", "RssFile") if k in status}
print(json.dumps({"rss_mb": rss, "import_s": t1 - t0, "load_s": t2 - t1, "first_search_s": first,
                  "search": summary_ms(search), "ask": summary_ms(ask),
                  "search_without_embedding": summary_ms(retrieval), "peak_rss_mb": peak_rss_mb()}))
"""


def process_probe(corpus_dir: Path, index_dir: Path, queries: Sequence[str]) -> dict:
    """Load an index in a fresh process; time the load and warm queries; report its peak memory."""
    proc = subprocess.run([sys.executable, "-c", _PROBE, str(corpus_dir), str(index_dir), json.dumps(list(queries))],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"probe failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])
