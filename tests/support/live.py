"""Run the real web app on 127.0.0.1 in a thread, and the worker in burst mode."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from rq import SimpleWorker
from waitress.server import create_server

from supportbot.devtools.listener_executor import TrackingExecutor
from supportbot.runtime import Runtime, set_runtime
from supportbot.web import WAITRESS_OPTIONS

__all__ = ["TrackingExecutor", "drain", "serve"]


@contextmanager
def serve(app: Flask, threads: int = 8) -> Iterator[str]:
    server = create_server(app, host="127.0.0.1", port=0, threads=threads, **WAITRESS_OPTIONS)
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

        try:
            server.trigger.pull_trigger(_close_all)  # type: ignore[union-attr]
        except OSError:
            # The loop already ended and closed its trigger (it does when a channel's error
            # stops it): nothing is left to close. Any other failure is real.
            thread.join(timeout=5)
            if thread.is_alive():
                raise
        thread.join(timeout=5)
        server.task_dispatcher.shutdown()  # type: ignore[union-attr]


class _DrainWorker(SimpleWorker):
    """A burst worker without RQ's control channel (kill/stop commands from other processes).

    Its listener thread blocks for up to a minute, and stopping the worker waits a second for
    it; with a drain after every step of a scenario that second is most of a test's run time.
    """

    def subscribe(self) -> None:
        pass

    def unsubscribe(self) -> None:
        pass


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
        _DrainWorker(rt.queues, connection=rt.redis).work(burst=True, logging_level="WARNING")

    raise AssertionError("jobs kept queueing more jobs: 50 rounds and the queue is not empty")
