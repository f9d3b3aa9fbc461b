"""``index_cost_ratio``: what a build costs, in passes of the model over the chunk texts.

    index_cost_ratio = seconds of a from-scratch build / seconds to embed every chunk's embed text once

both measured in the same run on the same corpus with the same model and batch size, so the machine's
load moves both alike. Embedding is nearly all of a build, so the ratio reads as "model passes": the
two-pass mode (every chunk text, then every sentence) costs about 2, the pooled mode (every sentence
and each title/heading line once, rag.index.pooling) a little under 1. The target is ≤ 1.15.
"""
from __future__ import annotations

from pathlib import Path

from rag.bench.data import timed
from rag.config import ChunkerConfig, IndexConfig
from rag.index.embedding import Embedder
from rag.ingest.chunking import chunk_document
from rag.ingest.documents import load_corpus

TARGET = 1.15


def chunk_texts(corpus_dir: Path, chunker: ChunkerConfig | None = None) -> list[str]:
    """Every chunk's ``embed_text`` (title and heading lines, then its text) of the corpus, in index order."""
    docs, _ = load_corpus(corpus_dir)
    return [c.embed_text for d in docs for c in chunk_document(d, chunker)]


def index_cost(corpus_dir: Path, build_s: float, embedder: Embedder, config: IndexConfig, log) -> dict:
    """Time one pass of the model over the chunk texts of ``corpus_dir``, whose build took ``build_s``."""
    texts = chunk_texts(corpus_dir)
    seconds, _ = timed(embedder.embed_passages, texts, batch_size=config.embed_batch)
    ratio = round(build_s / seconds, 3) if seconds else None
    log(f"index cost ({config.vectors}): build {build_s:.1f} s / embedding the {len(texts)} chunk texts once "
        f"{seconds:.1f} s -> index_cost_ratio {ratio} (target <= {TARGET})")
    return {"vectors": config.vectors, "build_s": round(build_s, 3), "chunk_texts": len(texts),
            "chunk_embed_s": round(seconds, 3), "index_cost_ratio": ratio, "target": TARGET}
