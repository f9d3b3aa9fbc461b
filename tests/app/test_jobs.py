"""Ingestion jobs (rag.app.jobs): background uploads that can be cancelled and survive a restart."""
from __future__ import annotations

import json
import threading

import pytest

from rag.app.jobs import JOURNAL, Job, JobQueue
from rag.errors import DocumentError

BASE = {"erenhot.txt": "二连浩特口岸2024年进出口货运量达到1800万吨，同比增长6%。"}
NEW = "凭祥口岸2024年水果进口量达到120万吨。凭祥综合保税区新增企业35家。友谊关口岸通关时间缩短到2小时。"


@pytest.fixture
def kb(make_kb):
    return make_kb(BASE)


def _upload(tmp_path, name="pingxiang.txt", text=NEW):
    path = tmp_path / "uploads" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_an_upload_is_staged_outside_the_corpus_then_indexed(kb, tmp_path):
    queue = JobQueue(kb, start=False)
    job = queue.submit_files([_upload(tmp_path)])
    assert job.state == "queued" and job.texts >= 3  # its 3 sentences at least
    assert queue.estimate_s(job.texts) > 0 and job.eta_s(queue.texts_per_s) > 0
    assert (queue.root / job.id / "pingxiang.txt").exists() and not (kb.corpus_dir / "pingxiang.txt").exists()
    queue._thread.start()
    done = queue.wait(job.id, timeout=120)
    assert done.state == "done", done.message
    assert (kb.corpus_dir / "pingxiang.txt").exists() and not (queue.root / job.id).exists()
    assert kb.search("凭祥水果进口量", k=1)[0].chunk.doc_id == "pingxiang"
    throughput = queue.root / "throughput.json"  # written when the embedding ran long enough to measure
    assert not throughput.exists() or json.loads(throughput.read_text())["texts_per_s"] > 0
    queue.close()


def test_a_bad_file_is_refused_before_anything_is_staged(kb, tmp_path):
    queue = JobQueue(kb, start=False)
    bad = tmp_path / "uploads" / "blob.txt"
    bad.parent.mkdir()
    bad.write_bytes(b"\x00\x01binary")
    with pytest.raises(DocumentError, match="blob.txt"):
        queue.submit_files([_upload(tmp_path), bad])
    assert not queue.root.exists() or not any(queue.root.iterdir())


def test_cancelling_a_running_job_leaves_the_index_and_corpus_as_they_were(kb, tmp_path):
    queue = JobQueue(kb, start=False)
    generation = kb.engine.index.generation
    started, cancelled = threading.Event(), threading.Event()
    real = queue._progress

    def slow_progress(job):
        tick = real(job)

        def wrapped(done, total):
            if done > 0 and not started.is_set():
                started.set()
                assert cancelled.wait(30)
            tick(done, total)
        return wrapped

    queue._progress = slow_progress
    long_text = "".join(f"凭祥口岸第{i}批水果进口{i * 3}万吨。" for i in range(60))
    job = queue.submit_files([_upload(tmp_path, text=long_text)])
    queue._thread.start()
    assert started.wait(60)
    assert queue.cancel(job.id)
    cancelled.set()
    ended = queue.wait(job.id, timeout=60)
    assert ended.state == "cancelled"
    assert not (kb.corpus_dir / "pingxiang.txt").exists() and not (queue.root / job.id).exists()
    assert kb.engine.index.generation == generation
    assert "pingxiang" not in {d["doc_id"] for d in kb.documents()}
    assert not queue.cancel(job.id)  # already over
    queue.close()


def test_a_queued_job_cancelled_never_runs(kb, tmp_path):
    queue = JobQueue(kb, start=False)
    job = queue.submit_files([_upload(tmp_path)])
    assert queue.cancel(job.id)
    assert queue.jobs()[0].state == "cancelled" and not (queue.root / job.id).exists()


def test_a_restart_resumes_a_job_that_was_running(kb, tmp_path):
    queue = JobQueue(kb, start=False)
    job = queue.submit_files([_upload(tmp_path)])
    # the process dies after moving the file into the corpus, before the index was written
    (queue.root / job.id / "pingxiang.txt").rename(kb.corpus_dir / "pingxiang.txt")
    journal = queue.root / job.id / JOURNAL
    data = json.loads(journal.read_text(encoding="utf-8"))
    journal.write_text(json.dumps({**data, "state": "running", "moved": ["pingxiang.txt"]}), encoding="utf-8")

    again = JobQueue(kb, start=False)  # the restarted server
    resumed = again.jobs()
    assert [(j.id, j.state) for j in resumed] == [(job.id, "queued")]
    assert not (kb.corpus_dir / "pingxiang.txt").exists()  # out of the corpus until its job commits it
    again._thread.start()
    assert again.wait(job.id, timeout=120).state == "done"
    assert "pingxiang" in {d["doc_id"] for d in kb.documents()}
    again.close()


def test_unreadable_journals_are_discarded_visibly(kb, caplog):
    queue_root = kb.index_dir / "jobs" / "broken"
    queue_root.mkdir(parents=True)
    (queue_root / JOURNAL).write_text("{half", encoding="utf-8")
    queue = JobQueue(kb, start=False)
    assert queue.jobs() == [] and not queue_root.exists()
    assert "discarding the unreadable job folder" in caplog.text


def test_eta_comes_from_progress_while_running():
    job = Job(id="x", kind="add", state="running", done=30, total=90, texts=90)
    assert job.eta_s(3.0) == pytest.approx(20.0)
    assert Job(id="y", kind="add", texts=60).eta_s(3.0) == pytest.approx(20.0)


def test_estimates_count_the_texts_the_build_really_embeds(kb, tmp_path):
    queue = JobQueue(kb, start=False)
    totals: list[int] = []
    real = queue._progress

    def recording(job):
        tick = real(job)

        def wrapped(done, total):
            totals.append(total)
            tick(done, total)
        return wrapped

    queue._progress = recording
    job = queue.submit_files([_upload(tmp_path)])
    queue._thread.start()
    assert queue.wait(job.id, timeout=120).state == "done"
    assert totals[-1] == job.texts
    rebuild = queue.submit_rebuild()
    assert queue.wait(rebuild.id, timeout=120).state == "done"
    # from the index's counts: every sentence, and about one title line per article
    assert abs(totals[-1] - rebuild.texts) <= len(kb.documents())
    queue.close()
