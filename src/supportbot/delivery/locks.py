"""One worker at a time for one row's delivery job.

A job that posts a row to Slack once (a CSAT question, a report, an on-call post, a rota DM)
reads the row, calls Slack and records the answer; two workers doing that at once would both
post. The Redis lock makes the second one wait, then find the row posted. A lock that cannot
be had in time raises, so RQ retries the job instead of dropping it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from redis import Redis


@contextmanager
def job_lock(
    redis: Redis, name: str, what: str, *, timeout: int = 60, wait: int = 30
) -> Iterator[None]:
    """Hold ``supportbot:lock:<name>``; ``what`` names the work in the error if it is busy."""
    lock = redis.lock(f"supportbot:lock:{name}", timeout=timeout, blocking_timeout=wait)
    if not lock.acquire():
        raise TimeoutError(f"{what} is stuck behind another worker")
    try:
        yield
    finally:
        lock.release()
