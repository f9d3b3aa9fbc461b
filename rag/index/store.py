"""The on-disk index: its layout, manifest, loading and checking (building is rag.index.build).

Layout (no pickle anywhere)::

    index/
      manifest.json          format version, model id, dimension, chunker settings,
                             corpus hashes and file stats; names the live generation
      gen-0003/
        chunks.jsonl         one chunk per line, row i = vector i = BM25 doc i
        chunks.offsets.npy   byte offset of every line (chunks are parsed lazily)
        docs.jsonl           article metadata and source text (for citations)
        docs.offsets.npy
        sent_start.npy       row of each chunk's first sentence vector
        vectors.faiss        FAISS index: exact up to ``IndexConfig.flat_max`` vectors, IVF above
        vectors.rows.npy, vectors.delta.*   IVF only: base id -> row map and the vectors added
                             since the base was written (rag.index.vector_store); the base file
                             is hard-linked from generation to generation until compacted
        sentences.faiss      the same for sentence vectors
        vectors.pks.npy, sentences.pks.npy   instead of the two above when RAG_BACKEND=milvus:
                             row -> primary key in the Milvus collection the manifest names
                             (rag.index.milvus_store)
        bm25/                term-major BM25 postings (rag.index.bm25)
        verified.json        which files were verified at which stat (a cache, not part of the index)
        knowledge.json       what the corpus names: gazetteer, article places and dates, lexicon (rag.index.knowledge)

A build writes a new generation directory and only then replaces
``manifest.json`` (``os.replace`` is atomic), so a crash or Ctrl-C at any point
leaves the previous index complete and loadable. Loading memory-maps the
vector files and chunk lines, so opening a large index is quick. An update
copies unchanged articles' lines, vectors and BM25 postings forward instead of
recomputing them (see docs/benchmarks.md for what that buys at 100k chunks).
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from rag.config import BackendConfig, IndexConfig
from rag.errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError
from rag.index import checksums, milvus_store, vector_store
from rag.index.bm25 import BM25Index, top_rows
from rag.index.jsonl_store import JsonLines, JsonLinesMap
from rag.index.knowledge import Knowledge
from rag.index.vector_store import VectorSet
from rag.ingest.chunking import Chunk

log = logging.getLogger(__name__)

FORMAT = "lugang-rag-index"
FORMAT_VERSION = 3  # 3: knowledge.json (rag.index.knowledge)
TOKENIZER_ID = "jieba-search+userdict/1"
MANIFEST = "manifest.json"
_REBUILD = "Rebuild the index: rag index --rebuild"


# ---------------------------------------------------------------- low-level io


def read_manifest(index_dir: str | Path) -> dict:
    index_dir = Path(index_dir)
    path = index_dir / MANIFEST
    if not path.exists():
        raise IndexNotFoundError(f"No index found in {index_dir}/.",
                                 "Build it first: rag index  (or make run, which builds it when missing)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexCorruptError(f"The index manifest {path} is damaged ({exc}).", _REBUILD) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IndexCorruptError(f"{path} is not a Lugang RAG index manifest.", _REBUILD)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatchError(
            f"The index in {index_dir}/ has format version {manifest.get('format_version')}, "
            f"this program reads version {FORMAT_VERSION}.", _REBUILD)
    return manifest


# ---------------------------------------------------------------- the loaded index


class Index:
    """A loaded, read-only index generation: chunks, documents, vectors and BM25."""

    def __init__(self, path: Path, manifest: dict, chunks: JsonLines, docs: JsonLinesMap,
                 vectors: VectorSet, sentence_vectors: VectorSet, bm25: BM25Index | None,
                 sent_start: np.ndarray, knowledge: Knowledge | None = None):
        self.path = path
        self.manifest = manifest
        self.chunks = chunks  # a Sequence of Chunk, parsed on first use
        self.docs = docs  # a Mapping doc_id -> article metadata and source, parsed on first use
        self.vectors: VectorSet = vectors  # row i = chunk i
        self.sentence_vectors: VectorSet = sentence_vectors  # chunk i's sentences at sent_start[i]:
        self.sent_start = sent_start
        self.sent_owner = np.repeat(np.arange(len(chunks)), np.diff(sent_start))
        self.bm25 = bm25  # None when empty
        self.model_id: str = manifest["embedding"]["model"]
        self.dim: int = manifest["embedding"]["dim"]
        self._row: dict[str, int] | None = None
        self.knowledge = knowledge or Knowledge()

    def __len__(self) -> int:
        return len(self.chunks)

    @property
    def generation(self) -> str:
        return self.manifest["generation"]

    def row(self, chunk_id: str) -> int:
        if self._row is None:  # built on first use, from the manifest (no chunk parsing)
            ids = (cid for d in self.manifest["documents"] for cid in d["chunk_ids"])
            self._row = {cid: i for i, cid in enumerate(ids)}
        return self._row[chunk_id]

    def row_at(self, doc_id: str, offset: int) -> int | None:
        """The row of the chunk of ``doc_id`` whose span holds character ``offset`` of the article."""
        for doc in self.manifest["documents"]:
            if doc["doc_id"] == doc_id:
                rows = (self.row(cid) for cid in doc["chunk_ids"])
                return next((r for r in rows if self.chunks[r].start <= offset < self.chunks[r].end), None)
        return None

    def dense_search(self, query_vec: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows and cosine scores of the ``k`` nearest chunks."""
        return self.vectors.search(query_vec, min(k, len(self.chunks)))

    def bm25_scores(self, tokens: list[str]) -> np.ndarray:
        if self.bm25 is None or not tokens:
            return np.zeros(len(self.chunks), dtype=np.float32)
        return self.bm25.scores(tokens)

    def bm25_search(self, tokens: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        scores = self.bm25_scores(tokens)
        rows = top_rows(scores, k)
        rows = rows[scores[rows] > 0]
        return rows, scores[rows]

    def vectors_for(self, rows) -> np.ndarray:
        """Chunk vectors of ``rows``."""
        return self.vectors.reconstruct(list(rows))

    def sentence_rows(self, rows) -> np.ndarray:
        """Sentence-vector rows of every sentence of the chunks in ``rows``, in order."""
        rows = np.asarray(list(rows), dtype=np.int64)
        starts, ends = self.sent_start[rows], self.sent_start[rows + 1]
        counts = ends - starts
        if not counts.sum():
            return np.zeros(0, dtype=np.int64)
        first = np.repeat(starts - (np.cumsum(counts) - counts), counts)
        return first + np.arange(int(counts.sum()))

    def sentence_vectors_for(self, rows) -> np.ndarray:
        """Sentence vectors of every sentence of the chunks in ``rows``, in order."""
        return self.sentence_vectors.reconstruct(self.sentence_rows(rows))

    def sentence_search(self, query_vec: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Sentence rows and cosine scores of the ``k`` nearest sentences."""
        return self.sentence_vectors.search(query_vec, k)

    def doc_text(self, doc_id: str) -> str:
        return self.docs[doc_id]["source"]


def load_index(index_dir: str | Path, expected_model: str | None = None, for_update: bool = False,
               backend: BackendConfig | None = None) -> Index:
    """Load the live generation; check it against the manifest (and the model, if given).

    ``for_update``: vectors are memory-mapped, not read (see rag.index.vector_store.read).
    ``backend`` (default: from the environment): an explicit RAG_BACKEND other than the index's own is an
    IndexMismatchError; for a Milvus-backed index, RAG_MILVUS_URI overrides the recorded URI.
    """
    try:
        return _load_index(Path(index_dir), expected_model, for_update, backend or BackendConfig.from_env())
    except (KeyError, TypeError, AttributeError) as exc:
        raise IndexCorruptError(f"The index manifest in {index_dir}/ lacks an entry ({exc}).", _REBUILD) from exc


def _load_index(index_dir: Path, expected_model: str | None, for_update: bool, backend: BackendConfig) -> Index:
    manifest = read_manifest(index_dir)
    own = manifest["index"].get("backend", "faiss")
    if backend.explicit and backend.name != own:
        raise IndexMismatchError(f"The index in {index_dir}/ keeps its vectors in {own}, RAG_BACKEND asks for "
                                 f"{backend.name}.", f"Move them (the embeddings are reused): RAG_BACKEND="
                                 f"{backend.name} rag index; or unset RAG_BACKEND to use the index as it is.")
    if expected_model and manifest["embedding"]["model"] != expected_model:
        raise IndexMismatchError(
            f"The index in {index_dir}/ was built with the model '{manifest['embedding']['model']}', "
            f"but '{expected_model}' was requested.",
            f"Rebuild it with the new model (rag index --model {expected_model} --rebuild) "
            f"or drop the model option to use the index's own.")
    gen = index_dir / manifest["generation"]
    files = manifest["files"]
    if "digests" in manifest:
        problem = checksums.verify(gen, manifest["digests"])
        if problem:
            raise IndexCorruptError(f"The index in {index_dir}/ is damaged: {problem}.", _REBUILD)
    else:
        log.warning("The index in %s/ has no file checksums; rebuild it to have them checked.", index_dir)
    expected = manifest["counts"]["chunks"]
    doc_ids = [d["doc_id"] for d in manifest["documents"]]

    def damaged(exc: Exception) -> IndexCorruptError:
        return IndexCorruptError(f"The chunk or document list in {gen}/ is damaged ({exc}).", _REBUILD)

    try:
        chunk_offsets = np.load(gen / files["chunk_offsets"], allow_pickle=False)
        doc_offsets = np.load(gen / files["doc_offsets"], allow_pickle=False)
        sent_start = np.load(gen / files["sent_start"], allow_pickle=False)
        chunks = JsonLines(gen / files["chunks"], chunk_offsets, Chunk.from_json, damaged)
        docs = JsonLinesMap(doc_ids, JsonLines(gen / files["docs"], doc_offsets, dict, damaged))
    except FileNotFoundError as exc:
        raise IndexCorruptError(f"The index in {index_dir}/ is missing {exc.filename}.", _REBUILD) from exc
    except (OSError, ValueError, EOFError) as exc:
        raise damaged(exc) from exc
    for lines, offsets, count in ((chunks, chunk_offsets, expected), (docs._rows, doc_offsets, len(doc_ids))):
        if len(offsets) != count + 1 or int(offsets[-1]) != (lines.path.stat().st_size):
            raise damaged(ValueError(f"{lines.path.name} does not have the {count} lines the manifest lists"))
    if len(sent_start) != expected + 1 or (expected and np.any(np.diff(sent_start) < 0)):
        raise damaged(ValueError("sentence table does not match the chunk list"))
    kinds = manifest["index"]
    nprobe = kinds.get("ivf_nprobe", IndexConfig.ivf_nprobe)
    try:
        if own == "milvus":
            c, dim = milvus_store.open_recorded(kinds["milvus"], backend, index_dir), manifest["embedding"]["dim"]
            vectors, sentence_vectors = (milvus_store.read(c, gen / files[name], kinds["milvus"][name], dim, nprobe)
                                         for name in milvus_store.KINDS)
        else:
            vectors = vector_store.read(gen / files["faiss"], kinds.get("faiss_type", "flat"), nprobe, for_update)
            sentence_vectors = vector_store.read(gen / files["sentence_faiss"],
                                                 kinds.get("sentence_faiss_type", "flat"), nprobe, for_update)
    except (RuntimeError, OSError, ValueError, EOFError) as exc:
        raise IndexCorruptError(f"The vector files in {gen}/ cannot be read ({exc}).", _REBUILD) from exc
    bm25 = None
    if expected:
        try:
            bm25 = BM25Index.load(gen / files["bm25"])
        except (OSError, ValueError, KeyError, EOFError) as exc:
            raise IndexCorruptError(f"The BM25 files in {gen}/ cannot be read ({exc}).", _REBUILD) from exc
    if vectors.ntotal != expected:
        raise IndexCorruptError(f"The index in {index_dir}/ is inconsistent: the manifest lists {expected} chunks, "
                                f"{gen.name}/{files['faiss']} holds {vectors.ntotal} vectors.", _REBUILD)
    for name, vs in (("faiss", vectors), ("sentence_faiss", sentence_vectors)):
        if vs.d != manifest["embedding"]["dim"]:
            raise IndexCorruptError(
                f"The index in {index_dir}/ is inconsistent: the model's vectors have {manifest['embedding']['dim']} "
                f"dimensions, {gen.name}/{files[name]} holds vectors of {vs.d}.", _REBUILD)
    if bm25 is not None and bm25.num_docs != expected:
        raise IndexCorruptError(f"The BM25 files in {gen}/ do not match the chunk list.", _REBUILD)
    if sentence_vectors.ntotal != int(sent_start[-1]):
        raise IndexCorruptError(f"The sentence vectors in {gen}/ do not match the chunk list.", _REBUILD)
    knowledge = None
    if not for_update or (gen / files.get("knowledge", "knowledge.json")).exists():
        try:
            knowledge = Knowledge.load(gen / files["knowledge"], bm25.vocabulary if bm25 is not None else dict)
        except FileNotFoundError as exc:
            raise IndexCorruptError(f"The index in {index_dir}/ is missing {exc.filename}.", _REBUILD) from exc
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexCorruptError(f"The corpus knowledge in {gen}/ cannot be read ({exc}).", _REBUILD) from exc
    return Index(index_dir, manifest, chunks, docs, vectors, sentence_vectors, bm25, sent_start, knowledge)


# ---------------------------------------------------------------- building


