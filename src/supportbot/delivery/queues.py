"""The RQ queues. Redis only delivers: every job carries an id and reloads its row.

Jobs are handed to RQ by :mod:`supportbot.delivery.dispatcher` after the transaction that
owes them; their ids come from :mod:`supportbot.delivery.job_ids`.
"""

from __future__ import annotations

from collections.abc import Iterable

from redis import Redis
from rq import Queue, Retry
from rq.job import Job

# Transient Slack or Twilio trouble is retried by RQ with growing pauses.
DEFAULT_RETRY = Retry(max=5, interval=[1, 5, 15, 30, 60])


def make_queue(redis: Redis, name: str) -> Queue:
    return Queue(name, connection=redis)


def withdraw(queue: Queue, job_ids: Iterable[str]) -> int:
    """Take jobs that wait in ``queue`` off it: their work was already done by another job
    (the SLA pump fires a whole burst from the first jobs that start). A job that already
    started is not in the list and is left alone; it finds its row done. Returns how many
    were withdrawn. Losing this only costs each job a start that does nothing."""
    ids = list(job_ids)
    if not ids:
        return 0
    with queue.connection.pipeline(transaction=False) as pipe:
        for job_id in ids:
            pipe.lrem(queue.key, 0, job_id)
        removed = [job_id for job_id, count in zip(ids, pipe.execute(), strict=True) if count]
    if removed:  # off the list, nobody can start them now: their hashes can go
        queue.connection.delete(*(Job.key_for(job_id) for job_id in removed))
    return len(removed)
