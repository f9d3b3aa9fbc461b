"""The optional LLM answer mode, against a real local OpenAI-compatible HTTP server (tests/fake_llm_server.py)."""
from __future__ import annotations

import json
import socket
import sys
import time

import pytest

from rag.answer.llm import (
    chat_model,
    llm_answer,
    llm_configured,
    llm_stream,
    numbers,
    passage_numbers,
    split_reply,
    verify_reply,
)
from rag.answer.types import Answer
from rag.config import LLMConfig
from rag.errors import RagError

from fake_llm_server import INVENTED, FakeLLMServer

QUESTION = "绥芬河2025年规上工业增加值增长多少？"
SLOW_S = 2.5


@pytest.fixture(scope="module")
def server():
    with FakeLLMServer(chunk_delay_s=0.05, slow_s=SLOW_S) as srv:
        yield srv


@pytest.fixture
def use_model(server, monkeypatch):
    """Point the RAG_LLM_* environment at the fake server with a canned behaviour."""
    for name in ("RAG_LLM_API_KEY", "RAG_LLM_MAX_TOKENS"):
        monkeypatch.delenv(name, raising=False)

    def use(model: str, timeout: float = 1.0) -> None:
        monkeypatch.setenv("RAG_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("RAG_LLM_MODEL", model)
        monkeypatch.setenv("RAG_LLM_TIMEOUT", str(timeout))

    return use


def _stream(kb, question: str = QUESTION) -> tuple[list[tuple[float, str]], Answer]:
    pieces, final = [], None
    for item in kb.engine.answerer.stream(question, mode="llm"):
        assert final is None, "the Answer must come last"
        if isinstance(item, str):
            pieces.append((time.monotonic(), item))
        else:
            final = item
    assert isinstance(final, Answer)
    return pieces, final


def _assert_exact_spans(kb, answer: Answer) -> None:
    for c in answer.citations:
        source = kb.engine.index.doc_text(c.doc_id)
        assert source[c.start:c.end] == c.text and c.text.strip()
        assert c.passage_start <= c.start < c.end <= c.passage_end
        assert source[c.passage_start:c.passage_end] == c.passage
        assert c.title and c.date and c.district


# --------------------------------------------------------------------------- configuration


def test_config_comes_from_the_environment(monkeypatch):
    for name in ("RAG_LLM_BASE_URL", "RAG_LLM_MODEL", "RAG_LLM_API_KEY", "RAG_LLM_TIMEOUT", "RAG_LLM_MAX_TOKENS"):
        monkeypatch.delenv(name, raising=False)
    assert not llm_configured()
    monkeypatch.setenv("RAG_LLM_BASE_URL", "http://localhost:11434/v1")
    monkeypatch.setenv("RAG_LLM_MODEL", "qwen2.5:7b")
    monkeypatch.setenv("RAG_LLM_TIMEOUT", "12.5")
    monkeypatch.setenv("RAG_LLM_MAX_TOKENS", "300")
    assert llm_configured()
    assert LLMConfig.from_env() == LLMConfig("http://localhost:11434/v1", "qwen2.5:7b", None, 12.5, 300, 0.0)
    monkeypatch.setenv("RAG_LLM_TIMEOUT", "soon")
    with pytest.raises(RagError, match="RAG_LLM_TIMEOUT"):
        LLMConfig.from_env()
    assert not llm_configured()


def test_unconfigured_llm_mode_shows_the_extractive_answer(app_kb, monkeypatch):
    monkeypatch.delenv("RAG_LLM_BASE_URL", raising=False)
    monkeypatch.delenv("RAG_LLM_MODEL", raising=False)
    answer = app_kb.ask(QUESTION, mode="llm")
    assert answer.mode == "extractive" and answer.answerable
    assert "RAG_LLM_MODEL" in answer.notice and "extractive" in answer.notice


def test_missing_langchain_openai_gives_the_install_hint(app_kb, use_model, monkeypatch):
    use_model("good")
    chat_model.cache_clear()
    monkeypatch.setitem(sys.modules, "langchain_openai", None)  # makes the import fail
    try:
        answer = app_kb.ask(QUESTION, mode="llm")
    finally:
        chat_model.cache_clear()
    assert answer.mode == "extractive"
    assert "langchain-openai" in answer.notice and "pip install '.[llm]'" in answer.notice


# --------------------------------------------------------------------------- grounded answers


def test_good_answer_is_verified_and_cites_the_exact_sentence(app_kb, server, use_model):
    use_model("good")
    before = len(server.requests)
    answer = app_kb.ask(QUESTION, mode="llm")
    assert answer.mode == "llm" and answer.answerable and not answer.notice
    assert answer.answer.endswith("[1]") and len(answer.citations) == 1
    _assert_exact_spans(app_kb, answer)
    cited = answer.citations[0]
    claim_numbers = numbers(answer.answer.replace("[1]", ""))
    assert claim_numbers and claim_numbers <= numbers(cited.text)  # the best sentence, not the whole chunk
    assert cited.end - cited.start < cited.passage_end - cited.passage_start
    request = server.requests[before]["body"]
    assert request["stream"] is False and request["model"] == "good"
    assert request["temperature"] == 0 and request["max_tokens"] == 512
    system, user = request["messages"]
    assert system["role"] == "system" and "[n]" in system["content"] and "资料中没有找到" in system["content"]
    assert user["content"].count("\n[") >= 2 and QUESTION in user["content"]
    assert server.requests[before]["headers"]["authorization"] == "Bearer not-needed"


def test_stream_yields_tokens_as_they_arrive_then_the_answer(app_kb, server, use_model):
    use_model("good")
    pieces, final = _stream(app_kb)
    assert len(pieces) >= 5
    # the first tokens are in our hands before the server has sent the last ones
    assert pieces[0][0] < server.last_stream_sent[-1]
    assert final.mode == "llm" and final.answerable
    assert "".join(p for _, p in pieces).strip() == final.answer
    assert server.requests[-1]["body"]["stream"] is True
    _assert_exact_spans(app_kb, final)


def test_citations_are_renumbered_in_order_of_use(app_kb, use_model):
    use_model("renumber")
    hits = app_kb.engine.retriever.search(QUESTION, k=app_kb.engine.answerer.config.passages)
    answer = app_kb.ask(QUESTION, mode="llm")
    assert answer.mode == "llm"
    first, second = answer.answer.split("\n")
    assert first.endswith("[1]") and second.endswith("[2]") and "[3]" not in answer.answer
    assert [c.n for c in answer.citations] == [1, 2]
    assert answer.citations[0].chunk_id == hits[2].chunk.chunk_id
    assert answer.citations[1].chunk_id == hits[0].chunk.chunk_id
    _assert_exact_spans(app_kb, answer)


@pytest.mark.parametrize("streaming", [False, True])
def test_invented_number_is_dropped(app_kb, use_model, streaming):
    use_model("hallucinate")
    answer = _stream(app_kb)[1] if streaming else app_kb.ask(QUESTION, mode="llm")
    assert answer.mode == "llm" and answer.answerable
    assert INVENTED not in answer.answer and "[1]" in answer.answer
    assert "Removed 1 sentence" in answer.notice


def test_nonexistent_citation_is_dropped(app_kb, use_model):
    use_model("badcite")
    answer = app_kb.ask(QUESTION, mode="llm")
    assert answer.mode == "llm" and "[42]" not in answer.answer and "一倍" not in answer.answer
    assert [c.n for c in answer.citations] == [1] and "Removed 1 sentence" in answer.notice


def test_uncited_claim_is_dropped(app_kb, use_model):
    use_model("uncited")
    answer = app_kb.ask(QUESTION, mode="llm")
    assert "全国排名第一" not in answer.answer and "Removed 1 sentence" in answer.notice


def test_nothing_verified_falls_back_to_extractive(app_kb, use_model):
    use_model("hallucinate_all")
    answer = app_kb.ask(QUESTION, mode="llm")
    extractive = app_kb.ask(QUESTION)
    assert answer.mode == "extractive" and answer.answer == extractive.answer
    assert "not supported by the passages" in answer.notice and INVENTED not in answer.answer


@pytest.mark.parametrize("question, phrase", [("绥芬河的人口是多少？", "资料中没有找到"),
                                              ("What is the population of Suifenhe?", "The articles do not say")])
def test_refusal_phrase_means_not_answerable(app_kb, use_model, question, phrase):
    use_model("refuse")
    answer = app_kb.ask(question, mode="llm")
    assert answer.mode == "llm" and not answer.answerable and answer.answer.startswith(phrase)
    assert not answer.citations and 1 <= len(answer.related) <= 3
    _assert_exact_spans(app_kb, Answer(question, "", False, citations=answer.related))


# --------------------------------------------------------------------------- endpoint failures


@pytest.fixture(scope="module")
def grounding(app_kb):
    """The retrieved passages and the extractive answer for QUESTION (what Answerer.ask hands to rag.answer.llm)."""
    return app_kb.engine.retriever.search(QUESTION, k=6), app_kb.ask(QUESTION)


@pytest.mark.parametrize("model, reason", [("error500", "HTTP 500"), ("malformed", "malformed reply"),
                                           ("empty", "empty reply"), ("slow", "timeout after 1s")])
@pytest.mark.parametrize("streaming", [False, True])
def test_endpoint_failure_falls_back_and_says_so(server, grounding, model, reason, streaming):
    hits, extractive = grounding
    config = LLMConfig(base_url=server.base_url, model=model, timeout_s=1.0)
    started = time.monotonic()
    if streaming:
        items = list(llm_stream(QUESTION, QUESTION, hits, fallback=extractive, config=config))
        answer = items[-1]
        assert all(isinstance(i, str) for i in items[:-1])
    else:
        answer = llm_answer(QUESTION, QUESTION, hits, fallback=extractive, config=config)
    elapsed = time.monotonic() - started
    assert answer.mode == "extractive" and answer.answerable
    assert answer.answer == extractive.answer and answer.citations == extractive.citations
    assert f"LLM unavailable ({reason}" in answer.notice and "showing the extractive answer" in answer.notice
    assert elapsed < SLOW_S  # the timeout is honoured; the slow server is not waited for


def test_failure_through_the_answerer(app_kb, use_model):
    use_model("error500")
    answer = app_kb.ask(QUESTION, mode="llm")
    assert answer.mode == "extractive" and answer.answer == app_kb.ask(QUESTION).answer
    assert answer.notice.startswith("LLM unavailable (HTTP 500 from http://127.0.0.1:")


def test_unreachable_endpoint_falls_back(grounding):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = LLMConfig(base_url=f"http://127.0.0.1:{port}/v1", model="good", timeout_s=2)
    hits, fallback = grounding
    answer = llm_answer(QUESTION, QUESTION, hits, fallback=fallback, config=config)
    assert answer.mode == "extractive" and f"cannot connect to http://127.0.0.1:{port}/v1" in answer.notice
    streamed = list(llm_stream(QUESTION, QUESTION, hits, fallback=fallback, config=config))
    assert len(streamed) == 1 and streamed[0].notice == answer.notice


def test_cli_flags_configure_the_llm(app_kb, server, monkeypatch, capsys):
    from rag.app.cli import main

    for name in ("RAG_LLM_BASE_URL", "RAG_LLM_MODEL", "RAG_LLM_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)  # also restores what the flags set
    code = main(["ask", "--corpus", str(app_kb.corpus_dir), "--index", str(app_kb.index_dir), "--json",
                 "--answer-mode", "llm", "--llm-base-url", server.base_url, "--llm-model", "good",
                 "--llm-timeout", "5", QUESTION])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["mode"] == "llm" and out["answerable"] and out["citations"][0]["n"] == 1


# --------------------------------------------------------------------------- verification rules


def test_numbers_are_normalised():
    assert numbers("增长１２.７０%，共1,800亿元，03月") == {"12.7", "1800", "3"}
    assert numbers("约12.7%") == numbers("12.70 %") and "15" not in numbers("1500亿元")
    # an English answer may rescale Chinese magnitudes: 1800亿元 = 180 billion yuan, 12.5万 = 125,000
    allowed = passage_numbers("外贸规模达1800亿元，吞吐12.5万标箱")
    assert numbers("180 billion yuan, 125,000 TEU, 1800亿元") <= allowed and "18" not in allowed


def test_reply_splitting_keeps_text_and_citations_together():
    reply = "根据资料：\n- 绥芬河增长9.6%。[1]\n- It rose 6.5% [2]. Also 3.5 units [1, 2]."
    parts = split_reply(reply)
    assert "".join(parts) == reply
    assert any(p.strip() == "- 绥芬河增长9.6%。[1]" for p in parts)
    assert any(p.strip() == "Also 3.5 units [1, 2]." for p in parts)


def test_verification_rules_on_real_passages(grounding):
    hits, fallback = grounding
    first = numbers(hits[0].chunk.clean)
    j, figure = next((j, n) for j, h in enumerate(hits[1:], start=2) for n in sorted(first, key=len, reverse=True)
                     if n not in numbers(" ".join((h.doc["title"], h.doc["date"], h.chunk.clean))))
    full_width = figure.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    reply = (f"根据资料：\n该指标为{full_width}［1］。另一说法为{figure}【9】。"
             f"同期数字为{figure}[{j}]。这说明发展很好。")
    answer = verify_reply(reply, QUESTION, QUESTION, hits, fallback)
    assert answer.mode == "llm" and answer.answer == f"根据资料：\n该指标为{full_width}[1]。"
    assert "Removed 3 sentences" in answer.notice  # bad citation, number not in passage j, uncited claim
    assert len(answer.citations) == 1 and figure in numbers(answer.citations[0].text)
