"""The knowledge base: a corpus folder plus its index, loaded once and swapped atomically.

The CLI and the web app both go through :class:`KnowledgeBase`. Reads use the
current :class:`Engine` (index + retriever + answerer); an update builds a new
index generation on disk, loads it, and replaces ``self.engine`` in one
assignment, so a query that is running keeps the engine it started with.
"""
from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

from rag.answer.engine import Engine, open_engine
from rag.config import ChunkerConfig, IndexConfig, RetrievalConfig, ServeConfig
from rag.errors import DocumentError, IndexNotFoundError, RagError
from rag.index.build import build_index
from rag.index.pooling import estimated_texts, kept_mode
from rag.index.store import MANIFEST, read_manifest
from rag.index.update import BuildReport

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
LONG_QUESTION_CHARS = ServeConfig.long_chars  # a paste (rag.config.ServeConfig)
WATCH_SECONDS = 1.0  # how often a request may look for a newer index generation (one stat call)


def default_corpus() -> Path:
    return Path(os.environ.get("RAG_CORPUS", "corpus"))


def default_index() -> Path:
    return Path(os.environ.get("RAG_INDEX", "index"))


class KnowledgeBase:
    def __init__(self, corpus_dir: str | Path | None = None, index_dir: str | Path | None = None,
                 model: str | None = None, retrieval: RetrievalConfig | None = None,
                 chunker: ChunkerConfig | None = None, index_config: IndexConfig | None = None):
        self.corpus_dir = Path(corpus_dir) if corpus_dir else default_corpus()
        self.index_dir = Path(index_dir) if index_dir else default_index()
        self.model = model
        self.retrieval = retrieval or RetrievalConfig()
        self.chunker = chunker or ChunkerConfig()
        self.index_config = index_config or IndexConfig()
        self._engine: Engine | None = None
        self._write_lock = threading.Lock()
        self._reload_lock = threading.Lock()
        self._long_gate = threading.Semaphore(1)
        self._checked = time.monotonic()
        self._seen: tuple[int, int, int] | None = None

    # -------------------------------------------------------------- reading

    @property
    def engine(self) -> Engine:
        """The loaded index; a newer generation written by another process (``rag index``) is swapped in
        at the next request after it appears, and a damaged or unreadable one is ignored (the old one
        keeps serving, a warning is logged)."""
        if self._engine is None:
            with self._reload_lock:
                if self._engine is None:
                    self._engine = self._load()
            return self._engine
        now = time.monotonic()
        if now - self._checked >= WATCH_SECONDS:
            self._checked = now
            self._swap_if_newer()
        return self._engine

    def _manifest_stat(self) -> tuple[int, int, int] | None:
        try:
            st = (self.index_dir / MANIFEST).stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size, st.st_ino

    def _swap_if_newer(self) -> None:
        stat = self._manifest_stat()
        if stat is None or stat == self._seen or not self._reload_lock.acquire(blocking=False):
            return  # another request is already loading it
        try:
            self._seen = stat
            current = self._engine.index.generation if self._engine else None
            try:
                if read_manifest(self.index_dir).get("generation") == current:
                    return
                engine = self._load()
            except RagError as exc:
                log.warning("A newer index in %s/ could not be loaded; still serving %s: %s",
                            self.index_dir, current, exc)
                return
            self._engine = engine  # one assignment: readers see old or new, never half
            log.info("Swapped in index generation %s", engine.index.generation)
        finally:
            self._reload_lock.release()

    def _load(self) -> Engine:
        self._seen = self._manifest_stat()
        return open_engine(self.index_dir, self.model, self.retrieval)

    def _gate(self, text: str | None):
        """Long questions (pastes) run one at a time, so a burst of them takes at most one core and short
        questions keep their latency; short ones pass freely."""
        return self._long_gate if len(text or "") > LONG_QUESTION_CHARS else contextlib.nullcontext()

    def search(self, query: str, k: int | None = None, mode: str | None = None):
        with self._gate(query):
            return self.engine.search(query, k=k, mode=mode)

    def ask(self, question: str, history=None, **kwargs):
        with self._gate(question):
            return self.engine.ask(question, history=history, **kwargs)

    def documents(self) -> list[dict]:
        """Indexed articles: metadata, chunk count and when they were indexed."""
        try:
            manifest = self.engine.index.manifest
        except IndexNotFoundError:
            return []
        return [{k: v for k, v in d.items() if k != "chunk_ids"} for d in manifest["documents"]]

    def vectors_mode(self) -> str:
        """How the next update makes chunk vectors: as the current index was built, else as configured."""
        try:
            return kept_mode(self.index_config, read_manifest(self.index_dir)).vectors
        except RagError:
            return self.index_config.vectors

    def rebuild_texts(self) -> int:
        """Texts a rebuild of the current index embeds (in the configured mode), estimated from its counts."""
        try:
            index = self.engine.index
        except RagError:
            return 0
        return estimated_texts(len(index), int(index.sent_start[-1]), len(index.manifest["documents"]),
                               self.index_config.vectors)

    # -------------------------------------------------------------- writing

    def update(self, rebuild: bool = False, progress: Callable[[int, int], None] | None = None) -> BuildReport:
        """Re-index the corpus folder (incrementally unless ``rebuild``) and swap the new index in."""
        with self._write_lock:
            report = build_index(self.corpus_dir, self.index_dir, model=self.model, chunker=self.chunker,
                                 config=self.index_config, rebuild=rebuild, progress=progress)
            self._engine = self._load()  # one assignment: readers see old or new, never half
            return report

    def add_file(self, src: str | Path, name: str | None = None,
                 progress: Callable[[int, int], None] | None = None) -> tuple[str, BuildReport]:
        """Copy a file into the corpus (checked first) and index it, in the calling thread. Returns its doc
        id. (The web app queues uploads as jobs instead: rag.app.jobs.)"""
        from rag.ingest.documents import doc_id_for

        name, _ = check_upload(self, src, name)
        self.corpus_dir.mkdir(parents=True, exist_ok=True)
        dest = self.corpus_dir / name
        tmp = dest.with_name(f".upload-{os.getpid()}-{threading.get_ident()}.tmp")  # short: the name may be 255 bytes
        shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
        try:
            report = self.update(progress=progress)
        except Exception:
            dest.unlink(missing_ok=True)  # leave the corpus as it was
            raise
        skipped = next((s.reason for s in report.skipped if s.path == name), None)
        if skipped is not None:  # saved but not indexable: take it back out
            dest.unlink(missing_ok=True)
            raise DocumentError(f"{name}: {skipped}.")
        return doc_id_for(name), report

    def delete(self, doc_id: str) -> BuildReport:
        """Remove an article from the corpus and the index. The file goes to ``corpus/.trash/``."""
        docs = {d["doc_id"]: d for d in self.documents()}
        if doc_id not in docs:
            raise DocumentError(f"No article with id '{doc_id}' in the index.")
        path = self.corpus_dir / docs[doc_id]["path"]
        if path.exists():
            _to_trash(path, self.corpus_dir / ".trash")
        return self.update()


MAX_NAME_BYTES = 255  # the longest file name Linux, macOS and Windows file systems all accept


def _check_name(name: str) -> str:
    """``name`` if it can be a corpus file name, else a DocumentError saying why."""
    if not Path(name).stem:
        raise DocumentError("The file has no usable name.", "Rename it, e.g. article.txt, and add it again.")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
        raise DocumentError(f"{name!r}: the file name contains control characters.",
                            "Rename it with letters, digits and punctuation only, and add it again.")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise DocumentError(f"{name[:40]}…: the file name is {len(name.encode('utf-8'))} bytes long, "
                            f"more than the {MAX_NAME_BYTES} a file system accepts.",
                            "Give it a shorter name and add it again.")
    return name


def _to_trash(path: Path, trash: Path) -> Path:
    """Move ``path`` into ``trash`` under a timestamped name, so every deleted version is kept."""
    trash.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    stem, suffix = path.stem, path.suffix
    for n in range(1000):
        dest = trash / f"{stem}.{stamp}{f'-{n}' if n else ''}{suffix}"
        if len(dest.name.encode("utf-8")) > MAX_NAME_BYTES:
            dest = trash / f"{stem[:60]}.{stamp}{f'-{n}' if n else ''}{suffix}"
        try:
            os.link(path, dest)  # fails if dest exists: never overwrites an earlier deleted version
        except FileExistsError:
            continue
        except OSError:  # no hard links here (e.g. some network file systems): checked copy instead
            if dest.exists():
                continue
            shutil.copy2(path, dest)
        path.unlink()
        return dest
    raise DocumentError(f"{path.name}: too many deleted versions this second; try again.")


def check_upload(kb: KnowledgeBase, src: str | Path, name: str | None = None) -> tuple[str, int]:
    """Check a file before it is accepted: its name, type, size, that it reads, and that no article
    has its name. Returns the corpus file name and the number of texts indexing it will embed."""
    from rag.index.pooling import texts_to_embed
    from rag.ingest.chunking import chunk_document
    from rag.ingest.documents import doc_id_for, make_document
    from rag.ingest.loaders import SUPPORTED_SUFFIXES, read_source

    src = Path(src)
    name = _check_name(Path(name or src.name).name.lstrip("."))  # a hidden file would never be indexed
    if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        raise DocumentError(f"{name}: unsupported file type.", f"Supported: {', '.join(SUPPORTED_SUFFIXES)}")
    if src.stat().st_size > MAX_UPLOAD_BYTES:
        raise DocumentError(f"{name}: file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    source = read_source(src)  # raises DocumentError for undecodable or empty files
    doc_id = doc_id_for(name)
    if (kb.corpus_dir / name).exists() or any(d["doc_id"] == doc_id for d in kb.documents()):
        raise DocumentError(f"{name}: a file with this name is already in the corpus.",
                            "Rename the file or delete the existing article first.")
    chunks = chunk_document(make_document(source, name), kb.chunker)
    return name, len(texts_to_embed(chunks, kb.vectors_mode()))
