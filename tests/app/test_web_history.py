"""rag.app.web_history: conversations in the browser store — save, list, reopen, delete, limits, bad stores."""
from __future__ import annotations

from types import SimpleNamespace

from rag.app import web_history as h
from rag.config import ChatConfig

ARTICLE = "凭祥口岸新闻\n\n凭祥综合保税区新入驻企业35家。东兴口岸货运量86万吨。\n"
SPAN = "凭祥综合保税区新入驻企业35家。"


def turn(question: str, text: str = SPAN) -> dict:
    start = ARTICLE.index(SPAN)
    cite = {"n": 1, "doc_id": "pingxiang", "text": text, "start": start, "end": start + len(SPAN)}
    return {"question": question, "answer": {"question": question, "answer": f"{SPAN}[1]", "answerable": True,
                                             "citations": [cite], "related": [], "analysis": {"x": 1}},
            "error": None, "partial": "", "sources": {"pingxiang": ARTICLE}, "verdict": "up"}


def test_save_lists_newest_first_and_stores_no_article_text_or_analysis():
    store = h.save(h.EMPTY, "a", [turn("凭祥综合保税区新入驻企业多少家？")])
    store = h.save(store, "b", [turn("东兴口岸货运量是多少？"), {"question": "还在回答", "answer": None}])
    assert [i for _, i in h.choices(store)] == ["b", "a"]
    assert h.choices(store)[0][0] == "东兴口岸货运量是多少？ (1)"  # the unfinished turn is not kept
    kept = store["conversations"][0]["turns"][0]
    assert set(kept) == {"question", "answer", "error", "verdict"} and "analysis" not in kept["answer"]
    store = h.save(store, "a", [turn("凭祥综合保税区新入驻企业多少家？"), turn("瑞丽口岸呢？")])
    assert [i for _, i in h.choices(store)] == ["a", "b"]  # answered again: moved to the front
    assert h.EMPTY == {"conversations": []}  # never modified


def test_limits_on_conversations_turns_and_title():
    config = ChatConfig(max_conversations=3, max_turns=2)
    store = h.EMPTY
    for i in range(5):
        store = h.save(store, f"c{i}", [turn(f"问题{i}{'长' * 60}"), turn("第二问"), turn("第三问")], config)
    assert [i for _, i in h.choices(store)] == ["c4", "c3", "c2"]
    conv = store["conversations"][0]
    assert [t["question"] for t in conv["turns"]] == ["第二问", "第三问"]
    assert conv["title"] == "第二问"  # the first question kept
    long = h.save(h.EMPTY, "l", [turn(f"问题{'长' * 60}")])["conversations"][0]["title"]
    assert len(long) == h.TITLE_CHARS and long.endswith("…")


def test_reopen_restores_turns_and_only_articles_that_still_read_the_same():
    store = h.save(h.EMPTY, "a", [turn("凭祥综合保税区新入驻企业多少家？"), turn("改过的文章？", text="别的文字")])
    index = SimpleNamespace(docs={"pingxiang": {}}, doc_text=lambda d: ARTICLE)
    turns = h.reopen(store, "a", index)
    assert [t["question"] for t in turns] == ["凭祥综合保税区新入驻企业多少家？", "改过的文章？"]
    assert turns[0]["sources"] == {"pingxiang": ARTICLE} and turns[0]["verdict"] == "up"
    assert turns[1]["sources"] == {}  # the cited span no longer reads the same: quoted passage only
    gone = SimpleNamespace(docs={}, doc_text=lambda d: "")
    assert h.reopen(store, "a", gone)[0]["sources"] == {}
    assert h.reopen(store, "missing", index) is None


def test_delete_and_malformed_stores():
    store = h.save(h.save(h.EMPTY, "a", [turn("甲？")]), "b", [turn("乙？")])
    assert [i for _, i in h.choices(h.delete(store, "a"))] == ["b"]
    assert h.choices(h.delete(store, None)) == h.choices(store)
    for bad in (None, "x", [], {"conversations": "x"}, {"conversations": [1, {"id": 3}, {"id": "z", "turns": [1]}]}):
        assert h.conversations(bad) == [] and h.choices(bad) == [] and h.reopen(bad, "z") is None
        assert h.save(bad, "n", [turn("丙？")])["conversations"][0]["id"] == "n"


def test_browser_secret_is_created_once_beside_the_index(tmp_path):
    first = h.browser_secret(tmp_path / "index")
    assert len(first) >= 16 and (tmp_path / ".chat-secret").stat().st_mode & 0o077 == 0
    assert h.browser_secret(tmp_path / "index") == first
