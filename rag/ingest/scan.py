"""Which corpus files changed since the last build, without reading the unchanged ones.

Re-reading and re-cleaning every article on every update cost seconds at a few
thousand articles, for nothing. A file whose size and modification time (ns)
equal what the last build recorded is taken from the index as it is (its text
is in ``docs.jsonl``). As in git, a file modified in the last two seconds
before a build is not trusted this way (a rewrite within the same clock tick
can keep size and mtime); it is read again next time. When ``articles.toml``
changes, everything is read again.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from rag.ingest.documents import METADATA_FILE, Document, Skipped, load_corpus

RACY_NS = 2_000_000_000
_NOT_META = ("chunks", "chunk_ids", "indexed_at")


@dataclass
class StoredDoc:
    """An unchanged article, as the previous generation recorded it (no re-reading, no re-cleaning)."""

    entry: dict  # its manifest entry
    raw: bytes  # its docs.jsonl line, copied forward as it is

    @property
    def doc_id(self) -> str:
        return self.entry["doc_id"]

    @property
    def path(self) -> str:
        return self.entry["path"]

    @property
    def sha256(self) -> str:
        return self.entry["sha256"]

    @property
    def title(self) -> str:
        return self.entry["title"]

    def meta(self) -> dict:
        return {k: v for k, v in self.entry.items() if k not in _NOT_META}


def _stat(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


def trusted_stats(stats: dict[str, list[int] | None], now_ns: int | None = None) -> dict[str, list[int]]:
    """The stats safe to compare next time: files not modified in the last ``RACY_NS``."""
    now_ns = now_ns or time.time_ns()
    return {k: v for k, v in stats.items() if v is not None and v[1] < now_ns - RACY_NS}


def scan_corpus(corpus_dir: Path, old=None) -> tuple[list, list[Skipped], dict[str, list[int]]]:
    """Like ``corpus.load_corpus``, but unchanged files come back as :class:`StoredDoc`.

    ``old`` is the previous :class:`rag.index.store.Index` (or None). Returns the
    documents, the skipped files and the stats to record in the manifest.
    """
    started = time.time_ns()
    meta_stat = _stat(corpus_dir / METADATA_FILE)
    stats: dict[str, list[int] | None] = {METADATA_FILE: meta_stat}
    recorded = old.manifest.get("file_stats", {}) if old is not None else {}
    stored = {}
    if old is not None and recorded.get(METADATA_FILE) == meta_stat:
        stored = {d["path"]: d for d in old.manifest["documents"]}

    def reuse(path: Path, rel: str) -> StoredDoc | None:
        stat = stats[rel] = _stat(path)
        entry = stored.get(rel)
        if entry is not None and stat is not None and recorded.get(rel) == stat and entry["doc_id"] in old.docs:
            return StoredDoc(entry, old.docs.raw(entry["doc_id"]))
        return None

    docs, skipped = load_corpus(corpus_dir, reuse)
    return docs, skipped, trusted_stats(stats, started)


def is_stored(doc: Document | StoredDoc) -> bool:
    return isinstance(doc, StoredDoc)
