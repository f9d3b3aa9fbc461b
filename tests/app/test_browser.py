"""The web chat in a real headless browser (Debian chromium driven by playwright).

The app runs as a subprocess (``python -m rag serve``) over a copy of the session
knowledge base of inline articles (``app_kb``, tests/fixtures_news.py), so uploads and deletes touch nothing else. Screenshots go to
test-artifacts/browser/.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu"]
ZH_QUESTION = "国门景区全年接待游客多少人次？"
EN_QUESTION = "How much did industrial value added in Suifenhe grow in 2025?"
NEW_QUESTION = "星河陆港智慧物流中心总投资多少？"
# A small article that also tries every trick to run code in the page.
EVIL_ARTICLE = """星河陆港智慧物流中心建成投用

2025年10月，阿拉山口市星河陆港智慧物流中心正式建成投用，总投资88亿元，<script>window.__xss=1</script>可年处理集装箱120万标箱。

该中心由当地国有物流企业投资建设，<img src=x onerror="window.__xss=2">配备自动化立体仓库和无人驾驶集卡。

中心服务中欧班列和中亚班列，${window.__xss=3} {{value}} 预计每年带动物流产值超过50亿元。

中心还建设了冷链物流仓库、跨境电商监管仓和多式联运调度平台，<a href="javascript:window.__xss=4">链接</a>实现铁路、公路和航空货运的一体化调度。

物流中心周边规划了配套产业园，吸引了一批装备制造和消费品企业入驻，形成了“枢纽+产业”的发展格局。
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(base: Path) -> tuple[subprocess.Popen, str]:
    """Start ``rag serve`` over ``base``/corpus and ``base``/index; return the process and its URL once it answers."""
    port = _free_port()
    log = open(base / "server.log", "a")
    proc = subprocess.Popen(
        [sys.executable, "-m", "rag", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--corpus", str(base / "corpus"), "--index", str(base / "index")],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"})
    log.close()
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            pytest.fail(f"the app exited with {proc.returncode}:\n{(base / 'server.log').read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return proc, url
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the app did not start within 120 s")
        time.sleep(0.25)


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def _copy_kb(app_kb, base: Path) -> Path:
    shutil.copytree(app_kb.corpus_dir, base / "corpus")
    shutil.copytree(app_kb.index_dir, base / "index")
    return base


@pytest.fixture(scope="module")
def app_url(app_kb, tmp_path_factory):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is not installed; run scripts/browser-deps.sh (apt-get install chromium)")
    base = _copy_kb(app_kb, tmp_path_factory.mktemp("browser_kb"))
    proc, url = _serve(base)
    try:
        yield url
    finally:
        _stop(proc)
    assert "Traceback" not in (base / "server.log").read_text()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@contextlib.contextmanager
def open_page(browser, url: str):
    """A fresh browser context on ``url``; page errors and unexpected dialogs fail the test.

    A test that expects confirm dialogs appends its answers (True: accept) to ``page.confirms`` first."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    problems: list[str] = []
    pg.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    pg.confirms = []

    def on_dialog(dialog):
        if dialog.type == "confirm" and pg.confirms:
            dialog.accept() if pg.confirms.pop(0) else dialog.dismiss()
        else:
            problems.append(f"dialog: {dialog.message}")
            dialog.dismiss()

    pg.on("dialog", on_dialog)
    try:
        pg.goto(url)
        pg.wait_for_selector("#question textarea")
        pg.problems = problems
        yield pg
    finally:
        context.close()
    assert not problems, problems
    assert not pg.confirms, f"confirm dialogs that never came: {pg.confirms}"


@pytest.fixture
def page(browser, app_url):
    with open_page(browser, app_url) as pg:
        yield pg


def ask(page, question: str) -> None:
    """Type a question, send it and wait until its answer and sources are shown."""
    turn = page.locator('[data-testid="bot"]').count()
    page.fill("#question textarea", question)
    page.click("#send")
    page.wait_for_function(
        """(turn) => {
            const bots = document.querySelectorAll('[data-testid="bot"]');
            if (bots.length <= turn) return false;
            const panel = document.querySelector('#sources');
            return panel.querySelector(`[data-cite^="${turn}-"]`) !== null
                || bots[turn].innerText.includes('出错了') || panel.innerText.includes('No related passages');
        }""", arg=turn)


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def mark_in_view(page) -> bool:
    """The highlighted span is inside the visible part of the article box (it was scrolled to)."""
    return page.evaluate("""() => {
        const mark = document.querySelector('#article mark.lg-hl');
        const box = document.querySelector('#article .lg-article-body');
        if (!mark || !box) return false;
        const m = mark.getBoundingClientRect(), b = box.getBoundingClientRect();
        return m.top >= b.top - 1 && m.top < b.bottom && m.top >= 0 && m.top < window.innerHeight;
    }""")


def test_chinese_question_cites_and_opens_the_highlighted_passage(page):
    ask(page, ZH_QUESTION)
    answer = page.locator('[data-testid="bot"]').last.inner_text()
    assert "85万" in answer
    phrase = page.locator('[data-testid="bot"]').last.locator("strong").first.inner_text()
    assert "85万" in phrase and len(phrase) <= 60  # the answer phrase comes first, in bold
    marker = page.locator('#chat a[href^="#cite-0-1"]')  # after the phrase and after the quote
    assert marker.count() == 2 and set(marker.all_inner_texts()) == {"[1]"}
    card = page.locator('#sources [data-cite="0-1-c"]')
    cited = card.locator("mark.lg-hl").inner_text()
    assert "85万" in cited
    assert "绥芬河" in card.inner_text() and "排名 rank 1" in card.inner_text()
    assert "relevance" not in page.inner_text("#sources")  # no raw scores
    shot(page, "01-zh-answer")

    marker.first.click()
    page.wait_for_selector("#article mark.lg-hl")
    assert page.locator("#article mark.lg-hl").inner_text() == cited
    body = page.locator("#article .lg-article-body").inner_text()
    assert len(body) > 2000 and body.index(cited) > 1000  # the whole article, the span deep inside it
    page.wait_for_function("() => document.querySelector('#article .lg-article-body').scrollTop > 0")
    assert mark_in_view(page)
    shot(page, "02-zh-citation-clicked")

    cards = page.locator("#sources .lg-card")
    if cards.count() > 1:  # a source card opens its own article too
        second = cards.nth(1)
        second_cited = second.locator("mark.lg-hl").inner_text()
        second.click()
        page.wait_for_function("(t) => (document.querySelector('#article mark.lg-hl')?.innerText || '') === t",
                               arg=second_cited)
        assert mark_in_view(page)


def test_english_question_follow_up_and_clear(page):
    ask(page, EN_QUESTION)
    answer = page.locator('[data-testid="bot"]').last.inner_text()
    assert "According to the articles" in answer and "9.6%" in answer
    assert page.locator('#chat a[href^="#cite-0-"]').count() >= 1
    shot(page, "03-en-answer")

    ask(page, "那满洲里呢？")  # follow-up: resolved with the previous question
    assert page.locator('[data-testid="bot"]').count() == 2
    assert page.locator('#sources [data-cite^="1-"]').count() >= 1

    page.click("#clear")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"bot\"]').length === 0")
    assert "Sources of each answer appear here" in page.inner_text("#sources")


def test_refusal_is_shown_as_a_refusal(page):
    ask(page, "What was Tesla's revenue on Mars in 2019?")
    answer = page.locator('[data-testid="bot"]').last.inner_text()
    assert "未找到答案" in answer
    assert page.locator('#chat a[href^="#cite-"]').count() == 0
    panel = page.inner_text("#sources")
    assert "Related passages" in panel or "No related passages" in panel
    shot(page, "04-refusal")


def test_upload_ask_delete_with_a_malicious_article(page, tmp_path):
    article = tmp_path / "xinghe_port.txt"
    article.write_text(EVIL_ARTICLE, encoding="utf-8")
    page.get_by_role("tab", name="知识库 Knowledge base").click()
    table = page.locator("#kb-table")
    table.wait_for()
    assert "horgos" in table.inner_text()
    page.set_input_files("#kb-upload input[type=file]", str(article))
    page.locator("#kb-upload").get_by_text("xinghe_port.txt").first.wait_for()
    # the indexing estimate is shown before the file is added
    page.wait_for_function("() => (document.querySelector('#kb-estimate')?.innerText || '').includes('indexing ≈')")
    page.click("#kb-add")
    page.wait_for_function("() => (document.querySelector('#kb-status')?.innerText || '').includes('Queued')")
    assert "xinghe_port" in page.inner_text("#kb-status")
    page.wait_for_function("() => (document.querySelector('#kb-jobs')?.innerText || '').includes('完成 done')")
    page.wait_for_function("() => (document.querySelector('#kb-table')?.innerText || '').includes('xinghe_port')")
    shot(page, "05-kb-uploaded")

    page.get_by_role("tab", name="问答 Chat").click()
    ask(page, NEW_QUESTION)
    card = page.locator("#sources .lg-card").first
    assert "星河陆港智慧物流中心建成投用" in card.inner_text() and "88亿元" in card.inner_text()
    card.click()
    page.wait_for_selector("#article mark.lg-hl")
    text = page.inner_text("#article")
    assert "xinghe_port" in text  # the viewer names the article's id
    assert "<script>window.__xss=1</script>" in text and '<img src=x onerror="window.__xss=2">' in text
    assert "${window.__xss=3} {{value}}" in text and 'href="javascript:' in text
    assert page.evaluate("window.__xss") is None  # nothing ran
    assert page.locator("#article script, #article img, #sources img, #chat img[src=x]").count() == 0
    shot(page, "06-uploaded-article-cited-xss-inert")

    page.get_by_role("tab", name="知识库 Knowledge base").click()
    page.click("#kb-pick input")
    page.locator('#kb-pick li[role="option"]', has_text="xinghe_port.txt").click()
    page.confirms.append(True)
    page.click("#kb-delete")
    page.wait_for_function("() => (document.querySelector('#kb-status')?.innerText || '').includes('Deleted')")
    page.wait_for_function("() => !(document.querySelector('#kb-table')?.innerText || '').includes('xinghe_port')")
    shot(page, "07-kb-deleted")

    page.get_by_role("tab", name="问答 Chat").click()
    ask(page, NEW_QUESTION)
    assert "星河陆港" not in page.inner_text("#sources")
    assert page.evaluate("window.__xss") is None
    shot(page, "08-after-delete")


def test_byline_question_cites_the_byline_line(page):
    ask(page, "绥芬河口岸这篇报道署名的记者有哪几位？")
    answer = page.locator('[data-testid="bot"]').last.inner_text()
    assert all(name in answer for name in ("张立", "刘海燕", "陈明"))
    turn = page.locator('[data-testid="bot"]').count() - 1
    card = page.locator(f'#sources [data-cite="{turn}-1-c"]')
    assert card.locator("mark.lg-hl").inner_text() == "张立 刘海燕 陈明"
    links = page.locator(f'#chat a[href^="#cite-{turn}-1"]')
    assert links.count() == 2  # the answer phrase (the names) and the quoted credit line cite the same line
    links.first.click()
    page.wait_for_function("() => document.querySelector('#article mark.lg-hl')?.innerText === '张立 刘海燕 陈明'")
    assert mark_in_view(page)
    shot(page, "09-byline-answer")


def test_a_large_upload_shows_progress_and_can_be_cancelled(page, tmp_path):
    """A long article is indexed as a background job: the chat keeps answering, the job shows its
    progress and ETA, and cancelling it leaves the article list as it was."""
    article = tmp_path / "long_report.txt"
    article.write_text("口岸年度报告\n\n" + "".join(f"东兴口岸第{i}季度进出口货物{i * 7}万吨，同比增长{i % 9}%。"
                                                   for i in range(400)), encoding="utf-8")
    page.get_by_role("tab", name="知识库 Knowledge base").click()
    page.set_input_files("#kb-upload input[type=file]", str(article))
    page.wait_for_function("() => (document.querySelector('#kb-estimate')?.innerText || '').includes('indexing ≈')")
    shot(page, "09-kb-estimate")
    page.click("#kb-add")
    page.wait_for_function("() => (document.querySelector('#kb-jobs')?.innerText || '').includes('索引中 running')")
    page.wait_for_function("() => /\\d+%/.test((document.querySelector('#kb-jobs')?.innerText || ''))")
    shot(page, "10-kb-job-running")
    # the chat answers while the job runs
    page.get_by_role("tab", name="问答 Chat").click()
    ask(page, ZH_QUESTION)
    page.get_by_role("tab", name="知识库 Knowledge base").click()
    page.click("#kb-job-pick input")
    page.locator('#kb-job-pick li[role="option"]', has_text="long_report.txt").click()
    page.click("#kb-cancel")
    page.wait_for_function("() => (document.querySelector('#kb-jobs')?.innerText || '').includes('已取消 cancelled')")
    assert "long_report" not in page.inner_text("#kb-table")
    shot(page, "11-kb-job-cancelled")


def test_a_job_interrupted_by_a_restart_resumes(browser, app_kb, tmp_path):
    """The server is killed while indexing an upload; after a restart the job is shown again, finishes,
    and the article appears — the file never sat in the corpus unindexed."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is not installed")
    base = _copy_kb(app_kb, tmp_path / "kb")
    article = tmp_path / "restart_report.txt"
    article.write_text("口岸运行报告\n\n" + "".join(f"瑞丽口岸第{i}批边贸货物{i * 5}万吨通关。" for i in range(240)),
                       encoding="utf-8")
    proc, url = _serve(base)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(120_000)
    try:
        page.goto(url)
        page.get_by_role("tab", name="知识库 Knowledge base").click()
        page.set_input_files("#kb-upload input[type=file]", str(article))
        page.wait_for_function("() => (document.querySelector('#kb-estimate')?.innerText || '').includes('indexing ≈')")
        page.click("#kb-add")
        page.wait_for_function("() => (document.querySelector('#kb-jobs')?.innerText || '').includes('索引中 running')")
        proc.kill()  # no clean shutdown: as a crash or a power cut would stop it
        proc.wait(timeout=15)
        assert not (base / "corpus" / "restart_report.txt").exists() or list((base / "index" / "jobs").iterdir())
        proc, url = _serve(base)
        page.goto(url)
        page.get_by_role("tab", name="知识库 Knowledge base").click()
        page.wait_for_function("() => (document.querySelector('#kb-jobs')?.innerText || '').includes('restart_report.txt')")
        shot(page, "12-kb-job-resumed")
        page.wait_for_function("() => (document.querySelector('#kb-jobs')?.innerText || '').includes('完成 done')")
        page.wait_for_function("() => (document.querySelector('#kb-table')?.innerText || '').includes('restart_report')")
        shot(page, "13-kb-job-done-after-restart")
        assert (base / "corpus" / "restart_report.txt").exists()
    finally:
        context.close()
        _stop(proc)
