"""A local OpenAI-compatible chat server with canned replies, for testing rag.answer.llm over real HTTP.

The behaviour is chosen by the request's ``model`` name:

- ``good``: quotes the first sentence with a number from passage [1] and cites [1].
- ``renumber``: cites passage [3] first, then [1] (the answer must renumber them 1, 2).
- ``hallucinate``: the good sentence plus one with a figure found in no passage.
- ``hallucinate_all``: only the invented figure (nothing survives verification).
- ``badcite``: the good sentence plus one citing [42], which does not exist.
- ``uncited``: the good sentence plus an uncited claim.
- ``refuse``: the refusal phrase in the question's language.
- ``malformed``: HTTP 200 whose body is not JSON (or a broken SSE chunk when streaming).
- ``empty``: a well-formed reply with empty content.
- ``slow``: sleeps ``slow_s`` seconds before answering (longer than the client timeout).
- ``error500``: HTTP 500 with an error body.

Passages are read back from the prompt rag.answer.llm builds ("[n] header" line, then the text).
"""
from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_PASSAGE = re.compile(r"^\[(\d+)\][^\n]*\n(.+?)(?=\n\n|\Z)", re.M | re.S)
_SENTENCE = re.compile(r"[^。！？!?]+[。！？!?]")
INVENTED = "987.65"


def passages_from_prompt(text: str) -> dict[int, str]:
    return {int(n): body.strip() for n, body in _PASSAGE.findall(text)}


def sentence_with_number(passage: str) -> str:
    for sent in _SENTENCE.findall(passage):
        if re.search(r"\d", sent) and len(sent.strip()) >= 8:
            return sent.strip()
    return passage.strip()


def canned_reply(model: str, prompt: str) -> str:
    passages = passages_from_prompt(prompt)
    question = re.search(r"^(?:问题 / Question|Question):\s*(.*)$", prompt, re.M)
    chinese = bool(re.search(r"[\u4e00-\u9fff]", question.group(1) if question else prompt))
    good = f"{sentence_with_number(passages.get(1, ''))}[1]"
    invented = f"其中相关指标增长{INVENTED}%[1]。" if chinese else f"It grew by {INVENTED}% [1]."
    if model == "renumber":
        return f"{sentence_with_number(passages.get(3, ''))}[3]\n{good}"
    if model == "hallucinate":
        return f"{good}{invented}"
    if model == "hallucinate_all":
        return invented
    if model == "badcite":
        return f"{good}另有说法称班列增加了一倍[42]。"
    if model == "uncited":
        return f"{good}这一成绩在全国排名第一。"
    if model == "refuse":
        return "资料中没有找到相关内容。" if chinese else "The articles do not say."
    if model == "empty":
        return ""
    return good


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            return self._json(400, {"error": {"message": "bad request body"}})
        self.server.owner.requests.append({"path": self.path, "body": body, "headers": {k.lower(): v for k, v in self.headers.items()}})
        if not self.path.rstrip("/").endswith("/chat/completions"):
            return self._json(404, {"error": {"message": f"no route {self.path}"}})
        model = str(body.get("model", ""))
        prompt = "\n\n".join(str(m.get("content", "")) for m in body.get("messages", []))
        if model == "slow":
            time.sleep(self.server.owner.slow_s)
        if model == "error500":
            return self._json(500, {"error": {"message": "internal error", "type": "server_error"}})
        if model == "malformed":
            if body.get("stream"):
                return self._sse(['{"id": "x", "choices": [{"delta": {"content": "半句', "[DONE]"])
            return self._raw(200, b'{"id": "x", "choices": [ this is not json', "application/json")
        reply = canned_reply(model, prompt)
        if body.get("stream"):
            pieces = [reply[i : i + 6] for i in range(0, len(reply), 6)]
            events = [_chunk(model, {"role": "assistant", "content": ""})]
            events += [_chunk(model, {"content": p}) for p in pieces]
            events += [_chunk(model, {}, "stop"), "[DONE]"]
            return self._sse(events)
        return self._json(200, {
            "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": len(prompt), "completion_tokens": len(reply), "total_tokens": 0},
        })

    def _raw(self, status: int, data: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status: int, payload: dict) -> None:
        self._raw(status, json.dumps(payload, ensure_ascii=False).encode(), "application/json")

    def _sse(self, events: list) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()  # HTTP/1.0: the body ends when the connection closes
        sent = self.server.owner.last_stream_sent = []
        for event in events:
            data = event if isinstance(event, str) else json.dumps(event, ensure_ascii=False)
            self.wfile.write(f"data: {data}\n\n".encode())
            self.wfile.flush()
            sent.append(time.monotonic())
            time.sleep(self.server.owner.chunk_delay_s)


def _chunk(model: str, delta: dict, finish: str | None = None) -> dict:
    return {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: "FakeLLMServer"

    def handle_error(self, request, client_address) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)  # a client that timed out hung up: expected


class FakeLLMServer:
    """``with FakeLLMServer() as srv: ... srv.base_url ...`` — serves on 127.0.0.1, a free port."""

    def __init__(self, chunk_delay_s: float = 0.02, slow_s: float = 3.0):
        self.chunk_delay_s = chunk_delay_s
        self.slow_s = slow_s
        self.requests: list[dict] = []
        self.last_stream_sent: list[float] = []  # monotonic send time of each event of the last stream
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fake-llm", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> "FakeLLMServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> "FakeLLMServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
