"""The knowledge-base tab: list, upload, delete, rebuild.

The operations are plain functions over a :class:`~rag.app.kb.KnowledgeBase` that
return a status message (Markdown, escaped) and the new article list; the tab
only wires them to components. Writes are serialised (one at a time); readers
keep answering from the previous index until the new one is swapped in.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from rag.app.kb import MAX_UPLOAD_BYTES, KnowledgeBase
from rag.app.web_render import DOC_HEADERS, document_rows, md_text
from rag.errors import RagError

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
UPLOAD_TYPES = [".txt", ".md", ".html", ".htm", ".pdf", ".docx"]
FAILED = "内部错误，已记录在服务器日志中。Something went wrong; the error was logged on the server."


def _ok(text: str) -> str:
    return f"**完成 Done** · {md_text(text)}"


def _fail(text: str) -> str:
    return f"**失败 Failed** · {md_text(text)}"


def upload_files(kb: KnowledgeBase, paths: list[str], progress: Callable[[str], Progress] | None = None) -> str:
    """Add each file to the corpus and index it. ``progress(name)`` gives a callback per file."""
    if not paths:
        return _fail("请先选择文件。Choose a file to upload first.")
    lines = []
    for path in paths:
        name = Path(path).name
        try:
            doc_id, report = kb.add_file(path, name=name, progress=progress(name) if progress else None)
            lines.append(_ok(f"{name}: 已加入知识库，可以提问了。Added as {doc_id} "
                             f"({report.embedded_chunks} passages indexed in {report.seconds:.1f} s)."))
        except RagError as exc:
            lines.append(_fail(str(exc).replace("\n", " ")))
        except Exception:
            log.exception("upload of %s failed", name)
            lines.append(_fail(f"{name}: {FAILED}"))
    return "\n\n".join(lines)


def delete_document(kb: KnowledgeBase, doc_id: str | None) -> str:
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


def rebuild_index(kb: KnowledgeBase, progress: Progress | None = None) -> str:
    try:
        report = kb.update(rebuild=True, progress=progress)
    except RagError as exc:
        return _fail(str(exc).replace("\n", " "))
    except Exception:
        log.exception("rebuild failed")
        return _fail(FAILED)
    skipped = "".join(f"\n\n{_fail(f'{s.path}: {s.reason}')}" for s in report.skipped)
    return _ok(f"索引已重建：{report.documents} 篇文章，{report.chunks} 个段落，用时 {report.seconds:.1f} 秒。"
               f"Index rebuilt: {report.documents} articles, {report.chunks} passages.") + skipped


def choices(kb: KnowledgeBase) -> list[tuple[str, str]]:
    return [(f"{d.get('title') or d['doc_id']} — {d.get('path', '')}", d["doc_id"])
            for d in sorted(kb.documents(), key=lambda d: d.get("path", ""))]


# --------------------------------------------------------------------------- the tab


def build_kb_tab(gr, demo, kb: KnowledgeBase) -> None:
    """Components and events of the knowledge-base tab (inside the caller's ``gr.Tab``)."""
    table = gr.Dataframe(document_rows(kb.documents()), headers=DOC_HEADERS, datatype="str", interactive=False,
                         wrap=True, label="文章 Articles", elem_id="kb-table", type="array",
                         column_widths=["34%", "8%", "8%", "7%", "15%", "16%", "12%"])
    with gr.Row():
        with gr.Column():
            files = gr.File(label=f"上传文章 Upload articles ({', '.join(UPLOAD_TYPES)}; "
                                  f"≤ {MAX_UPLOAD_BYTES // (1024 * 1024)} MB)",
                            file_count="multiple", file_types=UPLOAD_TYPES, type="filepath", elem_id="kb-upload")
            add = gr.Button("加入知识库 Add to knowledge base", variant="primary", elem_id="kb-add")
        with gr.Column():
            pick = gr.Dropdown(choices=choices(kb), value=None, label="选择文章 Article", elem_id="kb-pick",
                               interactive=True)
            delete = gr.Button("删除文章 Delete article", variant="stop", elem_id="kb-delete")
            rebuild = gr.Button("重建索引 Rebuild index", elem_id="kb-rebuild")
    status = gr.Markdown("", elem_id="kb-status")

    def listing():
        return document_rows(kb.documents()), gr.update(choices=choices(kb), value=None)

    def bar(progress, label: str) -> Progress:
        progress(0, desc=label)  # shown at once, before checking and embedding start

        def tick(done: int, total: int) -> None:
            progress((done, total), desc=label, unit="texts")
        return tick

    def on_upload(paths, progress=gr.Progress()):
        paths = [paths] if isinstance(paths, str) else list(paths or [])
        message = upload_files(kb, paths, lambda name: bar(progress, f"索引 Indexing {name}"))
        return (message, *listing(), None)

    def on_delete(doc_id, progress=gr.Progress()):
        progress(0, desc="更新索引 Updating index")
        message = delete_document(kb, doc_id)
        return (message, *listing())

    def on_rebuild(progress=gr.Progress()):
        message = rebuild_index(kb, bar(progress, "重建索引 Rebuilding"))
        return (message, *listing())

    writes = dict(concurrency_limit=1, concurrency_id="kb-write", api_visibility="private")
    add.click(on_upload, inputs=[files], outputs=[status, table, pick, files], **writes)
    delete.click(on_delete, inputs=[pick], outputs=[status, table, pick], **writes)
    rebuild.click(on_rebuild, outputs=[status, table, pick], **writes)
    demo.load(listing, outputs=[table, pick], api_visibility="private", queue=False)
