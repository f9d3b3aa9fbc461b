"""A fair queue for answers: short questions first, long pastes one at a time and never starved.

The web app answers every question through one :class:`FairQueue` instead of a thread per
request. A fixed set of worker threads takes the next job from two lanes:

- **short** questions (at most ``long_chars`` characters) go first, oldest first;
- **long** ones (pastes) run at most one at a time: whenever no short question waits, and while
  short ones wait, one paste every ``long_max_wait`` seconds (counted from the end of the previous
  paste). A burst of pastes therefore holds at most one worker, and under a stream of short
  questions only a bounded share of it (a paste's own time out of every ``long_max_wait`` s more),
  while every paste still gets its turn.

Waiting costs no thread: callers get a :class:`concurrent.futures.Future` (``await
asyncio.wrap_future(...)`` in an event loop), so hundreds of queued requests neither hold a
web-server thread nor a Gradio concurrency slot while they wait.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from rag.config import ServeConfig


@dataclass
class _Job:
    fn: Callable[[], Any]
    future: Future
    long: bool
    queued: float = field(default_factory=time.monotonic)


class FairQueue:
    """``workers`` threads answering jobs from a short lane and a long lane (see the module doc)."""

    def __init__(self, config: ServeConfig | None = None):
        self.config = config or ServeConfig()
        self._short: deque[_Job] = deque()
        self._long: deque[_Job] = deque()
        self._long_running = 0
        self._long_done = float("-inf")  # when the last paste finished
        self._closed = False
        self._cond = threading.Condition()
        self._threads = [threading.Thread(target=self._work, name=f"answer-{n}", daemon=True)
                         for n in range(max(1, self.config.workers))]
        for thread in self._threads:
            thread.start()

    def is_long(self, text: str | None) -> bool:
        return len(text or "") > self.config.long_chars

    def submit(self, fn: Callable[[], Any], text: str | None) -> Future:
        """Queue ``fn()`` in the lane ``text`` belongs to; the future holds its result or exception."""
        job = _Job(fn, Future(), self.is_long(text))
        with self._cond:
            if self._closed:
                raise RuntimeError("the answer queue is closed")
            (self._long if job.long else self._short).append(job)
            self._cond.notify()
        return job.future

    def run(self, fn: Callable[[], Any], text: str | None) -> Any:
        """``fn()`` through the queue, waiting for it in the calling thread."""
        return self.submit(fn, text).result()

    def waiting(self) -> tuple[int, int]:
        """Jobs queued and not yet started: (short, long)."""
        with self._cond:
            return len(self._short), len(self._long)

    def close(self) -> None:
        """Stop the workers after the jobs already queued."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _next(self) -> _Job | None:
        """The job to start now, or None (called with the lock held)."""
        if self._long and not self._long_running:
            now = time.monotonic()
            overdue = min(now - self._long[0].queued, now - self._long_done) >= self.config.long_max_wait
            if overdue or not self._short:
                self._long_running += 1
                return self._long.popleft()
        if self._short:
            return self._short.popleft()
        return None

    def _work(self) -> None:
        while True:
            with self._cond:
                job = self._next()
                while job is None:
                    if self._closed and not self._short and not self._long:
                        return
                    # a waiting long job becomes overdue without anyone calling notify
                    timeout = self.config.long_max_wait if self._long else None
                    self._cond.wait(timeout)
                    job = self._next()
            if job.future.set_running_or_notify_cancel():
                try:
                    job.future.set_result(job.fn())
                except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
                    job.future.set_exception(exc)
            if job.long:
                with self._cond:
                    self._long_running -= 1
                    self._long_done = time.monotonic()
                    self._cond.notify_all()
