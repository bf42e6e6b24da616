"""Run the real web app on 127.0.0.1 in a thread, and the worker in burst mode."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

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
        server.close()
        thread.join(timeout=5)


def drain(rt: Runtime) -> None:
    """Run every queued job to completion in this process, as the worker would."""
    set_runtime(rt)
    SimpleWorker([rt.queue], connection=rt.redis).work(burst=True, logging_level="WARNING")
