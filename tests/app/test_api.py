"""The server's question API (rag.app.api): answers through the fair queue, the exact-question cache
per index generation, and the plain JSON route POST /api/ask."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from rag.app.api import AnswerService, ask_route
from rag.config import ServeConfig
from rag.errors import InvalidQueryError


class FakeAnswer:
    def __init__(self, question: str):
        self.question = question

    def to_json(self) -> dict:
        return {"question": self.question, "answer": f"答：{self.question}", "answerable": True,
                "mode": "extractive", "citations": [{"n": 1}], "related": [], "query": self.question, "notice": ""}


class FakeKB:
    """What AnswerService reads of a KnowledgeBase: ``ask`` and the serving generation."""

    def __init__(self):
        self.asked: list[str] = []
        self.engine = SimpleNamespace(index=SimpleNamespace(generation="gen-1"))

    def ask(self, question: str):
        self.asked.append(question)
        if question == "？？":
            raise InvalidQueryError("The question is only punctuation.")
        return FakeAnswer(question)


@pytest.fixture
def make_service():
    services: list[AnswerService] = []

    def make(kb, **kwargs) -> AnswerService:
        services.append(AnswerService(kb, ServeConfig(**kwargs)))
        return services[-1]

    yield make
    for s in services:
        s.queue.close()


def test_answers_come_from_the_knowledge_base_through_the_queue(make_service):
    kb = FakeKB()
    service = make_service(kb)
    assert service.ask("满洲里口岸货运量多少？")["answer"] == "答：满洲里口岸货运量多少？"
    assert asyncio.run(service.ask_async("满洲里口岸货运量多少？"))["answerable"] is True
    assert kb.asked == ["满洲里口岸货运量多少？"] * 2  # the cache is off by default
    bad = service.ask("？？")
    assert bad["answerable"] is False and "punctuation" in bad["error"]


def test_the_cache_keeps_exact_questions_per_generation(make_service):
    kb = FakeKB()
    service = make_service(kb, cache_size=2)
    first = service.ask("满洲里口岸货运量多少？")
    assert service.ask("满洲里口岸货运量多少？") is first
    assert asyncio.run(service.ask_async("满洲里口岸货运量多少？")) is first
    assert kb.asked == ["满洲里口岸货运量多少？"]
    service.ask("满洲里口岸货运量多少 ？")  # another text is another question
    assert len(kb.asked) == 2
    kb.engine.index.generation = "gen-2"  # a new index: nothing of the old one is served
    assert service.ask("满洲里口岸货运量多少？") is not first and len(kb.asked) == 3
    service.ask("？？")
    service.ask("？？")
    assert kb.asked.count("？？") == 2  # failures are never cached
    for q in ("一", "二", "三"):
        service.ask(q)
    assert len(service._cache) == 2  # least recently used ones are dropped


def test_json_route_validates_its_input(make_service):
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    kb = FakeKB()
    client = TestClient(Starlette(routes=[ask_route(make_service(kb))]))
    got = client.post("/api/ask", json={"question": "珲春口岸今年进出口多少？"})
    assert got.status_code == 200 and got.json()["answer"] == "答：珲春口岸今年进出口多少？"
    assert client.post("/api/ask", json={"question": "？？"}).json()["answerable"] is False
    assert client.post("/api/ask", content=b"question=1").status_code == 400
    assert client.post("/api/ask", json={"question": ["a"]}).status_code == 400
    assert client.post("/api/ask", json=["a"]).status_code == 400
    assert client.post("/api/ask", content=b"x" * (65 * 1024)).status_code == 413
    assert client.get("/api/ask").status_code == 405
    assert kb.asked == ["珲春口岸今年进出口多少？", "？？"]


def test_the_real_knowledge_base_answers_through_the_service(news_kb, make_service):
    from rag.app.api import ask_json

    service = make_service(news_kb)
    question = "二连浩特口岸货运量多少？"
    assert service.ask(question) == ask_json(news_kb, question)
