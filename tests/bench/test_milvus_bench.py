"""rag bench --milvus: FAISS and milvus-lite measured side by side through the product's code."""
from __future__ import annotations

import numpy as np
import pytest

from rag.bench.milvus import compare, table
from rag.config import IndexConfig

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")


def test_compare_reports_build_search_and_recall_for_both_backends(tmp_path):
    rng = np.random.default_rng(0)
    base = rng.normal(size=(900, 32)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    queries = base[:12] + 0.05 * rng.normal(size=(12, 32)).astype(np.float32)
    rows = compare(base, queries, [300, 900], tmp_path, IndexConfig(flat_max=500), log=lambda m: None)
    assert [r["n"] for r in rows] == [300, 900]
    small, large = rows
    assert (small["faiss"]["index"], small["milvus"]["index"]) == ("flat", "milvus:FLAT")
    assert (large["faiss"]["index"], large["milvus"]["index"]) == ("ivf", "milvus:IVF_FLAT")
    assert small["faiss"]["recall_at_10"] == small["milvus"]["recall_at_10"] == 1.0  # both exact
    for r in rows:
        for name in ("faiss", "milvus"):
            b = r[name]
            assert b["rows_per_s"] > 0 and 0 < b["p50_ms"] <= b["p95_ms"] and b["n"] == 12
            assert 0.5 <= b["recall_at_10"] <= 1.0
    assert not list(tmp_path.glob("milvus-*"))  # the milvus-lite files are removed
    text = table(rows)
    assert text.count("| Milvus (milvus-lite) |") == 2 and "| 900 | FAISS | ivf |" in text
