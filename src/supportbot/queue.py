"""The RQ queue. Redis only delivers: every job carries an id and reloads its row.

Job ids are derived from what the job does, so re-enqueueing replaces rather than duplicates.
"""

from __future__ import annotations

import re
from datetime import datetime

from redis import Redis
from rq import Queue, Retry
from rq.job import Job

_JOB_ID_SAFE = re.compile(r"[^A-Za-z0-9_-]")

# Transient Slack or Twilio trouble is retried by RQ with growing pauses.
DEFAULT_RETRY = Retry(max=5, interval=[1, 5, 15, 30, 60])


def job_id(*parts: object) -> str:
    """A deterministic id such as ``remind-INC-1042-response-75`` (RQ allows [A-Za-z0-9_-])."""
    return _JOB_ID_SAFE.sub("_", "-".join(str(p) for p in parts))


def make_queue(redis: Redis, name: str) -> Queue:
    return Queue(name, connection=redis)


def enqueue_now(queue: Queue, func: str, *args: object, jid: str) -> Job:
    return queue.enqueue(func, *args, job_id=jid, retry=DEFAULT_RETRY, result_ttl=60)


def enqueue_at(queue: Queue, when: datetime, func: str, *args: object, jid: str) -> Job:
    """Schedule ``func``; a job already scheduled under ``jid`` is replaced, not duplicated."""
    return queue.enqueue_at(when, func, *args, job_id=jid, retry=DEFAULT_RETRY, result_ttl=60)


def cancel(queue: Queue, jid: str) -> None:
    """Remove a scheduled or queued job if present; one that runs anyway finds its row done."""
    job = queue.fetch_job(jid)
    if job is not None:
        job.cancel()
        job.delete()
