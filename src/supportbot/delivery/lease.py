"""Redis locks that live a few seconds past their holder, renewed while it works.

A lock with a long timeout held by a process that dies (SIGKILL, OOM) blocks everyone until
it expires. These locks live only a few seconds and a thread renews them while their holder
runs, so a dead holder's lock frees itself within seconds, however long the work takes.
Used for the per-incident Slack sync lock and the reconciler's lease.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from redis import Redis
from redis.exceptions import LockError, LockNotOwnedError, RedisError
from redis.lock import Lock

log = logging.getLogger(__name__)


class Renewed:
    """Locks this process holds, renewed by a thread every ``every`` seconds until released;
    :meth:`check` says whether they are still held (call it before acting on them)."""

    def __init__(self, *locks: Lock, every: float) -> None:
        self.locks, self.every = locks, every
        self.lost: Exception | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._renew, name="lock-renewal", daemon=True)
        self._thread.start()

    def _renew(self) -> None:
        while not self._done.wait(self.every):
            for lock in self.locks:
                try:
                    lock.reacquire()
                except (LockError, RedisError) as exc:  # expired and taken, or Redis away
                    self.lost = exc
                    log.warning("lock %s lost: %s", lock.name, exc)
                    return

    def check(self) -> None:
        if self.lost is not None:
            raise LockNotOwnedError(f"lock lost: {self.lost}")

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def release(self) -> None:
        """Stop renewing and release the locks, unless one was lost (then it is not ours)."""
        self.stop()
        if self.lost is None:
            for lock in self.locks:
                lock.release()


@contextmanager
def lease(redis: Redis, name: str, seconds: float) -> Iterator[bool]:
    """Hold ``name`` for the block if nobody else does (True), else do not wait (False). It
    lives ``seconds`` past this process's last renewal (every third of that)."""
    lock = redis.lock(name, timeout=seconds, thread_local=False)
    if not lock.acquire(blocking=False):
        yield False
        return
    held = Renewed(lock, every=seconds / 3)
    try:
        yield True
    finally:
        held.release()
