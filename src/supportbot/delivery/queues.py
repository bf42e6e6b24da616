"""The RQ queues. Redis only delivers: every job carries an id and reloads its row.

Jobs are handed to RQ by :mod:`supportbot.delivery.dispatcher` after the transaction that
owes them; their ids come from :mod:`supportbot.delivery.job_ids`.
"""

from __future__ import annotations

from redis import Redis
from rq import Queue, Retry

# Transient Slack or Twilio trouble is retried by RQ with growing pauses.
DEFAULT_RETRY = Retry(max=5, interval=[1, 5, 15, 30, 60])


def make_queue(redis: Redis, name: str) -> Queue:
    return Queue(name, connection=redis)
