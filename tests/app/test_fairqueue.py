"""The fair answer queue: short questions first, long pastes one at a time and never starved."""
from __future__ import annotations

import threading
import time

import pytest

from rag.app.fairqueue import FairQueue
from rag.config import ServeConfig

SHORT = "口岸货运量多少？"
LONG = "材料" * 200  # over ServeConfig.long_chars: a paste


@pytest.fixture
def make_queue():
    queues: list[FairQueue] = []

    def make(**kwargs) -> FairQueue:
        queues.append(FairQueue(ServeConfig(**kwargs)))
        return queues[-1]

    yield make
    for q in queues:
        q.close()


def test_results_and_errors_come_back_through_the_future(make_queue):
    queue = make_queue(workers=2)
    assert queue.run(lambda: 41 + 1, SHORT) == 42
    with pytest.raises(ZeroDivisionError):
        queue.run(lambda: 1 / 0, LONG)
    assert queue.run(lambda: "still working", LONG) == "still working"  # the long lane was freed


def test_short_questions_overlap_and_long_ones_run_one_at_a_time(make_queue):
    queue = make_queue(workers=3)
    running = {"short": 0, "long": 0}
    most = {"short": 0, "long": 0}
    lock = threading.Lock()

    def job(kind: str):
        def run():
            with lock:
                running[kind] += 1
                most[kind] = max(most[kind], running[kind])
            time.sleep(0.05)
            with lock:
                running[kind] -= 1
        return run

    futures = [queue.submit(job("long"), LONG) for _ in range(4)] + [queue.submit(job("short"), SHORT)
                                                                      for _ in range(6)]
    for f in futures:
        f.result(timeout=10)
    assert most["long"] == 1
    assert most["short"] >= 2


def test_short_questions_go_before_waiting_pastes(make_queue):
    queue = make_queue(workers=1, long_max_wait=60)
    gate, busy = threading.Event(), threading.Event()
    order: list[str] = []
    first = queue.submit(lambda: (busy.set(), gate.wait(10)), SHORT)  # holds the only worker
    assert busy.wait(10)
    pastes = [queue.submit(lambda n=n: order.append(f"long{n}"), LONG) for n in range(2)]
    shorts = [queue.submit(lambda n=n: order.append(f"short{n}"), SHORT) for n in range(3)]
    assert queue.waiting() == (3, 2)
    gate.set()
    for f in [first, *pastes, *shorts]:
        f.result(timeout=10)
    assert order == ["short0", "short1", "short2", "long0", "long1"]


def test_a_paste_starts_within_its_wait_budget_under_a_stream_of_short_questions(make_queue):
    queue = make_queue(workers=1, long_max_wait=0.2)
    stop = threading.Event()
    started: dict[str, float] = {}

    def feed():  # short questions keep arriving faster than they are answered
        while not stop.is_set():
            queue.submit(lambda: time.sleep(0.01), SHORT)
            time.sleep(0.005)

    feeder = threading.Thread(target=feed)
    feeder.start()
    try:
        time.sleep(0.05)
        queued = time.monotonic()
        paste = queue.submit(lambda: started.setdefault("long", time.monotonic()), LONG)
        paste.result(timeout=10)
    finally:
        stop.set()
        feeder.join()
    assert started["long"] - queued < 0.2 + 0.5  # the budget plus the short job running when it expired


def test_a_closed_queue_refuses_new_jobs(make_queue):
    queue = make_queue(workers=1)
    queue.close()
    with pytest.raises(RuntimeError):
        queue.submit(lambda: None, SHORT)


def test_pastes_take_turns_with_short_questions_even_on_one_worker(make_queue):
    queue = make_queue(workers=1, long_max_wait=0.3)
    stop = threading.Event()
    log: list[tuple[str, float]] = []

    def feed():
        while not stop.is_set():
            queue.submit(lambda: (log.append(("short", time.monotonic())), time.sleep(0.01)), SHORT)
            time.sleep(0.005)

    feeder = threading.Thread(target=feed)
    feeder.start()
    try:
        pastes = [queue.submit(lambda: (log.append(("long", time.monotonic())), time.sleep(0.05)), LONG)
                  for _ in range(3)]
        for f in pastes:
            f.result(timeout=10)
    finally:
        stop.set()
        feeder.join()
    starts = [t for kind, t in log if kind == "long"]
    assert len(starts) == 3
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert min(gaps) >= 0.3  # one paste per budget while short questions wait ...
    shorts_between = [sum(1 for kind, t in log if kind == "short" and a < t < b) for a, b in zip(starts, starts[1:])]
    assert min(shorts_between) >= 5  # ... and short questions are answered in between
