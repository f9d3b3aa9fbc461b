#!/usr/bin/env python3
"""Load check for the running web app: N concurrent clients each ask M questions through /ask.

    python scripts/loadtest.py [--url http://127.0.0.1:7860/] [--clients 20] [--questions 10]
                               [--long-clients 10 --long-chars 1000] [--client gradio|http]
                               [--distinct] [--json]

Questions come from eval/lugang.jsonl (Chinese and English). ``--client gradio`` (the default):
every client is its own ``gradio_client.Client`` calling the Gradio ``/ask`` endpoint;
``--client http``: every client keeps one HTTP connection and POSTs to ``/api/ask`` (the same
answer without Gradio's queue protocol, and a client that costs ~1 ms instead of ~50 ms of CPU
per request — it shares the cores with the server). ``--distinct``: every request asks a
different question (from all of eval/*.jsonl), none of them asked in the idle run, so an answer
cache cannot help. First one client asks ``--idle`` questions alone (idle latency); then the
short-question clients and the long-question clients (``--long-chars`` characters each) run at
the same time. Reports errors (target: 0), latency percentiles per kind, requests/s, the load
average before and after, and the ratio of the short questions' p95 under load to the idle p95
(target ≤ 10); exits 1 if any request failed.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FALLBACK = ["中欧班列今年开行了多少列？", "口岸进出口货运量增长了多少？", "How many freight trains ran this year?",
            "产业园是什么时候启动建设的？"]
REQUIRED = {"question", "answer", "answerable", "mode", "citations"}


def load_questions(path: Path) -> list[str]:
    if not path.exists():
        return FALLBACK
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["question"] for r in rows if r.get("question")] or FALLBACK


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * p / 100
    lo, hi = int(rank), min(int(rank) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (rank - lo)


def long_question(question: str, chars: int) -> str:
    """A question padded with article-like text to ``chars`` characters (what a paste looks like)."""
    filler = "请根据以下材料回答问题：" + "口岸货运量同比增长，班列开行数量持续增加。" * (chars // 20 + 1)
    return (filler[: max(0, chars - len(question))] + question)[:chars]


def distinct_questions(folder: Path, exclude: set[str]) -> list[str]:
    """Every distinct question of the eval sets in ``folder`` except ``exclude`` (those asked idle)."""
    seen: dict[str, None] = {}
    for path in sorted(folder.glob("*.jsonl")):
        for q in load_questions(path):
            if q not in exclude:
                seen.setdefault(q, None)
    return list(seen)


class HttpClient:
    """One keep-alive connection POSTing ``{"question": ...}`` to ``/api/ask``."""

    def __init__(self, url: str):
        import http.client
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        self.path = parts.path.rstrip("/") + "/api/ask"
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=120)
        self.conn.connect()

    def predict(self, question: str, api_name: str = "/ask") -> dict:
        body = json.dumps({"question": question}, ensure_ascii=False).encode("utf-8")
        self.conn.request("POST", self.path, body, {"Content-Type": "application/json"})
        response = self.conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {data[:120]!r}")
        return json.loads(data)


def connect(url: str, kind: str):
    if kind == "http":
        return HttpClient(url)
    from gradio_client import Client

    return Client(url, verbose=False)


def run_client(url: str, client_no: int, questions: list[str], per_client: int,
               latencies: list[float], errors: list[str], lock: threading.Lock, kind: str = "gradio") -> None:
    try:
        client = connect(url, kind)
    except Exception as exc:  # connection refused, bad url ...
        with lock:
            errors.extend([f"client {client_no}: cannot connect: {exc}"] * per_client)
        return
    for i in range(per_client):
        question = questions[(client_no * per_client + i) % len(questions)]
        started = time.perf_counter()
        try:
            result = client.predict(question, api_name="/ask")
            problem = None
            if not isinstance(result, dict) or not REQUIRED <= set(result):
                problem = f"unexpected result {str(result)[:120]}"
            elif result.get("error"):
                problem = f"error answer: {result['error']}"
        except Exception as exc:
            problem = f"{type(exc).__name__}: {exc}"
        elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            if problem:
                errors.append(f"client {client_no} q{i}: {problem}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("RAG_URL", "http://127.0.0.1:7860/"))
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--questions", type=int, default=10, help="questions per client")
    parser.add_argument("--eval-file", type=Path, default=ROOT / "eval" / "lugang.jsonl")
    parser.add_argument("--long-clients", type=int, default=0, help="clients sending long questions meanwhile")
    parser.add_argument("--long-chars", type=int, default=1000, help="length of a long question")
    parser.add_argument("--client", choices=["gradio", "http"], default="gradio",
                        help="gradio_client on /ask, or plain HTTP POST /api/ask")
    parser.add_argument("--distinct", action="store_true", help="every request a different question")
    parser.add_argument("--idle", type=int, default=40, help="questions asked alone first (idle latency)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

    questions = load_questions(args.eval_file)
    lock = threading.Lock()
    idle: list[float] = []
    errors: list[str] = []
    load_before = [round(x, 2) for x in os.getloadavg()]
    run_client(args.url, 0, questions, args.idle, idle, errors, lock, args.client)
    short: list[float] = []
    long: list[float] = []
    if args.distinct:
        asked = {questions[i % len(questions)] for i in range(args.idle)}
        pool_q = distinct_questions(args.eval_file.parent, asked)
        need = (args.clients + args.long_clients) * args.questions
        if len(pool_q) < need:
            parser.error(f"--distinct needs {need} questions; the eval sets hold {len(pool_q)} more")
        questions = pool_q[: args.clients * args.questions]
        long_questions = [long_question(q, args.long_chars) for q in pool_q[args.clients * args.questions: need]]
    else:
        long_questions = [long_question(q, args.long_chars) for q in questions]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.clients + args.long_clients) as pool:
        for n in range(args.long_clients):
            pool.submit(run_client, args.url, n, long_questions, args.questions, long, errors, lock, args.client)
        for n in range(args.clients):
            pool.submit(run_client, args.url, n, questions, args.questions, short, errors, lock, args.client)
    wall = time.perf_counter() - started
    total = (args.clients + args.long_clients) * args.questions

    def stats(values: list[float]) -> dict:
        return {"n": len(values), "p50": round(percentile(values, 50), 3), "p95": round(percentile(values, 95), 3),
                "mean": round(statistics.fmean(values), 3) if values else None,
                "max": round(max(values), 3) if values else None}

    report = {
        "url": args.url, "client": args.client, "distinct": args.distinct, "clients": args.clients, "long_clients": args.long_clients, "long_chars": args.long_chars,
        "questions_per_client": args.questions, "requests": total,
        "errors": len(errors), "wall_seconds": round(wall, 2), "throughput_per_second": round(total / wall, 2),
        "latency_seconds": {"idle": stats(idle), "short": stats(short), "long": stats(long)},
        "short_p95_over_idle_p95": round(percentile(short, 95) / percentile(idle, 95), 2) if idle and short else None,
        # steadier: one slow idle request on a shared machine moves the idle p95 several-fold
        "short_p50_over_idle_p50": round(percentile(short, 50) / percentile(idle, 50), 2) if idle and short else None,
        "load_average_before_after": [load_before, [round(x, 2) for x in os.getloadavg()]],
        "first_errors": errors[:5],
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        lat = report["latency_seconds"]
        print(f"{total} requests from {args.clients} + {args.long_clients} long clients ({args.client}"
              f"{', distinct questions' if args.distinct else ''}) in {wall:.1f} s "
              f"({report['throughput_per_second']}/s); errors: {len(errors)}; "
              f"load average {load_before[0]} -> {report['load_average_before_after'][1][0]}")
        for kind in ("idle", "short", "long"):
            print(f"{kind:6s} p50 {lat[kind]['p50']} s, p95 {lat[kind]['p95']} s, max {lat[kind]['max']} s")
        print(f"short p95 under load / idle p95: {report['short_p95_over_idle_p95']} "
              f"(p50 / idle p50: {report['short_p50_over_idle_p50']})")
        for line in errors[:5]:
            print(f"  {line}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
