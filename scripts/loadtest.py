#!/usr/bin/env python3
"""Load check for the running web app: N concurrent clients each ask M questions through /ask.

    python scripts/loadtest.py [--url http://127.0.0.1:7860/] [--clients 20] [--questions 10] [--json]

Questions come from eval/lugang.jsonl (Chinese and English). Every client is its
own ``gradio_client.Client``. Reports errors (target: 0) and latency percentiles;
exits 1 if any request failed.
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
FALLBACK = ["青白江2025年规上工业增加值增长多少？", "西部陆海新通道江津班列累计开行多少列？",
            "How much did industrial value added in Qingbaijiang grow in 2025?", "重庆枢纽港产业园是什么时候启动建设的？"]
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


def run_client(url: str, client_no: int, questions: list[str], per_client: int,
               latencies: list[float], errors: list[str], lock: threading.Lock) -> None:
    from gradio_client import Client

    try:
        client = Client(url, verbose=False)
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
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

    questions = load_questions(args.eval_file)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.clients) as pool:
        for n in range(args.clients):
            pool.submit(run_client, args.url, n, questions, args.questions, latencies, errors, lock)
    wall = time.perf_counter() - started
    total = args.clients * args.questions
    report = {
        "url": args.url, "clients": args.clients, "questions_per_client": args.questions, "requests": total,
        "errors": len(errors), "wall_seconds": round(wall, 2), "throughput_per_second": round(total / wall, 2),
        "latency_seconds": {
            "p50": round(percentile(latencies, 50), 3), "p95": round(percentile(latencies, 95), 3),
            "mean": round(statistics.fmean(latencies), 3) if latencies else None,
            "max": round(max(latencies), 3) if latencies else None,
        },
        "first_errors": errors[:5],
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        lat = report["latency_seconds"]
        print(f"{total} requests from {args.clients} clients in {wall:.1f} s ({report['throughput_per_second']}/s)")
        print(f"errors: {len(errors)}")
        print(f"latency: p50 {lat['p50']} s, p95 {lat['p95']} s, mean {lat['mean']} s, max {lat['max']} s")
        for line in errors[:5]:
            print(f"  {line}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
