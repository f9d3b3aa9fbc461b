"""Chunk vectors in one embedding pass: pooled from the sentence vectors the index stores anyway.

The ``two-pass`` way embeds every chunk's ``embed_text`` and then every sentence of it again, so a build
costs about two passes of the model over the corpus. The ``pooled`` way (``IndexConfig.vectors``) embeds
every sentence once and each distinct context line once — the article title and section heading that
``rag.ingest.chunking`` puts before a chunk's text in ``embed_text`` — and makes the chunk vector from
those, mirroring ``embed_text``::

    u = Σ_s n_s · v_s / Σ_s n_s  +  pool_context · v_ctx        (s: the chunk's sentences)
    chunk vector = u / ‖u‖

with ``v_s`` the (unit) sentence vectors, ``n_s`` their token counts (``Embedder.token_count``) and
``v_ctx`` the vector of the chunk's context lines (the term is left out when ``embed_text`` adds none).
The sentence vectors stored in the index are the same ``v_s``. A chunk without sentences (none comes out of
the chunker today) has its ``embed_text`` embedded instead.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from rag.config import IndexConfig
from rag.index.embedding import Embedder
from rag.ingest.chunking import Chunk

LEGACY_VECTORS = "two-pass"  # what an index whose manifest names no mode was built with


def context_text(chunk: Chunk) -> str:
    """The title/heading lines ``embed_text`` puts before the chunk's text ("" when it adds none)."""
    text, clean = chunk.embed_text, chunk.clean
    if not clean or not text.endswith(clean) or len(text) == len(clean):
        return ""
    return text[: len(text) - len(clean)].rstrip("\n")


def _contexts(chunks: Sequence[Chunk]) -> tuple[list[str], list[str]]:
    """Each chunk's context, and the distinct non-empty ones in order of first use (embedded once each)."""
    each = [context_text(c) for c in chunks]
    return each, list(dict.fromkeys(ctx for ctx in each if ctx))


def texts_to_embed(chunks: Sequence[Chunk], mode: str) -> list[str]:
    """Exactly the texts a build embeds for ``chunks``, in its order.

    two-pass: every chunk's ``embed_text``, then every sentence. pooled: every sentence, then each
    distinct context once, then the ``embed_text`` of chunks without sentences.
    """
    sentences = [t for c in chunks for t in c.sentence_texts()]
    if mode == "two-pass":
        return [c.embed_text for c in chunks] + sentences
    return sentences + _contexts(chunks)[1] + [c.embed_text for c in chunks if not c.sentences]


def pool(sent_vecs: np.ndarray, weights: np.ndarray, counts: np.ndarray, ctx_vecs: np.ndarray,
         pool_context: float) -> np.ndarray:
    """Chunk vectors by the formula above. ``counts[i]`` ≥ 1 sentences of chunk i, in order; ``ctx_vecs[i]``
    its context vector (zeros when it has none)."""
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    w = np.asarray(weights, dtype=np.float64)
    sums = np.add.reduceat(sent_vecs.astype(np.float64) * w[:, None], starts, axis=0)
    u = sums / np.add.reduceat(w, starts)[:, None] + pool_context * ctx_vecs.astype(np.float64)
    norms = np.linalg.norm(u, axis=1, keepdims=True)
    return (u / np.where(norms > 0, norms, 1.0)).astype(np.float32)


def embed_chunks(chunks: Sequence[Chunk], embedder: Embedder, config: IndexConfig,
                 progress: Callable[[int, int], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(chunk vectors, vectors of every sentence of the chunks in order), made the way ``config.vectors`` says.

    ``progress(done, total)`` counts the texts really embedded (``texts_to_embed``).
    """
    texts = texts_to_embed(chunks, config.vectors)
    dim = embedder.dim
    if not texts:
        return np.zeros((0, dim), np.float32), np.zeros((0, dim), np.float32)
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, len(texts))

    vecs = embedder.embed_passages(texts, batch_size=config.embed_batch, progress=tick)
    n_sent = sum(len(c.sentences) for c in chunks)
    if config.vectors == "two-pass":
        return vecs[: len(chunks)], vecs[len(chunks) :]
    sent_vecs = vecs[:n_sent]
    each_ctx, contexts = _contexts(chunks)
    ctx_row = {ctx: n_sent + i for i, ctx in enumerate(contexts)}
    with_sents = [i for i, c in enumerate(chunks) if c.sentences]
    out = np.zeros((len(chunks), dim), dtype=np.float32)
    if with_sents:
        weights = np.asarray([max(1, embedder.token_count(t)) for c in chunks for t in c.sentence_texts()])
        ctx_vecs = np.zeros((len(with_sents), dim), dtype=np.float32)
        for j, i in enumerate(with_sents):
            if each_ctx[i]:
                ctx_vecs[j] = vecs[ctx_row[each_ctx[i]]]
        counts = np.asarray([len(chunks[i].sentences) for i in with_sents], dtype=np.int64)
        out[with_sents] = pool(sent_vecs, weights, counts, ctx_vecs, config.pool_context)
    bare = [i for i, c in enumerate(chunks) if not c.sentences]
    if bare:
        first = n_sent + len(contexts)
        out[bare] = vecs[first : first + len(bare)]
    return out, sent_vecs


def kept_mode(config: IndexConfig, manifest: dict | None) -> IndexConfig:
    """``config`` with the vector mode (and pool weight) of the index ``manifest`` describes, so an update
    adds vectors made the same way as those it keeps; an index from before the modes is ``two-pass``."""
    if manifest is None:
        return config
    recorded = manifest.get("index", {})
    return replace(config, vectors=recorded.get("vectors", LEGACY_VECTORS),
                   pool_context=float(recorded.get("pool_context", config.pool_context)))


def estimated_texts(chunks: int, sentences: int, documents: int, mode: str) -> int:
    """Texts a build of this many chunks, sentences and articles embeds (pooled: about one context per
    article; headings add a few more)."""
    return chunks + sentences if mode == "two-pass" else sentences + documents
