"""FAISS indexes for chunk and sentence vectors: exact when small, IVF with a small delta when large.

Why IVF and not HNSW above ``IndexConfig.flat_max`` (measured in docs/benchmarks.md):
on two cores IVF builds several times faster, supports removing vectors and
renumbering them, and reaches recall@10 >= 0.95 at well under a millisecond per
query at 1M vectors.

A :class:`VectorSet` addresses vectors by row (row ``i`` = chunk or sentence ``i``).
Small sets are one exact index, row = position. Large ones are segments: an IVF
*base* file that an update does not rewrite (the next generation hard-links it),
a map from base ids to current rows (-1 = deleted), and an exact *delta* index
of the vectors added since the base was written. Adding or deleting an article
then writes a few MB instead of the whole IVF file (550 MB per 100k chunks);
when the delta or the deleted share grows past a limit the base is compacted.
Flat files are memory-mapped when loaded.
"""
from __future__ import annotations

import math
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import MissingDependencyError


def faiss_module():
    try:
        import faiss
    except ImportError as exc:
        raise MissingDependencyError("faiss-cpu", purpose="vector search") from exc
    return faiss


MIN_IVF = 64  # below this an IVF index cannot even be trained sensibly, whatever flat_max says
MAX_DELETED = 0.10  # compact when more of the base than this is deleted (they are still scanned)
MAX_DELTA = 0.10  # ... or when the exact delta holds more than this share of the base


def kind_for(n: int, flat_max: int) -> str:
    return "flat" if n <= max(flat_max, MIN_IVF - 1) else "ivf"


def ivf_lists(n: int) -> int:
    """Inverted lists for ``n`` vectors: the power of two nearest 4*sqrt(n) (faiss' usual advice),
    with at least 39 vectors per list to train on (k-means needs them)."""
    nlist = 2 ** round(math.log2(4 * math.sqrt(max(n, 1))))
    while nlist > 16 and n < 39 * nlist:
        nlist //= 2
    return max(16, nlist)


def _segment_files(path: Path) -> tuple[Path, Path, Path]:
    """The base-id map, delta vectors and delta rows stored next to base file ``path``."""
    stem = path.with_suffix("")
    return (stem.with_name(stem.name + ".rows.npy"), stem.with_name(stem.name + ".delta.faiss"),
            stem.with_name(stem.name + ".delta_rows.npy"))


@dataclass(eq=False)
class VectorSet:
    """Vectors by row: a base index, plus (IVF only) a row map and an exact delta."""

    base: Any  # faiss index
    kind: str  # "flat" or "ivf"
    base_rows: np.ndarray | None = None  # base id -> row, -1 = deleted; None = identity
    delta: Any = None  # faiss IndexFlatIP of vectors added since the base was written
    delta_rows: np.ndarray | None = None  # delta position -> row
    base_file: Path | None = None  # where an unchanged base already lives (hard-linked on write)

    def __post_init__(self) -> None:
        self._source: tuple[np.ndarray, np.ndarray] | None = None
        self._selector = None
        self._matrix = as_matrix(self.base) if self.kind == "flat" else None

    @property
    def d(self) -> int:
        return self.base.d

    @property
    def n_deleted(self) -> int:
        return 0 if self.base_rows is None else int((self.base_rows < 0).sum())

    @property
    def n_delta(self) -> int:
        return 0 if self.delta is None else self.delta.ntotal

    @property
    def ntotal(self) -> int:
        return self.base.ntotal - self.n_deleted + self.n_delta

    def stats(self) -> dict:
        return {"base": self.base.ntotal, "deleted": self.n_deleted, "delta": self.n_delta}

    def search(self, query_vec: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows and inner-product scores of the ``k`` nearest vectors."""
        k = min(k, self.ntotal)
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        q = np.ascontiguousarray(query_vec.reshape(1, -1), dtype=np.float32)
        params = self._search_params()
        scores, ids = self.base.search(q, min(k, self.base.ntotal), params=params) if params else \
            self.base.search(q, min(k, self.base.ntotal))
        keep = ids[0] >= 0
        rows, found = ids[0][keep], scores[0][keep]
        if self.base_rows is not None:
            rows = self.base_rows[rows]
        if self.n_delta:
            d_scores, d_ids = self.delta.search(q, min(k, self.n_delta))
            rows = np.concatenate([rows, self.delta_rows[d_ids[0]]])
            found = np.concatenate([found, d_scores[0]])
            order = np.argsort(-found, kind="stable")[:k]
            rows, found = rows[order], found[order]
        return rows.astype(np.int64), found

    def _search_params(self):
        if not self.n_deleted:
            return None
        if self._selector is None:  # only live base ids take part (deleted ones stay in the lists)
            faiss = faiss_module()
            bits = np.packbits(self.base_rows >= 0, bitorder="little")
            self._selector = (bits, faiss.IDSelectorBitmap(len(self.base_rows), faiss.swig_ptr(bits)))
        return faiss_module().SearchParametersIVF(sel=self._selector[1], nprobe=self.base.nprobe)

    def reconstruct(self, rows) -> np.ndarray:
        """The vectors of ``rows``, in order."""
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return np.zeros((0, self.d), np.float32)
        if self._matrix is not None:
            return self._matrix[rows]
        if self.kind == "ivf" and self.base.direct_map.type == faiss_module().DirectMap.NoMap:
            self.base.make_direct_map()  # read for an update: mapped only when needed
        if self.base_rows is None and not self.n_delta:
            return self.base.reconstruct_batch(rows)
        base_id, delta_pos = self._sources()
        out = np.empty((len(rows), self.d), dtype=np.float32)
        in_base = base_id[rows] >= 0
        if in_base.any():
            out[in_base] = self.base.reconstruct_batch(np.ascontiguousarray(base_id[rows[in_base]]))
        if not in_base.all():
            out[~in_base] = as_matrix(self.delta)[delta_pos[rows[~in_base]]]
        return out

    def _sources(self) -> tuple[np.ndarray, np.ndarray]:
        """Row -> base id, and row -> delta position (-1 where the row lives in the other)."""
        if self._source is None:
            n = self.ntotal
            base_id = np.full(n, -1, dtype=np.int64)
            delta_pos = np.full(n, -1, dtype=np.int64)
            ids = np.arange(self.base.ntotal, dtype=np.int64)
            rows = ids if self.base_rows is None else self.base_rows
            alive = rows >= 0
            base_id[rows[alive]] = ids[alive]
            if self.n_delta:
                delta_pos[self.delta_rows] = np.arange(self.n_delta)
            self._source = (base_id, delta_pos)
        return self._source


def build(vecs: np.ndarray, dim: int, flat_max: int, nprobe: int, seed: int = 0) -> VectorSet:
    """A new vector set over ``vecs`` (rows in order)."""
    faiss = faiss_module()
    vecs = np.ascontiguousarray(vecs, dtype=np.float32)
    if kind_for(len(vecs), flat_max) == "flat":
        index = faiss.IndexFlatIP(dim)
        if len(vecs):
            index.add(vecs)
        return VectorSet(index, "flat")
    nlist = ivf_lists(len(vecs))
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.seed = seed
    index.cp.max_points_per_centroid = 64  # a 64*nlist sample trains as well as all, in a fraction of the time
    sample = np.random.default_rng(seed).choice(len(vecs), min(len(vecs), 64 * nlist), replace=False)
    index.train(vecs[np.sort(sample)])
    index.add_with_ids(vecs, np.arange(len(vecs), dtype=np.int64))
    index.nprobe = nprobe
    return VectorSet(index, "ivf")


def updated(old: VectorSet, old_path: Path, old_to_new: np.ndarray, new_rows: np.ndarray,
            new_vecs: np.ndarray, n_total: int, dim: int, flat_max: int, nprobe: int,
            full: Callable[[], np.ndarray]) -> VectorSet:
    """The vector set of the next generation.

    ``old_to_new[r]`` is the new row of old row ``r`` (-1 when dropped);
    ``new_vecs`` go to ``new_rows``. An IVF base that still fits is kept as it is
    (new map, new delta); one that does not is compacted; ``full()`` assembles
    every vector in row order, for when a fresh index has to be built.
    """
    fits = old.kind == "ivf" and kind_for(n_total, flat_max) == "ivf" and old_path.exists()
    if not fits or not 0.25 <= old.base.nlist / ivf_lists(n_total) <= 4:
        return build(full(), dim, flat_max, nprobe)
    old_rows = np.arange(old.base.ntotal, dtype=np.int64) if old.base_rows is None else old.base_rows
    base_rows = np.where(old_rows >= 0, old_to_new[np.maximum(old_rows, 0)], -1)
    # the delta: surviving old delta vectors, then the new ones
    if old.n_delta:
        kept = old_to_new[old.delta_rows] >= 0
        delta_vecs = np.vstack([as_matrix(old.delta)[kept], new_vecs]) if len(new_vecs) else as_matrix(old.delta)[kept]
        delta_rows = np.concatenate([old_to_new[old.delta_rows[kept]], new_rows])
    else:
        delta_vecs, delta_rows = new_vecs, np.asarray(new_rows, dtype=np.int64)
    deleted = int((base_rows < 0).sum())
    if deleted <= MAX_DELETED * old.base.ntotal and len(delta_rows) <= MAX_DELTA * old.base.ntotal:
        delta = None
        if len(delta_rows):
            delta = faiss_module().IndexFlatIP(dim)
            delta.add(np.ascontiguousarray(delta_vecs, dtype=np.float32))
        identity = not deleted and np.array_equal(base_rows, np.arange(len(base_rows)))
        return VectorSet(old.base, "ivf", None if identity else base_rows, delta,
                         np.asarray(delta_rows, dtype=np.int64) if delta is not None else None, old_path)
    return _compacted(old_path, base_rows, delta_rows, delta_vecs, nprobe)


def _compacted(old_path: Path, base_rows: np.ndarray, new_rows: np.ndarray, new_vecs: np.ndarray,
               nprobe: int) -> VectorSet:
    """One IVF index again: deleted ids removed, ids renumbered to rows, the delta added."""
    faiss = faiss_module()
    index = faiss.read_index(str(old_path))  # a private, writable copy
    index.set_direct_map_type(faiss.DirectMap.NoMap)
    dropped = np.flatnonzero(base_rows < 0).astype(np.int64)
    if len(dropped):
        index.remove_ids(faiss.IDSelectorBatch(len(dropped), faiss.swig_ptr(dropped)))
    invlists = index.invlists
    for lst in range(index.nlist):
        size = invlists.list_size(lst)
        if size:
            ids = faiss.rev_swig_ptr(invlists.get_ids(lst), size)
            ids[:] = base_rows[ids]
    if len(new_rows):
        index.add_with_ids(np.ascontiguousarray(new_vecs, dtype=np.float32),
                           np.ascontiguousarray(new_rows, dtype=np.int64))
    index.nprobe = nprobe
    index.make_direct_map()
    return VectorSet(index, "ivf")


def read(path: Path, kind: str, nprobe: int, for_update: bool = False) -> VectorSet:
    """Load a vector set (a flat one memory-mapped). Raises RuntimeError/OSError/ValueError.

    ``for_update``: an IVF base is memory-mapped too. An update rarely reads it (only to
    compact), and reading 550 MB per 100k chunks was most of what adding an article cost.
    """
    faiss = faiss_module()
    if not path.exists():
        raise FileNotFoundError(str(path))
    # Flat: the vectors are mapped, not read. IVF: read into memory for search; faiss' mapped
    # inverted lists cost ~1 ms more per query (1.4 vs 0.3 ms at 100k, docs/benchmarks.md)
    mapped = kind != "ivf" or for_update
    index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC if mapped else 0)
    if not isinstance(index, faiss.IndexIVF):
        return VectorSet(index, "flat")
    index.nprobe = nprobe
    if not for_update:
        index.make_direct_map()  # reconstruct by row, for re-scoring a handful of candidates
    rows_file, delta_file, delta_rows_file = _segment_files(path)
    base_rows = np.load(rows_file, allow_pickle=False) if rows_file.exists() else None
    delta = delta_rows = None
    if delta_file.exists():
        delta = faiss.read_index(str(delta_file), faiss.IO_FLAG_MMAP_IFC)
        delta_rows = np.load(delta_rows_file, allow_pickle=False)
        if len(delta_rows) != delta.ntotal:
            raise ValueError(f"{delta_rows_file.name} does not match {delta_file.name}")
    if base_rows is not None and len(base_rows) != index.ntotal:
        raise ValueError(f"{rows_file.name} does not match {path.name}")
    return VectorSet(index, "ivf", base_rows, delta, delta_rows, path)


def write(vectors: VectorSet, path: Path) -> None:
    """Write ``vectors`` as ``path`` (+ its segment files); an unchanged base is hard-linked, not copied."""
    faiss = faiss_module()
    if vectors.base_file is not None and vectors.base_file.exists():
        try:
            os.link(vectors.base_file, path)
        except OSError:  # no hard links here (another file system, FAT...): copy
            shutil.copyfile(vectors.base_file, path)
    else:
        faiss.write_index(vectors.base, str(path))
    rows_file, delta_file, delta_rows_file = _segment_files(path)
    if vectors.base_rows is not None:
        np.save(rows_file, vectors.base_rows, allow_pickle=False)
    if vectors.n_delta:
        faiss.write_index(vectors.delta, str(delta_file))
        np.save(delta_rows_file, vectors.delta_rows, allow_pickle=False)


def as_matrix(index) -> np.ndarray | None:
    """A zero-copy numpy view of a flat index's vectors (None for other index types)."""
    faiss = faiss_module()
    if isinstance(index, faiss.IndexFlat) and index.ntotal:
        ptr = faiss.rev_swig_ptr(index.get_xb(), index.ntotal * index.d)
        return np.asarray(ptr).reshape(index.ntotal, index.d)
    return None
