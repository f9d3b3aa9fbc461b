"""The chat's answer display, kept conversations, confirm dialogs and 👍/👎 in a real headless browser.

Same set-up as tests/app/test_browser.py (Debian chromium via playwright, the app as a ``rag serve``
subprocess over a private copy of the inline app corpus); this module's server writes its feedback log to
``feedback.jsonl`` beside its index. Screenshots go to test-artifacts/browser/ (names starting with ``chat-``).
"""
from __future__ import annotations

import json
import os
import time

import pytest
from test_browser import CHROMIUM, _copy_kb, _serve, _stop, ask, browser, open_page, shot  # noqa: F401

pytestmark = pytest.mark.browser

ZH_QUESTION = "经绥芬河出入境的中欧班列全年开行多少列？"
EN_QUESTION = "How much grain did Suifenhe import?"
REFUSED = "What was Tesla's revenue on Mars in 2019?"
BOT = '[data-testid="bot"]'


@pytest.fixture(scope="module")
def chat_app(app_kb, tmp_path_factory):
    """(url, folder): the app over a copy of the app corpus; folder holds corpus/, index/ and feedback.jsonl."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is not installed; run scripts/browser-deps.sh (apt-get install chromium)")
    base = _copy_kb(app_kb, tmp_path_factory.mktemp("chat_kb"))
    os.environ.pop("RAG_FEEDBACK", None)
    proc, url = _serve(base)
    try:
        yield url, base
    finally:
        _stop(proc)
    assert "Traceback" not in (base / "server.log").read_text()


@pytest.fixture
def page(browser, chat_app):  # noqa: F811 - this module's server
    with open_page(browser, chat_app[0]) as pg:
        yield pg


def last_answer(page):
    return page.locator(BOT).last


def bold_texts(page) -> list[str]:
    return last_answer(page).locator("strong").all_inner_texts()


def test_chinese_answer_phrase_first_and_the_only_bold(page):
    ask(page, ZH_QUESTION)
    answer = last_answer(page)
    assert bold_texts(page) == ["2316列"]  # the phrase; the quote's 11.2% and 40多个 are not bold
    first, quote = answer.locator("p").all_inner_texts()[:2]
    assert first.startswith("2316列") and "[1]" in first
    assert "11.2%" in quote and "40多个" in quote and quote.startswith("根据资料")
    assert "排名 rank 1" in page.inner_text("#sources") and "可信度 Confidence" in page.inner_text("#sources")
    shot(page, "chat-01-zh-phrase-first")


def test_english_answer_shows_the_english_rendering_first(page):
    page.get_by_text("设置 Settings").click()
    settings = page.locator("#retrieval-mode")
    settings.get_by_text("综合（推荐）Balanced").wait_for()
    body = page.inner_text("body").lower()
    assert not any(word in body for word in ("hybrid", "dense", "bm25"))  # settings in the reader's words
    settings.get_by_text("关键词 By keywords").click()  # mapped to the engine's bm25 mode
    ask(page, EN_QUESTION)
    assert bold_texts(page) == ["1.2 million tonnes (120万吨)"]
    first = last_answer(page).locator("p").first.inner_text()
    assert first.startswith("1.2 million tonnes (120万吨)")
    assert "According to the articles" in last_answer(page).inner_text()
    shot(page, "chat-02-en-phrase-first")


def test_refusal_shows_its_reason_and_nothing_bold(page):
    ask(page, REFUSED)
    text = last_answer(page).inner_text()
    assert "未找到答案" in text and "原因 Reason:" in text and "Tesla" in text.split("原因 Reason:")[1]
    assert bold_texts(page) == []
    assert "Related passages" in page.inner_text("#sources") or "No related passages" in page.inner_text("#sources")
    shot(page, "chat-03-refusal-reason")


def test_conversations_survive_a_reload_and_can_be_reopened_and_deleted(page):
    ask(page, ZH_QUESTION)
    ask(page, "那满洲里呢？")
    page.click("#clear")  # 新对话 New chat: the first conversation stays listed
    page.wait_for_function(f"() => document.querySelectorAll('{BOT}').length === 0")
    ask(page, EN_QUESTION)
    page.reload()
    page.wait_for_selector("#question textarea")
    history = page.locator("#history")
    history.get_by_text(EN_QUESTION).wait_for()  # restored from the browser's localStorage
    labels = history.locator("label").all_inner_texts()
    assert labels.index(f"{EN_QUESTION} (1)") < labels.index(f"{ZH_QUESTION} (2)")  # newest first
    assert page.locator(BOT).count() == 0
    shot(page, "chat-04-history-after-reload")

    history.get_by_text(ZH_QUESTION).click()
    page.wait_for_function(f"() => document.querySelectorAll('{BOT}').length === 2")
    assert page.locator(BOT).first.locator("strong").all_inner_texts() == ["2316列"]
    assert "满洲里" in page.inner_text("#chat")
    shot(page, "chat-05-history-reopened")
    page.locator('#chat a[href^="#cite-0-1"]').first.click()  # the reopened citation opens its article
    page.wait_for_selector("#article mark.lg-hl")
    assert "2316列" in page.inner_text("#article mark.lg-hl")

    page.confirms.append(False)
    page.click("#delete-chat")
    time.sleep(1)
    assert history.get_by_text(ZH_QUESTION).count() == 1  # dismissed: kept
    page.confirms.append(True)
    page.click("#delete-chat")
    page.wait_for_function(f"() => document.querySelectorAll('{BOT}').length === 0")
    assert history.get_by_text(ZH_QUESTION).count() == 0 and history.get_by_text(EN_QUESTION).count() == 1
    page.reload()
    page.wait_for_selector("#question textarea")
    page.locator("#history").get_by_text(EN_QUESTION).wait_for()
    assert page.locator("#history").get_by_text(ZH_QUESTION).count() == 0  # deleted for good


def _feedback(base) -> list[dict]:
    path = base / "feedback.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def _wait_lines(base, n: int) -> list[dict]:
    deadline = time.monotonic() + 20
    while len(_feedback(base)) < n and time.monotonic() < deadline:
        time.sleep(0.2)
    return _feedback(base)


def test_thumbs_append_to_the_feedback_log(page, chat_app):
    base = chat_app[1]
    before = len(_feedback(base))
    ask(page, ZH_QUESTION)
    page.locator('#chat button[aria-label="赞"]').last.click()
    rows = _wait_lines(base, before + 1)
    row = rows[-1]
    assert row["verdict"] == "up" and row["question"] == ZH_QUESTION and row["answerable"]
    assert row["short_answer"]["text"] == "2316列" and row["citations"][0]["text"] and row["time"]
    shot(page, "chat-06-thumb-up")

    ask(page, REFUSED)
    page.locator('#chat button[aria-label="踩"]').last.click()
    rows = _wait_lines(base, before + 2)
    assert rows[-1]["verdict"] == "down" and rows[-1]["question"] == REFUSED and not rows[-1]["answerable"]
    assert rows[before] == row  # the earlier line is untouched
    # the verdict is kept with the conversation: reopened after a reload, the thumb is still down
    page.reload()
    page.wait_for_selector("#question textarea")
    page.locator("#history").get_by_text(ZH_QUESTION).first.click()
    page.wait_for_function(f"() => document.querySelectorAll('{BOT}').length === 2")
    assert page.locator('#chat button[aria-label="Disliked"]').count() == 1
    assert page.locator('#chat button[aria-label="Liked"]').count() == 1


def test_kb_delete_and_rebuild_ask_first(page):
    page.get_by_role("tab", name="知识库 Knowledge base").click()
    page.locator("#kb-table").wait_for()
    page.confirms.append(False)
    page.click("#kb-rebuild")
    page.wait_for_function("() => (document.querySelector('#kb-status')?.innerText || '').includes('Cancelled')")
    assert "重建索引 rebuild" not in page.inner_text("#kb-jobs")  # dismissed: no job
    page.click("#kb-pick input")
    page.locator('#kb-pick li[role="option"]', has_text="advice.txt").click()
    page.confirms.append(False)
    page.click("#kb-delete")
    deadline = time.monotonic() + 10
    while page.confirms and time.monotonic() < deadline:  # the dialog came and was dismissed
        page.wait_for_timeout(100)
    page.wait_for_timeout(1000)
    assert "Cancelled" in page.inner_text("#kb-status") and "advice" in page.inner_text("#kb-table")
    shot(page, "chat-07-kb-delete-dismissed")

    page.confirms.append(True)
    page.click("#kb-delete")
    page.wait_for_function("() => (document.querySelector('#kb-status')?.innerText || '').includes('Deleted')")
    page.wait_for_function("() => !(document.querySelector('#kb-table')?.innerText || '').includes('advice')")
    page.confirms.append(True)
    page.click("#kb-rebuild")
    page.wait_for_function("() => (document.querySelector('#kb-status')?.innerText || '').includes('Rebuild queued')")
    page.wait_for_function("() => (document.querySelector('#kb-jobs')?.innerText || '').includes('重建索引 rebuild')")
    shot(page, "chat-08-kb-rebuild-accepted")
