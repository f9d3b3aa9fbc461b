"""``rag bench --milvus``: FAISS (the default backend) and Milvus side by side on the same vectors.

Both go through the product's own code: :func:`rag.index.vector_store.build` and
``VectorSet.search`` for FAISS, :func:`rag.index.milvus_store.next_set` and
``MilvusVectors.search`` (primary keys mapped back to rows) for Milvus. Each size gets
the index type the product picks for it (exact up to ``IndexConfig.flat_max``, IVF above,
nprobe ``IndexConfig.ivf_nprobe``). Vectors are synthetic around the real corpus vectors
(:func:`rag.bench.data.clustered_vectors`), queries are real questions embedded by the
real model, and recall@10 is measured against exact search over the same vectors.
"""
from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from rag.bench.data import clustered_vectors, recall_at_k, summary_ms
from rag.config import BackendConfig, IndexConfig
from rag.index import milvus_store, vector_store

Log = Callable[[str], None]


def _searched(search, queries: np.ndarray, k: int = 10) -> tuple[dict, np.ndarray]:
    times, found = [], []
    for q in queries:
        t0 = time.perf_counter()
        rows, _ = search(q, k)
        times.append((time.perf_counter() - t0) * 1000)
        found.append(np.pad(rows[:k], (0, k - len(rows[:k])), constant_values=-1))
    return summary_ms(times), np.asarray(found)


def compare(base: np.ndarray, queries: np.ndarray, sizes: Sequence[int], work: Path, config: IndexConfig,
            index_type: str = "auto", log: Log = print) -> list[dict]:
    """Build throughput, search p50/p95 and recall@10 of FAISS and of Milvus (milvus-lite) at each size."""
    faiss = vector_store.faiss_module()
    dim = base.shape[1]
    backend = BackendConfig(name="milvus", index_type=index_type)
    rows = []
    for n in sizes:
        x = np.ascontiguousarray(base[:n])
        flat = faiss.IndexFlatIP(dim)
        flat.add(x)
        exact = flat.search(queries, 10)[1]
        del flat
        row: dict = {"n": n}
        t0 = time.perf_counter()
        vs = vector_store.build(x, dim, config.flat_max, config.ivf_nprobe)
        seconds = time.perf_counter() - t0
        stats, found = _searched(vs.search, queries)
        row["faiss"] = {"index": vs.kind, "build_s": round(seconds, 2), "rows_per_s": round(n / seconds),
                        **stats, "recall_at_10": round(recall_at_k(found, exact), 4)}
        del vs
        uri = str(work / f"milvus-{n}.db")
        shutil.rmtree(uri, ignore_errors=True)
        c = milvus_store.client(uri)
        try:
            t0 = time.perf_counter()
            docs = np.repeat(np.asarray([f"doc{i}" for i in range(n // 20 + 1)], dtype=object), 20)[:n]
            none = np.zeros(0, dtype=np.int64)
            mv = milvus_store.next_set(c, "bench", "faiss", f"gen-{n}", None, none, none, x[:0], docs, dim,
                                       lambda: x, replace(backend), config.flat_max, config.ivf_nprobe)
            inserted = time.perf_counter() - t0
            c.flush(mv.collection)  # seal the segments: milvus-lite builds their vector index here
            first = time.perf_counter()
            mv.search(queries[0], 10)
            seconds = time.perf_counter() - t0
            first_ms = (time.perf_counter() - first) * 1000
            stats, found = _searched(mv.search, queries)
            row["milvus"] = {"index": mv.kind, "insert_s": round(inserted, 2), "build_s": round(seconds, 2),
                             "rows_per_s": round(n / seconds), "first_search_ms": round(first_ms, 1),
                             **stats, "recall_at_10": round(recall_at_k(found, exact), 4)}
        finally:
            milvus_store.release(uri)
            shutil.rmtree(uri, ignore_errors=True)
        f, m = row["faiss"], row["milvus"]
        log(f"{n:>9,} vectors: FAISS {f['index']} build {f['build_s']:.1f} s, p50 {f['p50_ms']:.2f} ms, "
            f"recall {f['recall_at_10']:.3f} | Milvus {m['index']} build {m['build_s']:.1f} s, "
            f"p50 {m['p50_ms']:.2f} ms, recall {m['recall_at_10']:.3f}")
        rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    """The side-by-side table (markdown) of :func:`compare`'s rows."""
    out = ["| vectors | backend | index | build s | rows/s | search p50 ms | p95 ms | recall@10 |",
           "|---:|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        for name in ("faiss", "milvus"):
            b = r[name]
            out.append(f"| {r['n']:,} | {'FAISS' if name == 'faiss' else 'Milvus (milvus-lite)'} | {b['index']} | "
                       f"{b['build_s']:.1f} | {b['rows_per_s']:,} | {b['p50_ms']:.2f} | {b['p95_ms']:.2f} | "
                       f"{b['recall_at_10']:.3f} |")
    return "\n".join(out)


def run_milvus_bench(corpus_dir: str | Path, index_dir: str | Path, sizes: Sequence[int], qs: Sequence[str],
                     machine: dict, work_dir: str | Path | None = None, index_type: str = "auto",
                     log: Log = lambda m: print(m, file=sys.stderr, flush=True)) -> dict:
    """The FAISS vs Milvus section on its own: centres from the index's (or a fresh corpus index's) vectors,
    the questions ``qs`` as queries (``machine``: rag.bench.run.machine(), recorded with the result)."""
    from rag.index.build import build_index
    from rag.index.embedding import load_embedder
    from rag.index.store import load_index

    milvus_store.pymilvus_module()  # fail at once, with the install hint, when the extra is missing
    work = Path(work_dir) if work_dir else Path(tempfile.mkdtemp(prefix="rag-bench-milvus-"))
    work.mkdir(parents=True, exist_ok=True)
    config = IndexConfig()
    try:
        try:
            index = load_index(index_dir, backend=BackendConfig())
        except Exception:  # no usable index: index the corpus into the work folder (FAISS, as always here)
            build_index(corpus_dir, work / "index", backend=BackendConfig())
            index = load_index(work / "index", backend=BackendConfig())
        embedder = load_embedder(index.model_id)
        n = len(index)
        centres = np.vstack([index.vectors_for(range(n)), index.sentence_vectors_for(range(n))])
        queries = np.vstack([embedder.embed_query(q) for q in qs]).astype(np.float32)
        started = time.perf_counter()
        base = clustered_vectors(centres, max(sizes), seed=11)
        rows = compare(base, queries, sorted(sizes), work, config, index_type, log)
        return {"machine": machine, "queries": len(queries), "config": config.to_dict(),
                "milvus_index_type": index_type, "versions": _versions(), "milvus": rows,
                "seconds": round(time.perf_counter() - started, 1)}
    finally:
        if not work_dir:
            shutil.rmtree(work, ignore_errors=True)


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("pymilvus", "milvus-lite", "faiss-cpu"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out
