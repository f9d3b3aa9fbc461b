"""Incremental builds: which rows of the next generation are copied forward and which are new.

An update keeps unchanged articles' chunk lines, vectors and BM25 postings and
only maps their old rows to new ones; new or changed articles are chunked and
embedded. Used by :func:`rag.index.store.build_index`.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from rag.config import ChunkerConfig
from rag.index.embedding import Embedder
from rag.index.pooling import embed_chunks
from rag.ingest.chunking import Chunk, chunk_document
from rag.ingest.documents import Skipped

if TYPE_CHECKING:
    from rag.config import IndexConfig
    from rag.index.store import Index


@dataclass
class BuildReport:
    documents: int = 0
    chunks: int = 0
    embedded_chunks: int = 0
    reused_documents: list[str] = field(default_factory=list)
    new_documents: list[str] = field(default_factory=list)
    changed_documents: list[str] = field(default_factory=list)
    removed_documents: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    seconds: float = 0.0
    embed_seconds: float = 0.0
    unchanged: bool = False
    timings: dict[str, float] = field(default_factory=dict)  # seconds per build stage (rag bench)


@dataclass
class Plan:
    """Where every chunk of the new generation comes from: copied from the old one, or new."""

    chunk_ids: list[list[str]]  # per document
    parts: list  # in row order: (first old row, count) ranges copied forward, or lists of new Chunks
    n_chunks: int
    sent_counts: np.ndarray
    old_to_new: np.ndarray  # old chunk row -> new row, -1 = gone
    sent_old_to_new: np.ndarray
    new_rows: np.ndarray  # rows of new chunks
    new: list[Chunk]  # the new chunks, in row order

    @classmethod
    def make(cls, docs, old: Index | None, old_docs: dict, chunker: ChunkerConfig, report: BuildReport) -> "Plan":
        n_old = len(old) if old is not None else 0
        old_to_new = np.full(n_old, -1, dtype=np.int64)
        sent_old_to_new = np.full(int(old.sent_start[-1]) if old is not None else 0, -1, dtype=np.int64)
        parts: list = []
        counts: list[np.ndarray] = []
        chunk_ids: list[list[str]] = []
        new_rows: list[int] = []
        new: list[Chunk] = []
        rows = sents = 0
        for doc in docs:
            prev = old_docs.get(doc.doc_id)
            # the title is part of every embedded chunk text, so a retitled file is re-embedded
            if old is not None and prev and prev["sha256"] == doc.sha256 and prev["title"] == doc.title:
                n = len(prev["chunk_ids"])
                first = old.row(prev["chunk_ids"][0]) if n else 0
                old_to_new[first : first + n] = np.arange(rows, rows + n)
                s0, s1 = int(old.sent_start[first]), int(old.sent_start[first + n])
                sent_old_to_new[s0:s1] = np.arange(sents, sents + s1 - s0)
                counts.append(np.diff(old.sent_start[first : first + n + 1]))
                if parts and isinstance(parts[-1], tuple) and sum(parts[-1]) == first:
                    parts[-1] = (parts[-1][0], parts[-1][1] + n)  # adjacent in the old file: one copy
                else:
                    parts.append((first, n))
                chunk_ids.append(list(prev["chunk_ids"]))
                rows, sents = rows + n, sents + s1 - s0
                report.reused_documents.append(doc.doc_id)
                continue
            (report.changed_documents if prev else report.new_documents).append(doc.doc_id)
            chunks = chunk_document(doc, chunker)
            new_rows.extend(range(rows, rows + len(chunks)))
            new.extend(chunks)
            parts.append(chunks)
            counts.append(np.asarray([len(c.sentences) for c in chunks], dtype=np.int64))
            chunk_ids.append([c.chunk_id for c in chunks])
            rows += len(chunks)
            sents += sum(len(c.sentences) for c in chunks)
        sent_counts = np.concatenate(counts).astype(np.int64) if counts else np.zeros(0, np.int64)
        return cls(chunk_ids, parts, rows, sent_counts, old_to_new, sent_old_to_new,
                   np.asarray(new_rows, dtype=np.int64), new)

    def sent_start(self) -> np.ndarray:
        starts = np.zeros(self.n_chunks + 1, dtype=np.int64)
        np.cumsum(self.sent_counts, out=starts[1:])
        return starts


def embed_new(plan: Plan, embedder: Embedder, config: IndexConfig, report: BuildReport,
           progress) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectors of the new chunks and of their sentences (made as ``config.vectors`` says, see
    rag.index.pooling), and the sentence rows they go to."""
    chunks = plan.new
    starts = plan.sent_start()
    sent_rows = np.asarray([s for r in plan.new_rows for s in range(starts[r], starts[r + 1])], dtype=np.int64)
    t0 = time.perf_counter()
    chunk_vecs, sent_vecs = embed_chunks(chunks, embedder, config, progress)
    report.embed_seconds = time.perf_counter() - t0
    report.embedded_chunks = len(chunks)
    return chunk_vecs, sent_vecs, sent_rows


def assembler(old: Index | None, name: str, mapping: np.ndarray, rows: np.ndarray, vecs: np.ndarray,
               total: int, dim: int) -> Callable[[], np.ndarray]:
    """A function giving all vectors in new row order: reused ones gathered from the old index, plus new ones."""

    def full() -> np.ndarray:
        out = np.zeros((total, dim), dtype=np.float32)
        if old is not None and len(mapping):
            kept = np.flatnonzero(mapping >= 0)
            gather = (old.vectors if name == "faiss" else old.sentence_vectors).reconstruct
            for lo in range(0, len(kept), 200_000):  # bounded temporary memory
                part = kept[lo : lo + 200_000]
                out[mapping[part]] = gather(part)
        if len(rows):
            out[rows] = vecs
        return out

    return full
