"""Vector sets: exact when small; IVF base + row map + exact delta when large, compacted when they grow.

IVF sets here have at most 64 lists and are searched with nprobe 64, i.e.
exhaustively, so every result must equal exact search over the expected rows.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

from rag.index import vector_store

DIM = 32


def unit(n: int, seed: int) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def assert_same_as_exact(vectors: vector_store.VectorSet, expect: np.ndarray) -> None:
    assert vectors.ntotal == len(expect)
    exact = vector_store.build(expect, DIM, flat_max=10**9, nprobe=64)
    for q in unit(15, seed=99):
        rows, scores = vectors.search(q, 10)
        exact_rows, exact_scores = exact.search(q, 10)
        assert np.array_equal(rows, exact_rows) and np.allclose(scores, exact_scores, atol=1e-5)
    some = np.random.default_rng(3).choice(len(expect), 40, replace=False)
    assert np.allclose(vectors.reconstruct(some), expect[some])


def write_read(vectors: vector_store.VectorSet, path) -> vector_store.VectorSet:
    vector_store.write(vectors, path)
    return vector_store.read(path, vectors.kind, nprobe=64)


def test_small_sets_are_exact_and_memory_mapped(tmp_path):
    x = unit(50, seed=1)
    flat = vector_store.build(x, DIM, flat_max=100, nprobe=64)
    assert flat.kind == "flat"
    loaded = write_read(flat, tmp_path / "v.faiss")
    assert loaded.kind == "flat" and loaded._matrix is not None
    assert_same_as_exact(loaded, x)


def test_ivf_update_keeps_the_base_file_and_writes_only_a_map_and_a_delta(tmp_path):
    x = unit(2300, seed=2)
    base = write_read(vector_store.build(x[:2000], DIM, flat_max=100, nprobe=64), tmp_path / "g1.faiss")
    assert base.kind == "ivf" and base.base.nlist <= 64 and base.base_rows is None
    # rows 500-549 deleted, the rest move down, 100 new vectors at the end
    mapping = np.concatenate([np.arange(500), np.full(50, -1), np.arange(500, 1950)])
    expect = np.vstack([x[:500], x[550:2000], x[2000:2100]])
    updated = vector_store.updated(base, tmp_path / "g1.faiss", mapping, np.arange(1950, 2050), x[2000:2100],
                                   2050, DIM, flat_max=100, nprobe=64, full=lambda: pytest.fail("not rebuilt"))
    assert updated.stats() == {"base": 2000, "deleted": 50, "delta": 100}
    second = write_read(updated, tmp_path / "g2.faiss")
    assert os.stat(tmp_path / "g2.faiss").st_ino == os.stat(tmp_path / "g1.faiss").st_ino  # linked, not copied
    assert (tmp_path / "g2.rows.npy").exists() and (tmp_path / "g2.delta.faiss").exists()
    assert_same_as_exact(second, expect)
    # on top of that: drop 10 delta vectors and 20 base ones, insert 30 new rows in the middle
    keep = np.ones(2050, bool)
    keep[[*range(100, 120), *range(2000, 2010)]] = False
    old_to_new = np.full(2050, -1)
    kept_rows = np.flatnonzero(keep)
    new_positions = np.concatenate([np.arange(0, 300), np.arange(330, 330 + len(kept_rows) - 300)])
    old_to_new[kept_rows] = new_positions
    total = len(kept_rows) + 30
    expect3 = np.empty((total, DIM), np.float32)
    expect3[new_positions] = expect[kept_rows]
    expect3[300:330] = x[2100:2130]
    third = vector_store.updated(second, tmp_path / "g2.faiss", old_to_new, np.arange(300, 330), x[2100:2130],
                                 total, DIM, flat_max=100, nprobe=64, full=lambda: pytest.fail("not rebuilt"))
    assert third.stats() == {"base": 2000, "deleted": 70, "delta": 120}
    assert_same_as_exact(write_read(third, tmp_path / "g3.faiss"), expect3)


@pytest.mark.parametrize("deleted, added", [(0, 250), (250, 0)])
def test_a_delta_or_deleted_share_over_ten_percent_compacts_the_base(tmp_path, deleted, added):
    x = unit(2000 + added, seed=3)
    base = write_read(vector_store.build(x[:2000], DIM, flat_max=100, nprobe=64), tmp_path / "g1.faiss")
    mapping = np.concatenate([np.full(deleted, -1), np.arange(2000 - deleted)])
    expect = np.vstack([x[deleted:2000], x[2000:]])
    updated = vector_store.updated(base, tmp_path / "g1.faiss", mapping, np.arange(2000 - deleted, len(expect)),
                                   x[2000:], len(expect), DIM, flat_max=100, nprobe=64,
                                   full=lambda: pytest.fail("compacted, not rebuilt"))
    assert updated.stats() == {"base": len(expect), "deleted": 0, "delta": 0} and updated.base_file is None
    loaded = write_read(updated, tmp_path / "g2.faiss")
    assert os.stat(tmp_path / "g2.faiss").st_ino != os.stat(tmp_path / "g1.faiss").st_ino
    assert not (tmp_path / "g2.rows.npy").exists() and not (tmp_path / "g2.delta.faiss").exists()
    assert_same_as_exact(loaded, expect)


def test_shrinking_below_flat_max_rebuilds_an_exact_index(tmp_path):
    x = unit(2000, seed=4)
    vector_store.write(vector_store.build(x, DIM, flat_max=100, nprobe=64), tmp_path / "g1.faiss")
    base = vector_store.read(tmp_path / "g1.faiss", "ivf", nprobe=64, for_update=True)  # mapped, as an update reads it
    mapping = np.concatenate([np.arange(80), np.full(1920, -1)])
    flat = vector_store.updated(base, tmp_path / "g1.faiss", mapping, np.zeros(0, np.int64),
                                np.zeros((0, DIM), np.float32), 80, DIM, flat_max=100, nprobe=64,
                                full=lambda: base.reconstruct(np.arange(80)))
    assert flat.kind == "flat"
    assert_same_as_exact(flat, x[:80])


def test_a_segment_file_that_does_not_match_its_base_is_an_error(tmp_path):
    x = unit(2100, seed=5)
    base = write_read(vector_store.build(x[:2000], DIM, flat_max=100, nprobe=64), tmp_path / "g1.faiss")
    updated = vector_store.updated(base, tmp_path / "g1.faiss", np.arange(2000), np.arange(2000, 2100), x[2000:],
                                   2100, DIM, flat_max=100, nprobe=64, full=lambda: x)
    vector_store.write(updated, tmp_path / "g2.faiss")
    np.save(tmp_path / "g2.delta_rows.npy", np.arange(5))
    with pytest.raises(ValueError, match="delta_rows"):
        vector_store.read(tmp_path / "g2.faiss", "ivf", nprobe=64)
