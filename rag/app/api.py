"""The question API of the web server: ``/ask`` answers through the fair queue, plus a plain JSON route.

Every answer of the server (the Gradio ``/ask`` endpoint, ``POST /api/ask`` and the chat's
extractive turns) is computed by one :class:`~rag.app.fairqueue.FairQueue`, so pastes cannot
starve short questions whichever way they arrive.

``POST /api/ask`` takes ``{"question": "..."}`` and returns the JSON of ``rag ask --json`` (plus
``error`` when answering failed, like the Gradio endpoint). It is an ordinary HTTP request — no
queue join, event stream or session — for scripts and services; the Gradio endpoint stays for
``gradio_client``. An optional cache (``ServeConfig.cache_size``, off by default) keeps the answer
to the exact same question text per index generation: a new generation misses by construction.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

from rag.app.fairqueue import FairQueue
from rag.config import ServeConfig
from rag.errors import RagError

if TYPE_CHECKING:
    from rag.app.kb import KnowledgeBase

log = logging.getLogger(__name__)

INTERNAL_ERROR = "内部错误，已记录在服务器日志中。Something went wrong; the error was logged on the server."
MAX_BODY_BYTES = 64 * 1024  # a question is at most a paste; anything bigger is not one


def ask_json(kb: KnowledgeBase, question: str) -> dict:
    """What the /ask endpoints return: the JSON of ``rag ask --json`` (plus ``error`` on failure)."""
    try:
        return kb.ask(question).to_json()
    except RagError as exc:
        message = exc.message
    except Exception:
        log.exception("/ask %r failed", str(question)[:200])
        message = INTERNAL_ERROR
    return {"question": question, "answer": message, "answerable": False, "mode": "extractive",
            "citations": [], "related": [], "query": "", "notice": "", "error": message}


class AnswerService:
    """Answers for the server: ``kb`` through a :class:`FairQueue`, with the optional exact-question cache.

    Cached answers are shared: callers must not modify the dict they get.
    """

    def __init__(self, kb: KnowledgeBase, config: ServeConfig | None = None):
        self.kb = kb
        self.config = config or ServeConfig()
        self.queue = FairQueue(self.config)
        self._cache: OrderedDict[tuple[str, str], dict] = OrderedDict()
        self._lock = threading.Lock()

    def _key(self, question: str) -> tuple[str, str] | None:
        if self.config.cache_size <= 0:
            return None
        try:
            return self.kb.engine.index.generation, question
        except RagError:  # no index: nothing to cache, the answer says why
            return None

    def _cached(self, key: tuple[str, str] | None) -> dict | None:
        if key is None:
            return None
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
            return hit

    def _keep(self, key: tuple[str, str] | None, data: dict) -> dict:
        if key is not None and not data.get("error"):
            with self._lock:
                self._cache[key] = data
                while len(self._cache) > self.config.cache_size:
                    self._cache.popitem(last=False)
        return data

    def ask(self, question: str) -> dict:
        """The answer JSON, waiting in the calling thread."""
        question = question if isinstance(question, str) else ""
        key = self._key(question)
        hit = self._cached(key)
        if hit is not None:
            return hit
        return self._keep(key, self.queue.run(lambda: ask_json(self.kb, question), question))

    async def ask_async(self, question: str) -> dict:
        """The answer JSON, awaited without holding a thread while the question is queued."""
        question = question if isinstance(question, str) else ""
        key = self._key(question)
        hit = self._cached(key)
        if hit is not None:
            return hit
        future = self.queue.submit(lambda: ask_json(self.kb, question), question)
        return self._keep(key, await asyncio.wrap_future(future))

    def run(self, fn, text: str | None):
        """Any other answering work (the chat's turns) in the same queue."""
        return self.queue.run(fn, text)


def ask_route(service: AnswerService):
    """The Starlette route ``POST /api/ask``: ``{"question": str}`` in, the answer JSON out (400 if malformed)."""
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def endpoint(request: Request) -> JSONResponse:
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return JSONResponse({"error": f"request body over {MAX_BODY_BYTES} bytes"}, status_code=413)
        try:
            import json

            payload = json.loads(body)
        except ValueError:
            return JSONResponse({"error": 'send JSON: {"question": "..."}'}, status_code=400)
        question = payload.get("question") if isinstance(payload, dict) else None
        if not isinstance(question, str):
            return JSONResponse({"error": '"question" must be a string'}, status_code=400)
        return JSONResponse(await service.ask_async(question))

    return Route("/api/ask", endpoint, methods=["POST"])
