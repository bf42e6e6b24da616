"""After-commit delivery: hand jobs to RQ in batches, off the request thread.

The row is committed before anything is handed over, so this is only delivery: if the
process dies with jobs still in memory, or Redis refuses them, the reconciler finds the
unfinished rows and queues the work again. Batching halves the CPU each enqueue costs, and
the request that caused the work answers without waiting for Redis (bench/).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import datetime, timedelta

from rq import Queue
from rq.job import Job

from supportbot import metrics
from supportbot.delivery import job_ids
from supportbot.delivery.effects import Effect
from supportbot.delivery.kinds import JobKind
from supportbot.delivery.queues import DEFAULT_RETRY

log = logging.getLogger(__name__)

# Jobs of one kind run as one batch job at most: RQ's own cost a job (about 1.7 ms of the
# worker's CPU) is paid once for them, and a burst still makes enough jobs for every worker.
BATCH_JOBS = 8


class Dispatcher:
    """Collects jobs and enqueues them on one background thread, coalescing equal job ids.

    Urgent jobs (pages) go to the urgent queue, which workers drain first, so
    a page never waits behind a backlog of Slack updates or reminders.
    """

    def __init__(
        self,
        queue: Queue,
        urgent: Queue | None = None,
    ):
        self.queue = queue
        self.urgent = urgent or queue
        self._pending: dict[str, Effect] = {}
        self._cond = threading.Condition()
        self._busy = False
        self._thread: threading.Thread | None = None

    def submit_all(self, items: list[Effect]) -> None:
        if not items:
            return
        with self._cond:
            # Later wins for one job id: a reschedule replaces, a cancel after it cancels.
            for item in items:
                self._pending[item.job_id] = item
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="dispatch", daemon=True)
                self._thread.start()
            # Once for all of them: each notify wakes the dispatch thread, which then takes
            # the interpreter lock from the request threads (docs/benchmarks.md).
            self._cond.notify_all()

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until everything submitted so far has been handed to Redis (or failed)."""
        with self._cond:
            if not self._cond.wait_for(lambda: not self._pending and not self._busy, timeout):
                raise TimeoutError(f"{len(self._pending)} job(s) not dispatched in {timeout}s")

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._pending))
                batch, self._pending = list(self._pending.values()), {}
                self._busy = True
            try:
                self._enqueue(batch)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def queue_for(self, effect: Effect) -> Queue:
        return self.urgent if effect.kind.urgent else self.queue

    def _enqueue(self, batch: list[Effect]) -> None:
        try:
            now = batched([p for p in batch if p.at is None and not p.cancel])
            with self.queue.connection.pipeline() as pipe:
                for queue in {self.queue, self.urgent}:
                    datas = [
                        Queue.prepare_data(
                            p.kind.func, p.args, job_id=p.job_id, retry=DEFAULT_RETRY, result_ttl=60
                        )
                        for p in now
                        if self.queue_for(p) is queue
                    ]
                    if datas:
                        queue.enqueue_many(datas, pipeline=pipe)
                for p in batch:
                    queue = self.queue_for(p)
                    if p.cancel:
                        queue.scheduled_job_registry.remove(p.job_id, pipeline=pipe)
                        pipe.delete(Job.key_for(p.job_id))
                    elif p.at is not None:
                        queue.enqueue_at(
                            _stored_instant(p),
                            p.kind.func,
                            *p.args,
                            job_id=p.job_id,
                            retry=DEFAULT_RETRY,
                            result_ttl=60,
                            pipeline=pipe,
                        )
                pipe.execute()
        except Exception:
            # Not swallowed: logged, counted, and the rows stay unfinished for the reconciler.
            count_unqueued(batch)
            log.exception(
                "could not queue %d job(s) (%s); the reconciler will queue them again",
                len(batch),
                ", ".join(p.job_id for p in batch[:5]),
            )


def batched(effects: list[Effect]) -> list[Effect]:
    """``effects``, with those of a kind that is ``batched_by`` another, when several are
    handed over together, run as jobs of that kind of up to :data:`BATCH_JOBS` each (so that
    a burst is still shared by every worker). The order is kept, a batch taking its first
    member's place: RQ runs a queue's jobs in that order (a card before the DM about it)."""
    together: dict[JobKind, list[Effect]] = {}
    for effect in effects:
        if effect.kind.batched_by is not None:
            together.setdefault(effect.kind, []).append(effect)
    found: list[Effect] = []
    for effect in effects:
        group = together.get(effect.kind, [effect])
        if len(group) == 1:
            found.append(effect)
        elif effect is group[0]:
            batch_kind = effect.kind.batched_by
            assert batch_kind is not None
            for start in range(0, len(group), BATCH_JOBS):
                part = [member.args for member in group[start : start + BATCH_JOBS]]
                found.append(Effect(batch_kind, (part,), job_ids.batch(batch_kind.name)))
    return found


def count_unqueued(effects: Iterable[Effect]) -> None:
    """Jobs that did not reach RQ, counted by kind: their rows still say what is owed, and
    the reconciler queues them again."""
    for effect in effects:
        metrics.ENQUEUE_FAILURES.labels(effect.kind.name).inc()


def _stored_instant(effect: Effect) -> datetime:
    """RQ stores a scheduled time in whole seconds, truncated. Rounding up keeps a job from
    waking before its instant (it would only re-schedule itself, DESIGN.md §2.11). A kind that
    ``waits`` for its instant itself (SLA timers) is stored a second before the second the
    instant falls in instead: rounding up made each such job up to a second late, and moving
    a burst of a thousand jobs to the queue takes RQ's scheduler a few tenths of a second, so
    the jobs wait in the workers for their instant rather than the other way round."""
    assert effect.at is not None
    whole = effect.at.replace(microsecond=0)
    if effect.kind.waits:
        return whole - timedelta(seconds=1)
    return whole if whole == effect.at else whole + timedelta(seconds=1)
