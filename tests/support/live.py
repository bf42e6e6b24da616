"""Run the real web app on 127.0.0.1 in a thread, and the worker in burst mode."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from flask import Flask
from rq import SimpleWorker
from waitress.server import create_server

from supportbot.runtime import Runtime, set_runtime


@contextmanager
def serve(app: Flask, threads: int = 8) -> Iterator[str]:
    server = create_server(app, host="127.0.0.1", port=0, threads=threads)
    thread = threading.Thread(target=server.run, daemon=True, name="waitress")
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"  # type: ignore[union-attr]
    finally:
        # Close every channel (listener, keep-alive clients, trigger) from inside the loop
        # thread, so the loop ends at once instead of waiting for idle clients to time out.
        def _close_all() -> None:
            for channel in list(server._map.values()):  # type: ignore[union-attr]
                channel.close()

        server.trigger.pull_trigger(_close_all)  # type: ignore[union-attr]
        thread.join(timeout=5)
        server.task_dispatcher.shutdown()  # type: ignore[union-attr]


def drain(rt: Runtime) -> None:
    """Run every queued job to completion in this process, as the worker would.

    Jobs queue more jobs (a step queues its sends) through the after-commit dispatcher, so
    this repeats until the dispatcher has handed over everything and the queue is empty.
    """
    set_runtime(rt)
    for _ in range(50):
        rt.dispatcher.flush()
        if not any(queue.count for queue in rt.queues):
            return
        SimpleWorker(rt.queues, connection=rt.redis).work(burst=True, logging_level="WARNING")

    raise AssertionError("jobs kept queueing more jobs: 50 rounds and the queue is not empty")


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
