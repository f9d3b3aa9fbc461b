"""FAISS indexes for chunk and sentence vectors: exact when small, IVF when large.

Why IVF and not HNSW above ``IndexConfig.flat_max`` (measured in docs/benchmarks.md):
on two cores IVF builds several times faster, supports removing vectors and
renumbering them, so adding or deleting one article touches only that
article's vectors instead of rebuilding a graph over all of them, and reaches
recall@10 >= 0.95 at well under a millisecond per query at 1M vectors.

Row ``i`` of every index is chunk (or sentence) ``i``: the flat index by
position, the IVF index by explicit id. Flat files are memory-mapped when loaded.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .errors import MissingDependencyError


def faiss_module():
    try:
        import faiss
    except ImportError as exc:
        raise MissingDependencyError("faiss-cpu", purpose="vector search") from exc
    return faiss


MIN_IVF = 64  # below this an IVF index cannot even be trained sensibly, whatever flat_max says


def kind_for(n: int, flat_max: int) -> str:
    return "flat" if n <= max(flat_max, MIN_IVF - 1) else "ivf"


def ivf_lists(n: int) -> int:
    """Inverted lists for ``n`` vectors: the power of two nearest 4*sqrt(n) (faiss' usual advice),
    with at least 39 vectors per list to train on (k-means needs them)."""
    nlist = 2 ** round(math.log2(4 * math.sqrt(max(n, 1))))
    while nlist > 16 and n < 39 * nlist:
        nlist //= 2
    return max(16, nlist)


def build(vecs: np.ndarray, dim: int, flat_max: int, nprobe: int, seed: int = 0):
    """A new index over ``vecs`` (rows in order). Returns (index, kind)."""
    faiss = faiss_module()
    vecs = np.ascontiguousarray(vecs, dtype=np.float32)
    if kind_for(len(vecs), flat_max) == "flat":
        index = faiss.IndexFlatIP(dim)
        if len(vecs):
            index.add(vecs)
        return index, "flat"
    nlist = ivf_lists(len(vecs))
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.seed = seed
    index.cp.max_points_per_centroid = 64  # a 64*nlist sample trains as well as all, in a fraction of the time
    sample = np.random.default_rng(seed).choice(len(vecs), min(len(vecs), 64 * nlist), replace=False)
    index.train(vecs[np.sort(sample)])
    index.add_with_ids(vecs, np.arange(len(vecs), dtype=np.int64))
    index.nprobe = nprobe
    return index, "ivf"


def updated(old_path: Path, old_kind: str, old_to_new: np.ndarray, new_rows: np.ndarray,
            new_vecs: np.ndarray, n_total: int, dim: int, flat_max: int, nprobe: int,
            full: Callable[[], np.ndarray]):
    """The index for the next generation, reusing the old IVF index when it still fits.

    ``old_to_new[r]`` is the new row of old row ``r`` (-1 when dropped);
    ``new_vecs`` go to ``new_rows``. ``full()`` assembles every vector in row
    order, for when a fresh index has to be built (flat, or IVF trained anew).
    """
    faiss = faiss_module()
    fits = (old_kind == "ivf" and kind_for(n_total, flat_max) == "ivf" and old_path.exists())
    if fits:
        index = faiss.read_index(str(old_path))  # a private, writable copy
        ratio = index.nlist / ivf_lists(n_total)
        fits = 0.25 <= ratio <= 4 and index.ntotal == len(old_to_new)
    if not fits:
        return build(full(), dim, flat_max, nprobe)
    index.set_direct_map_type(faiss.DirectMap.NoMap)
    dropped = np.flatnonzero(old_to_new < 0).astype(np.int64)
    if len(dropped):
        index.remove_ids(faiss.IDSelectorBatch(len(dropped), faiss.swig_ptr(dropped)))
    invlists = index.invlists
    for lst in range(index.nlist):
        size = invlists.list_size(lst)
        if size:
            ids = faiss.rev_swig_ptr(invlists.get_ids(lst), size)
            ids[:] = old_to_new[ids]
    if len(new_rows):
        index.add_with_ids(np.ascontiguousarray(new_vecs, dtype=np.float32),
                           np.ascontiguousarray(new_rows, dtype=np.int64))
    index.nprobe = nprobe
    return index, "ivf"


def read(path: Path, kind: str, nprobe: int):
    """Load an index (a flat one memory-mapped). Raises RuntimeError/OSError."""
    faiss = faiss_module()
    if not path.exists():
        raise FileNotFoundError(str(path))
    # Flat: the vectors are mapped, not read. IVF: read into memory; faiss' mapped inverted
    # lists cost ~1 ms more per query (1.4 vs 0.3 ms at 100k, docs/benchmarks.md)
    index = faiss.read_index(str(path), 0 if kind == "ivf" else faiss.IO_FLAG_MMAP_IFC)
    if isinstance(index, faiss.IndexIVF):
        index.nprobe = nprobe
        index.make_direct_map()  # reconstruct by row, for re-scoring a handful of candidates
    return index


def write(index, path: Path) -> None:
    faiss_module().write_index(index, str(path))


def as_matrix(index) -> np.ndarray | None:
    """A zero-copy numpy view of a flat index's vectors (None for other index types)."""
    faiss = faiss_module()
    if isinstance(index, faiss.IndexFlat) and index.ntotal:
        ptr = faiss.rev_swig_ptr(index.get_xb(), index.ntotal * index.d)
        return np.asarray(ptr).reshape(index.ntotal, index.d)
    return None


def gather(index, matrix: np.ndarray | None, rows, dim: int) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.int64)
    if not len(rows):
        return np.zeros((0, dim), np.float32)
    if matrix is not None:
        return matrix[rows]
    return index.reconstruct_batch(rows)


def search(index, query_vec: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    k = min(k, index.ntotal)
    if k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    scores, rows = index.search(np.ascontiguousarray(query_vec.reshape(1, -1), dtype=np.float32), k)
    keep = rows[0] >= 0
    return rows[0][keep], scores[0][keep]
