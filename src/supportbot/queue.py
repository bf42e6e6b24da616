"""The RQ queues. Redis only delivers: every job carries an id and reloads its row.

Job ids are derived from what the job does, so re-enqueueing replaces rather than duplicates.
Jobs are handed to RQ by :mod:`supportbot.dispatch` after the transaction that owes them.
"""

from __future__ import annotations

import re

from redis import Redis
from rq import Queue, Retry

_JOB_ID_SAFE = re.compile(r"[^A-Za-z0-9_-]")

# Transient Slack or Twilio trouble is retried by RQ with growing pauses.
DEFAULT_RETRY = Retry(max=5, interval=[1, 5, 15, 30, 60])


def job_id(*parts: object) -> str:
    """A deterministic id such as ``remind-INC-1042-response-75`` (RQ allows [A-Za-z0-9_-])."""
    return _JOB_ID_SAFE.sub("_", "-".join(str(p) for p in parts))


def make_queue(redis: Redis, name: str) -> Queue:
    return Queue(name, connection=redis)
