"""The web app without a browser: the /ask API, rendering safety, chat turns, knowledge-base operations."""
from __future__ import annotations

import html
import json
import logging
import os
import shutil
import socket
import threading
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from rag.app import web, web_kb  # noqa: E402
from rag.app.jobs import JobQueue
from rag.app.kb import KnowledgeBase  # noqa: E402
from rag.app.web_render import (
    DOC_HEADERS,
    answer_markdown,
    article_html,
    document_rows,
    md_text,
    parse_ref,
    sources_html,
)

ZH_QUESTION = "绥芬河2025年规上工业增加值增长多少？"
EN_QUESTION = "How much did industrial value added in Suifenhe grow in 2025?"
NEW_ARTICLE = ("星河陆港智慧物流中心建成投用\n\n"
               "2025年10月，阿拉山口市星河陆港智慧物流中心正式建成投用，总投资88亿元，可年处理集装箱120万标箱。\n\n"
               "该中心配备自动化立体仓库和无人驾驶集卡，服务中欧班列和中亚班列。\n")
EVIL = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">${alert(1)} {{value}} **bold** [1]'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_kb(src: KnowledgeBase, dest: Path) -> KnowledgeBase:
    """A writable copy of a built knowledge base (the index is copied, not rebuilt)."""
    shutil.copytree(src.corpus_dir, dest / "corpus")
    shutil.copytree(src.index_dir, dest / "index")
    return KnowledgeBase(dest / "corpus", dest / "index")


@pytest.fixture(scope="module")
def server(app_kb):
    """The app served in-process on a free port over the (read-only) session knowledge base."""
    demo = web.build_ui(app_kb)
    port = free_port()
    web.launch(demo, "127.0.0.1", port, block=False, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture
def writable_kb(app_kb, tmp_path):
    return copy_kb(app_kb, tmp_path)


# --------------------------------------------------------------------------- the /ask API


def test_ask_endpoint_returns_the_cli_json(server, app_kb, capsys):
    from gradio_client import Client

    from rag.app.cli import main as cli_main

    client = Client(server, verbose=False)
    got = client.predict(ZH_QUESTION, api_name="/ask")
    assert cli_main(["ask", "--json", "--corpus", str(app_kb.corpus_dir), "--index", str(app_kb.index_dir),
                     ZH_QUESTION]) == 0
    expected = json.loads(capsys.readouterr().out)
    assert got == expected
    assert got["answerable"] and got["mode"] == "extractive" and "9.6%" in got["answer"]
    for c in got["citations"]:
        source = app_kb.engine.index.doc_text(c["doc_id"])
        assert source[c["start"]:c["end"]] == c["text"]  # spans point into the article as stored


def test_ask_endpoint_reports_bad_questions_as_json(server):
    from gradio_client import Client

    got = Client(server, verbose=False).predict("？？", api_name="/ask")
    assert got["answerable"] is False and got["citations"] == []
    assert "punctuation" in got["error"] and "Traceback" not in got["answer"]


def test_plain_json_route_answers_like_the_gradio_endpoint(server):
    import urllib.error
    import urllib.request

    from gradio_client import Client

    def post(body: bytes):
        request = urllib.request.Request(server + "api/ask", data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    status, got = post(json.dumps({"question": ZH_QUESTION}).encode("utf-8"))
    assert status == 200
    assert got == Client(server, verbose=False).predict(ZH_QUESTION, api_name="/ask")
    status, got = post("？？".join(['{"question": "', '"}']).encode("utf-8"))
    assert status == 200 and got["answerable"] is False and "punctuation" in got["error"]
    assert post(b"not json")[0] == 400 and post(b'{"question": 3}')[0] == 400


def test_load_script_reports_every_kind_over_the_json_route(server, capsys):
    import importlib.util

    spec = importlib.util.spec_from_file_location("loadtest", Path(__file__).parents[2] / "scripts" / "loadtest.py")
    loadtest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loadtest)
    code = loadtest.main(["--url", server, "--client", "http", "--distinct", "--clients", "2", "--questions", "2",
                          "--long-clients", "1", "--idle", "3", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["errors"] == 0 and report["requests"] == 6
    assert {k: report["latency_seconds"][k]["n"] for k in ("idle", "short", "long")} == {"idle": 3, "short": 4,
                                                                                        "long": 2}
    assert report["short_p95_over_idle_p95"] > 0 and len(report["load_average_before_after"]) == 2


# --------------------------------------------------------------------------- rendering


def test_markdown_and_html_escape_article_and_user_text():
    assert md_text(EVIL).count("<") == 0
    rendered = md_text("1. **x** <b>")
    assert "<b>" not in rendered and "\\*\\*x\\*\\*" in rendered and "1\\." in rendered

    answer = {"answer": f"根据资料：{EVIL}**12.7%**[1][9]", "answerable": True,
              "citations": [{"n": 1}], "related": [], "notice": ""}
    md = answer_markdown(answer, 3)
    assert "<script" not in md and "<img" not in md and "&lt;script&gt;" in md
    assert "[\\[1\\]](#cite-3-1-c)" in md  # cited marker -> link
    assert "\\[9\\]" in md and "#cite-3-9" not in md  # uncited marker stays text
    assert "12\\.7%" in md and "**" not in md  # no answer phrase: nothing is bold, the answerer's ** dropped

    source = "前文。" + EVIL + "。后文。"
    start = source.index("<script>")
    cite = {"n": 1, "doc_id": "d", "title": "<i>t</i>", "start": start, "end": start + len(EVIL), "district": "",
            "date": "2025", "score": 0.5, "passage": "", "passage_start": 0, "passage_end": len(source)}
    for out in (sources_html({"citations": [cite], "related": []}, 0, {"d": source}), article_html(cite, source)):
        assert "<script" not in out and "<img" not in out and "<i>" not in out
        assert f'<mark class="lg-hl">{html.escape(EVIL)}</mark>' in out


def test_refusal_panel_lists_related_passages():
    rel = {"n": 1, "doc_id": "d", "title": "T", "start": 0, "end": 4, "passage": "相关段落", "district": "凭祥",
           "date": "2023", "score": 0.1, "passage_start": 0, "passage_end": 4}
    answer = {"answer": "资料中没有找到能回答这个问题的内容。", "answerable": False, "citations": [], "related": [rel]}
    assert "未找到答案" in answer_markdown(answer, 0)
    panel = sources_html(answer, 0, {"d": "相关段落"})
    assert "Related passages" in panel and 'data-cite="0-1-r"' in panel and "<mark" not in panel


def test_parse_ref_rejects_garbage():
    assert parse_ref("2-1-c") == (2, 1, "c") and parse_ref("0-3") == (0, 3, "c")
    assert parse_ref("x") is None and parse_ref(None) is None and parse_ref("1-1-c;alert(1)") is None


# --------------------------------------------------------------------------- chat turns


def test_chat_turns_cite_highlight_and_follow_up(app_kb):
    turns: list[dict] = []
    list(web.answer_turn(app_kb, ZH_QUESTION, turns))
    first = turns[0]["answer"]
    assert first["answerable"] and first["citations"]
    messages = web.chat_messages(turns)
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert "(#cite-0-1-c)" in messages[1]["content"]
    cite = first["citations"][0]
    viewer = web.article_for(turns, "0-1-c")
    assert f'<mark class="lg-hl">{html.escape(cite["text"])}</mark>' in viewer
    assert html.escape(cite["title"]) in viewer

    list(web.answer_turn(app_kb, "那满洲里呢？", turns))  # a follow-up uses the previous question
    assert "满洲里" in turns[1]["answer"]["query"] and turns[1]["answer"]["query"] != "那满洲里呢？"

    list(web.answer_turn(app_kb, EN_QUESTION, turns, k=6, retrieval_mode="hybrid"))
    assert turns[2]["answer"]["citations"], turns[2]["answer"]
    assert web.article_for(turns, "9-1-c") == web.VIEWER_EMPTY  # stale or forged refs show nothing


def test_llm_answer_mode_streams_into_the_chat(app_kb, monkeypatch):
    from fake_llm_server import FakeLLMServer

    monkeypatch.delenv("RAG_LLM_BASE_URL", raising=False)
    assert not web.llm_configured()  # the answer-mode choice is hidden without an endpoint
    with FakeLLMServer(chunk_delay_s=0.01) as llm:
        monkeypatch.setenv("RAG_LLM_BASE_URL", llm.base_url)
        monkeypatch.setenv("RAG_LLM_MODEL", "good")
        assert web.llm_configured()
        turns: list[dict] = []
        partials = [t["partial"] for t in web.answer_turn(app_kb, ZH_QUESTION, turns, answer_mode="llm")]
    assert len({p for p in partials if p}) > 2  # pieces were shown as they arrived
    answer = turns[0]["answer"]
    assert answer["mode"] == "llm" and answer["citations"], answer
    assert "(#cite-0-1-c)" in web.chat_messages(turns)[1]["content"]
    assert '<mark class="lg-hl">' in web.article_for(turns, "0-1-c")


def test_chat_errors_are_short_messages_and_logged(app_kb, caplog):
    class Broken:
        @property
        def engine(self):
            raise RuntimeError("boom inside the engine")

        def ask(self, question):
            raise RuntimeError("boom inside ask")

    turns: list[dict] = []
    with caplog.at_level(logging.ERROR, logger="rag.app.web"):
        list(web.answer_turn(Broken(), "绥芬河", turns))
        data = web.ask_json(Broken(), "绥芬河")
    assert turns[0]["error"] == web.INTERNAL_ERROR and "boom" not in turns[0]["error"]
    assert "Traceback" not in web.chat_messages(turns)[1]["content"]
    assert data["error"] == web.INTERNAL_ERROR and data["answerable"] is False
    assert "boom inside the engine" in caplog.text and "boom inside ask" in caplog.text

    list(web.answer_turn(app_kb, "!!!", turns))  # a RagError shows its own message
    assert turns[1]["error"].startswith("The query has no words")


def test_app_main_reports_a_missing_corpus(tmp_path, capsys):
    import app

    code = app.main(["--corpus", str(tmp_path / "nope"), "--index", str(tmp_path / "idx"), "--port", "1"])
    assert code == 1
    assert "Corpus folder not found" in capsys.readouterr().err


# --------------------------------------------------------------------------- knowledge base


def test_upload_checks_give_clear_messages(writable_kb, tmp_path, monkeypatch):
    files = tmp_path / "up"
    files.mkdir()
    (files / "tool.exe").write_bytes(b"MZ\x00\x00")
    (files / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    (files / "empty.md").write_text("   \n", encoding="utf-8")
    (files / "gbk.txt").write_bytes(b"\xff\xfe\xfd\x80" * 50)
    (files / "big.txt").write_text("绥芬河" * 100, encoding="utf-8")
    (files / "horgos.txt").write_text("同名文件", encoding="utf-8")
    monkeypatch.setattr("rag.app.kb.MAX_UPLOAD_BYTES", 500)
    before = sorted(p.name for p in writable_kb.corpus_dir.iterdir())
    queue = JobQueue(writable_kb, start=False)
    message = web_kb.upload_files(queue, [str(p) for p in sorted(files.iterdir())])
    lines = message.split("\n\n")
    assert len(lines) == 6 and all(line.startswith("**失败 Failed**") for line in lines), message
    assert "already in the corpus" in message and "unsupported file type" in message
    assert "binary file" in message and "larger than" in message and "no text" in message
    assert "cannot decode" in message
    assert "Choose a file" in web_kb.upload_files(queue, [])
    assert queue.jobs() == []  # nothing queued
    assert sorted(p.name for p in writable_kb.corpus_dir.iterdir()) == before  # nothing half-added
    assert len(writable_kb.documents()) == 5


def test_upload_ask_delete_rebuild(writable_kb, tmp_path):
    src = tmp_path / "xinghe.txt"
    src.write_text(NEW_ARTICLE, encoding="utf-8")
    queue = JobQueue(writable_kb)
    assert "indexing ≈" in web_kb.estimate_upload(queue, [str(src)])  # shown before it is accepted
    message = web_kb.upload_files(queue, [str(src)])
    assert message.startswith("**完成 Done**") and "Queued: xinghe" in message
    job = queue.wait(queue.jobs()[-1].id, timeout=120)
    assert job.state == "done" and job.done == job.total > 0  # the progress is fed
    assert web_kb.job_rows(queue)[0][1] == web_kb.STATES["done"]
    rows = document_rows(writable_kb.documents())
    assert len(rows[0]) == len(DOC_HEADERS) and any(r[-1] == "xinghe" and r[3] > 0 for r in rows)

    answer = web.ask_json(writable_kb, "星河陆港智慧物流中心总投资多少？")
    assert answer["answerable"] and answer["citations"][0]["doc_id"] == "xinghe", answer
    assert "88亿元" in answer["citations"][0]["text"]

    assert ("星河陆港智慧物流中心建成投用 — xinghe.txt", "xinghe") in web_kb.choices(writable_kb)
    assert "Choose an article" in web_kb.delete_document(writable_kb, None)
    assert web_kb.delete_document(writable_kb, "xinghe").startswith("**完成 Done**")
    assert len(list((writable_kb.corpus_dir / ".trash").glob("xinghe.*.txt"))) == 1
    assert all(d["doc_id"] != "xinghe" for d in writable_kb.documents())
    after = web.ask_json(writable_kb, "星河陆港智慧物流中心总投资多少？")
    assert all(c["doc_id"] != "xinghe" for c in after["citations"] + after["related"])
    assert "No article" in web_kb.delete_document(writable_kb, "xinghe")


def test_rebuild_reembeds_everything(make_kb):
    kb = make_kb({"a.txt": NEW_ARTICLE})
    before = kb.engine
    queue = JobQueue(kb)
    assert "Rebuild queued" in web_kb.rebuild_index(queue)
    job = queue.wait(queue.jobs()[-1].id, timeout=120)
    assert job.state == "done" and "Index rebuilt: 1 articles" in job.message and kb.engine is not before
    assert web.ask_json(kb, "星河陆港智慧物流中心总投资多少？")["citations"][0]["doc_id"] == "a"


def test_queries_keep_working_while_the_index_is_swapped(writable_kb, tmp_path):
    """Readers hold their engine; an upload + delete in the middle breaks none of them."""
    src = tmp_path / "swap.txt"
    src.write_text(NEW_ARTICLE, encoding="utf-8")
    results: list[dict] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            try:
                results.append(web.ask_json(writable_kb, ZH_QUESTION))
            except BaseException as exc:  # pragma: no cover - the assertion below shows it
                errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        writable_kb.add_file(src)
        writable_kb.delete("swap")
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert not errors and results
    assert all(r["answerable"] and "error" not in r and r["citations"] for r in results)
