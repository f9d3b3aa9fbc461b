"""The /ask API (rag.app.web.ask_json) under arbitrary input: always a JSON object of the documented shape."""
from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from rag.app import web

KEYS = {"question", "answer", "answerable", "citations"}


@settings(max_examples=settings.default.max_examples * 3 // 5)
@given(question=st.one_of(st.text(max_size=300), st.text(min_size=1000, max_size=3000),
                          st.sampled_from(["", " ", "\x00", "？？？", "<img src=x onerror=alert(1)>", "霍尔果斯口岸货运量"])))
def test_ask_json_always_returns_a_json_answer(news_kb, question):
    out = web.ask_json(news_kb, question)
    assert KEYS <= set(out)
    json.dumps(out, ensure_ascii=False)  # serialisable as the endpoint sends it
    if out.get("error"):
        assert not out["answerable"] and out["answer"] == out["error"]
    elif out["answerable"]:
        assert out["citations"]
