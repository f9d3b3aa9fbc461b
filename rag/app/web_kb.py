"""The knowledge-base tab: list, upload, delete, rebuild — uploads and rebuilds as background jobs.

The operations are plain functions over a :class:`~rag.app.kb.KnowledgeBase` that
return a status message (Markdown, escaped) and the new article list; the tab
only wires them to components. Writes are serialised (one at a time); readers
keep answering from the previous index until the new one is swapped in.
"""
from __future__ import annotations

import logging
from pathlib import Path

from rag.app.jobs import ACTIVE, Job, JobQueue
from rag.app.kb import MAX_UPLOAD_BYTES, KnowledgeBase, check_upload
from rag.app.web_render import DOC_HEADERS, document_rows, md_text
from rag.errors import RagError

log = logging.getLogger(__name__)

UPLOAD_TYPES = [".txt", ".md", ".html", ".htm", ".pdf", ".docx"]
FAILED = "内部错误，已记录在服务器日志中。Something went wrong; the error was logged on the server."
LARGE_JOB_S = 600  # an upload estimated to index longer than this is flagged before it is added
JOBS_SHOWN = 8
JOB_HEADERS = ["任务 Job", "状态 State", "进度 Progress", "剩余 ETA", "消息 Message", "id"]
STATES = {"queued": "排队 queued", "running": "索引中 running", "done": "完成 done", "failed": "失败 failed",
          "cancelled": "已取消 cancelled"}


def _ok(text: str) -> str:
    return f"**完成 Done** · {md_text(text)}"


def _fail(text: str) -> str:
    return f"**失败 Failed** · {md_text(text)}"


def upload_files(queue: JobQueue, paths: list[str]) -> str:
    """Check each file and queue the good ones as one indexing job; one line per refused file."""
    if not paths:
        return _fail("请先选择文件。Choose a file to upload first.")
    lines, good = [], []
    for path in paths:
        try:
            good.append((Path(path), *check_upload(queue.kb, path)))
        except RagError as exc:
            lines.append(_fail(str(exc).replace("\n", " ")))
    if good:
        try:
            job = queue.submit_checked(good)
            lines.insert(0, _ok(f"已排队 Queued: {', '.join(job.files)} — 预计 about "
                                f"{_duration(queue.estimate_s(job.texts))}. 可以继续提问 You can keep asking "
                                f"while it is indexed."))
        except RagError as exc:
            lines.append(_fail(str(exc).replace("\n", " ")))
        except Exception:
            log.exception("upload of %s failed", [name for _, name, _ in good])
            lines.append(_fail(FAILED))
    return "\n\n".join(lines)


def estimate_upload(queue: JobQueue, paths: list[str]) -> str:
    """What indexing the chosen files will take, shown before they are accepted."""
    lines = []
    for path in paths:
        name = Path(path).name
        try:
            _, texts = check_upload(queue.kb, path)
        except RagError as exc:
            lines.append(_fail(str(exc).replace("\n", " ")))
            continue
        seconds = queue.estimate_s(texts)
        warn = " ⚠️ 较大 Large" if seconds >= LARGE_JOB_S else ""
        lines.append(md_text(f"{name}: 预计索引 indexing ≈ {_duration(seconds)} ({texts} texts){warn}"))
    return "\n\n".join(lines)


def job_rows(queue: JobQueue) -> list[list[str]]:
    rate = queue.texts_per_s
    rows = []
    for job in reversed(queue.jobs()[-JOBS_SHOWN:]):
        progress = f"{100 * job.done // job.total}%" if job.state == "running" and job.total else ""
        eta = job.eta_s(rate)
        rows.append([_label(job), STATES.get(job.state, job.state), progress, _duration(eta) if eta is not None else "",
                     job.message, job.id])
    return rows


def _label(job: Job) -> str:
    return ", ".join(job.files) if job.kind == "add" else "重建索引 rebuild"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def delete_document(kb: KnowledgeBase, doc_id: str | None, confirmed: bool = True) -> str:
    if not confirmed:
        return CANCELLED
    if not doc_id:
        return _fail("请先选择要删除的文章。Choose an article to delete first.")
    title = next((d.get("title") or doc_id for d in kb.documents() if d["doc_id"] == doc_id), doc_id)
    try:
        kb.delete(doc_id)
    except RagError as exc:
        return _fail(str(exc).replace("\n", " "))
    except Exception:
        log.exception("delete of %s failed", doc_id)
        return _fail(FAILED)
    return _ok(f"已删除《{title}》({doc_id})；文件移到了 corpus/.trash/。"
               f"Deleted; the file was moved to the corpus .trash folder.")


CANCELLED = "已取消，未做任何更改。Cancelled; nothing was changed."
# Delete and Rebuild ask first: the browser's confirm() answer goes to the server in a hidden checkbox, and
# a dismissed dialog changes nothing. The article's name is read from the dropdown as the user sees it.
CONFIRM_DELETE = ("(doc, ok) => [doc, doc ? confirm('删除文章《' + (document.querySelector('#kb-pick input')?.value "
                  "|| doc) + '》？文件会移到 corpus/.trash/。\\nDelete this article? The file is moved to "
                  "corpus/.trash/.') : true]")
CONFIRM_REBUILD = ("(ok) => [confirm('重建整个索引？所有文章会重新嵌入，期间仍可提问。\\nRebuild the whole index? "
                   "Every article is embedded again; the chat keeps answering meanwhile.')]")


def rebuild_index(queue: JobQueue, confirmed: bool = True) -> str:
    if not confirmed:
        return CANCELLED
    try:
        queue.submit_rebuild()
    except RagError as exc:
        return _fail(str(exc).replace("\n", " "))
    return _ok("已排队重建索引 Rebuild queued; the current index keeps answering until it is done.")


def cancel_job(queue: JobQueue, job_id: str | None) -> str:
    if not job_id:
        return _fail("请先选择任务。Choose a job first.")
    if queue.cancel(job_id):
        return _ok("已取消，索引不变。Cancelled; the index stays as it was.")
    return _fail("该任务已结束。That job has already ended.")


def active_choices(queue: JobQueue) -> list[tuple[str, str]]:
    return [(f"{_label(j)} — {STATES[j.state]}", j.id) for j in queue.jobs() if j.state in ACTIVE]


def choices(kb: KnowledgeBase) -> list[tuple[str, str]]:
    return [(f"{d.get('title') or d['doc_id']} — {d.get('path', '')}", d["doc_id"])
            for d in sorted(kb.documents(), key=lambda d: d.get("path", ""))]


# --------------------------------------------------------------------------- the tab


def build_kb_tab(gr, demo, kb: KnowledgeBase, queue: JobQueue) -> None:
    """Components and events of the knowledge-base tab (inside the caller's ``gr.Tab``)."""
    table = gr.Dataframe(document_rows(kb.documents()), headers=DOC_HEADERS, datatype="str", interactive=False,
                         wrap=True, label="文章 Articles", elem_id="kb-table", type="array",
                         column_widths=["34%", "8%", "8%", "7%", "15%", "16%", "12%"])
    with gr.Row():
        with gr.Column():
            files = gr.File(label=f"上传文章 Upload articles ({', '.join(UPLOAD_TYPES)}; "
                                  f"≤ {MAX_UPLOAD_BYTES // (1024 * 1024)} MB)",
                            file_count="multiple", file_types=UPLOAD_TYPES, type="filepath", elem_id="kb-upload")
            estimate = gr.Markdown("", elem_id="kb-estimate")
            add = gr.Button("加入知识库 Add to knowledge base", variant="primary", elem_id="kb-add")
        with gr.Column():
            pick = gr.Dropdown(choices=choices(kb), value=None, label="选择文章 Article", elem_id="kb-pick",
                               interactive=True)
            delete = gr.Button("删除文章 Delete article", variant="stop", elem_id="kb-delete")
            rebuild = gr.Button("重建索引 Rebuild index", elem_id="kb-rebuild")
    status = gr.Markdown("", elem_id="kb-status")
    confirmed = gr.Checkbox(True, visible=False)  # what the confirm dialog answered
    jobs = gr.Dataframe(job_rows(queue), headers=JOB_HEADERS, datatype="str", interactive=False, wrap=True,
                        label="索引任务 Indexing jobs", elem_id="kb-jobs", type="array")
    with gr.Row():
        running = gr.Dropdown(choices=active_choices(queue), value=None, label="进行中的任务 Active job",
                              elem_id="kb-job-pick", interactive=True)
        cancel = gr.Button("取消任务 Cancel job", elem_id="kb-cancel")
    timer = gr.Timer(1.0)
    seen = gr.State("")

    def listing():
        return document_rows(kb.documents()), gr.update(choices=choices(kb), value=None)

    def on_pick(paths):
        paths = [paths] if isinstance(paths, str) else list(paths or [])
        return estimate_upload(queue, paths) if paths else ""

    def on_upload(paths):
        paths = [paths] if isinstance(paths, str) else list(paths or [])
        message = upload_files(queue, paths)
        return message, job_rows(queue), gr.update(choices=active_choices(queue)), None, ""

    def on_delete(doc_id, confirmed, progress=gr.Progress()):
        if not confirmed:
            return CANCELLED, gr.skip(), gr.skip()
        progress(0, desc="更新索引 Updating index")
        message = delete_document(kb, doc_id)
        return (message, *listing())

    def on_rebuild(confirmed):
        return rebuild_index(queue, bool(confirmed)), job_rows(queue), gr.update(choices=active_choices(queue))

    def on_cancel(job_id):
        return cancel_job(queue, job_id), job_rows(queue), gr.update(choices=active_choices(queue), value=None)

    def on_tick(last):
        # the article list is re-read only when a job ended since the last tick
        ended = ",".join(j.id for j in queue.jobs() if j.state not in ACTIVE)
        rows = job_rows(queue)
        active = gr.update(choices=active_choices(queue))
        if ended != last:
            return (rows, active, ended, *listing())
        return rows, active, last, gr.update(), gr.update()

    quiet = dict(api_visibility="private")
    files.change(on_pick, inputs=[files], outputs=[estimate], queue=False, **quiet)
    add.click(on_upload, inputs=[files], outputs=[status, jobs, running, files, estimate], **quiet)
    delete.click(on_delete, inputs=[pick, confirmed], outputs=[status, table, pick], js=CONFIRM_DELETE,
                 concurrency_limit=1, concurrency_id="kb-write", **quiet)
    rebuild.click(on_rebuild, inputs=[confirmed], outputs=[status, jobs, running], js=CONFIRM_REBUILD, **quiet)
    cancel.click(on_cancel, inputs=[running], outputs=[status, jobs, running], **quiet)
    timer.tick(on_tick, inputs=[seen], outputs=[jobs, running, seen, table, pick], queue=False, **quiet)
    demo.load(listing, outputs=[table, pick], api_visibility="private", queue=False)
