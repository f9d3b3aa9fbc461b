"""BM25 kept as term-major postings and scored at query time, so it can be updated in place.

An eagerly scored BM25 matrix (bm25s) has to be rebuilt from every token of
every chunk whenever one article changes, because IDF and the average length
move. Here the index stores only raw term frequencies; IDF and length
normalisation are applied per query over the postings of the query's terms.
Adding an article appends postings, deleting one drops them: cost is linear
in the postings, with no re-tokenising. Scores equal bm25s' default (Lucene) variant.

Files (``bm25/``, numpy arrays, no pickle): ``vocab.json``, ``indptr.npy``
(term -> postings range), ``rows.npy`` (chunk row of each posting), ``tfs.npy``
(term frequency), ``lengths.npy`` (tokens per chunk).
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

_FILES = ("vocab.json", "indptr.npy", "rows.npy", "tfs.npy", "lengths.npy")


class BM25Index:
    def __init__(self, vocab: list[str], indptr: np.ndarray, rows: np.ndarray, tfs: np.ndarray,
                 lengths: np.ndarray, k1: float = 1.2, b: float = 0.75):
        self.vocab = vocab
        self.indptr = indptr  # int64, len(vocab) + 1
        self.rows = rows  # int32 chunk rows, grouped by term (any order inside a term)
        self.tfs = tfs  # float32 term frequencies, parallel to rows
        self.lengths = lengths  # float32 tokens per chunk
        self.k1, self.b = k1, b
        self._ids: dict[str, int] | None = None
        self._norm: np.ndarray | None = None
        self.avg_len = float(lengths.mean()) if len(lengths) and lengths.sum() else 1.0

    @property
    def num_docs(self) -> int:
        return len(self.lengths)

    def term_id(self, token: str) -> int | None:
        if self._ids is None:  # built on first query: cold start does not pay for it
            self._ids = {t: i for i, t in enumerate(self.vocab)}
        return self._ids.get(token)

    def doc_freq(self, token: str) -> int:
        """How many chunks hold ``token`` (0 if none)."""
        tid = self.term_id(token)
        return 0 if tid is None else int(self.indptr[tid + 1] - self.indptr[tid])

    def vocabulary(self) -> dict[str, int]:
        """Every term with the number of chunks holding it."""
        return dict(zip(self.vocab, np.diff(np.asarray(self.indptr)).tolist()))

    def length_norm(self) -> np.ndarray:
        """k1 * (1 - b + b * length / average length) per chunk, computed once."""
        if self._norm is None:
            self._norm = (self.k1 * ((1 - self.b) + self.b * np.asarray(self.lengths) / self.avg_len)).astype(np.float32)
        return self._norm

    def scores(self, tokens: Sequence[str]) -> np.ndarray:
        """BM25 score of every chunk for ``tokens`` (a repeated token counts again, as in bm25s)."""
        out = np.zeros(self.num_docs, dtype=np.float32)
        n = self.num_docs
        for token in tokens:
            tid = self.term_id(token)
            if tid is None:
                continue
            lo, hi = int(self.indptr[tid]), int(self.indptr[tid + 1])
            if hi <= lo:
                continue
            rows, tf = self.rows[lo:hi], self.tfs[lo:hi]
            idf = np.float32(np.log1p((n - (hi - lo) + 0.5) / ((hi - lo) + 0.5)))
            out[rows] += idf * tf / (self.length_norm()[rows] + tf)
        return out

    # ------------------------------------------------------------ building

    @classmethod
    def build(cls, token_lists: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> "BM25Index":
        empty = cls([], np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32),
                    np.zeros(0, np.float32), k1, b)
        return empty.updated(np.zeros(0, np.int64), len(token_lists), np.arange(len(token_lists)), token_lists)

    def updated(self, old_to_new: np.ndarray, n_total: int, new_rows: np.ndarray,
                new_tokens: Sequence[Sequence[str]]) -> "BM25Index":
        """A new index: old chunk ``r`` becomes row ``old_to_new[r]`` (-1 = dropped); ``new_tokens`` go to ``new_rows``."""
        vocab = list(self.vocab)
        ids = {t: i for i, t in enumerate(vocab)}
        lengths = np.zeros(n_total, dtype=np.float32)
        kept = old_to_new >= 0
        lengths[old_to_new[kept]] = np.asarray(self.lengths)[kept]
        # new postings: one (term, row, tf) triple per distinct term of a chunk
        flat_terms, flat_rows = [], []
        for row, toks in zip(new_rows, new_tokens):
            lengths[row] = len(toks)
            flat_terms.extend(ids.setdefault(t, len(ids)) for t in toks)
            flat_rows.extend([int(row)] * len(toks))
        vocab.extend(t for t in list(ids)[len(vocab):])
        n_terms = len(vocab)
        key = np.asarray(flat_terms, dtype=np.int64) * max(n_total, 1) + np.asarray(flat_rows, dtype=np.int64)
        key, counts = np.unique(key, return_counts=True)
        new_term, new_row = key // max(n_total, 1), (key % max(n_total, 1)).astype(np.int32)
        # old postings, renumbered, dropped chunks' postings removed; both sides are grouped
        # by ascending term, so each posting's slot is computed directly (no sort of all postings)
        old_rows = np.asarray(self.rows)
        old_term = np.repeat(np.arange(len(self.vocab), dtype=np.int64), np.diff(np.asarray(self.indptr)))
        mapped = old_to_new[old_rows] if len(old_rows) else np.zeros(0, np.int64)
        keep = mapped >= 0
        old_term = old_term[keep]
        kept_counts = np.bincount(old_term, minlength=n_terms)
        new_counts = np.bincount(new_term, minlength=n_terms)
        indptr = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(kept_counts + new_counts, out=indptr[1:])
        kept_start = np.cumsum(kept_counts) - kept_counts
        new_start = np.cumsum(new_counts) - new_counts
        rows = np.empty(int(indptr[-1]), dtype=np.int32)
        tfs = np.empty(int(indptr[-1]), dtype=np.float32)
        slot = indptr[old_term] + np.arange(len(old_term)) - kept_start[old_term]
        rows[slot] = mapped[keep]
        tfs[slot] = np.asarray(self.tfs)[keep]
        slot = indptr[new_term] + kept_counts[new_term] + np.arange(len(new_term)) - new_start[new_term]
        rows[slot] = new_row
        tfs[slot] = counts
        return BM25Index(vocab, indptr, rows, tfs, lengths, self.k1, self.b)

    # ------------------------------------------------------------ files

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / "vocab.json", "w", encoding="utf-8") as fh:
            json.dump({"k1": self.k1, "b": self.b, "vocab": self.vocab}, fh, ensure_ascii=False)
        for name, arr in (("indptr", self.indptr), ("rows", self.rows), ("tfs", self.tfs),
                          ("lengths", self.lengths)):
            np.save(folder / f"{name}.npy", np.ascontiguousarray(arr), allow_pickle=False)

    @classmethod
    def load(cls, folder: Path, mmap: bool = True) -> "BM25Index":
        """Raises OSError/ValueError/KeyError for missing or damaged files."""
        with open(folder / "vocab.json", encoding="utf-8") as fh:
            meta = json.load(fh)
        mode = "r" if mmap else None
        arrays = [np.load(folder / f"{name}.npy", mmap_mode=mode, allow_pickle=False)
                  for name in ("indptr", "rows", "tfs", "lengths")]
        indptr, rows, tfs, lengths = arrays
        if len(indptr) != len(meta["vocab"]) + 1 or len(rows) != len(tfs) or int(indptr[-1]) != len(rows):
            raise ValueError("BM25 postings do not match the vocabulary")
        return cls(list(meta["vocab"]), indptr, rows, tfs, np.asarray(lengths), float(meta["k1"]), float(meta["b"]))


def top_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """Exactly ``np.argsort(-scores, kind="stable")[:k]`` (ties in row order), in O(n) instead of O(n log n).

    A full sort of a million BM25 scores costs ~80 ms per query; this costs a few.
    """
    n = len(scores)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    if k >= n:
        return np.argsort(-scores, kind="stable")
    positive = np.flatnonzero(scores > 0)  # BM25 scores are mostly zero: rank only the others
    if k <= len(positive) < n // 2:
        return positive[top_rows(scores[positive], k)]
    kth = np.partition(scores, n - k)[n - k]  # the k-th largest value
    above = np.flatnonzero(scores > kth)
    ties = np.flatnonzero(scores == kth)[: k - len(above)]
    rows = np.concatenate([above, ties])
    return rows[np.argsort(-scores[rows], kind="stable")]
