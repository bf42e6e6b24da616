"""Bolt's listener executor, counting work in flight so a caller can wait for it to end.

Bolt acks first and runs the listener body on this executor afterwards, so an HTTP 200 does
not mean the listener has finished; :meth:`TrackingExecutor.wait_idle` does. The demo and the
tests use it to show each step's effects before the next step.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class TrackingExecutor(ThreadPoolExecutor):
    """Bolt's listener executor, counting work in flight so a test can wait for it to end.

    Bolt acks first and runs the listener body on this executor afterwards, so an HTTP 200
    does not mean the listener has finished; :meth:`wait_idle` does.
    """

    def __init__(self, max_workers: int = 8) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix="bolt-listener")
        self._idle = threading.Condition()
        self._in_flight = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._idle:
            self._in_flight += 1
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._done)
        return future

    def _done(self, _future: Future[Any]) -> None:
        with self._idle:
            self._in_flight -= 1
            self._idle.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> None:
        with self._idle:
            if not self._idle.wait_for(lambda: self._in_flight == 0, timeout=timeout):
                raise AssertionError(f"{self._in_flight} Bolt listener(s) still running")
