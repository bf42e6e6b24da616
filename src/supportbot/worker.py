"""The worker process: an RQ worker, the scheduler thread, and the reconciler thread (which
also renews the worker heartbeat that ``/healthz`` looks for).

A ``SimpleWorker`` runs jobs in this process, so they share one runtime (database pool,
Slack client); it also starts jobs about four times faster than the forking worker (§8).

RQ's own scheduler (``work(with_scheduler=True)``) takes a lock that lives 61 s and is
re-tried by the other workers only every 10 minutes: when its holder is killed (SIGKILL,
OOM), nobody schedules, and every scheduled job waits for the reconciler. Instead, every
worker runs :class:`SchedulerThread`, which tries four times a second to take or renew the same
per-queue lock with a TTL of a few seconds, and, while it holds it, moves due scheduled jobs
to their queues (RQ's own ``enqueue_scheduled_jobs``). A dead holder's lock ends within
``LOCK_TTL`` seconds and a surviving worker takes over on its next tick; a lock left by a
dead RQ scheduler (61 s) is broken once its heartbeat is ``STALE_AFTER`` old.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from datetime import UTC, datetime, timedelta

from redis import Redis
from redis.client import Pipeline
from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.job import Job
from rq.registry import ScheduledJobRegistry
from rq.scheduler import SCHEDULER_KEY_TEMPLATE, RQScheduler
from rq.scripts import acquire_or_refresh_lock, release_lock
from rq.utils import utcparse

from supportbot import health, jobs
from supportbot.heap import freeze_startup_heap
from supportbot.oncall import lookup
from supportbot.reconciler import ReconcilerThread
from supportbot.runtime import Runtime, set_runtime

log = logging.getLogger(__name__)

# Seconds between scheduler passes. RQ's own scheduler polls each second, which made a job
# up to a second late on top of its whole-second instant; a quarter costs a few Redis calls.
TICK = 0.25
LOCK_TTL = 5  # seconds a scheduler lock outlives its holder's last renewal
STALE_AFTER = timedelta(seconds=5)  # a holder whose heartbeat is this old is dead
CLEAN_EVERY = 60.0  # seconds between sweeps of scheduled entries whose job is gone


class SchedulerThread(threading.Thread):
    """Moves due scheduled jobs to their queues while it holds their queue's lock."""

    def __init__(self, redis: Redis, queue_names: list[str]) -> None:
        super().__init__(name="rq-scheduler", daemon=True)
        self.redis = redis
        self.queue_names = queue_names
        # RQ's scheduler object, used for its metadata hash (``rq info``) and its mover.
        self.scheduler = RQScheduler(queue_names, connection=redis, interval=1)
        self.name = f"scheduler-{self.scheduler.name}"
        self.owned: set[str] = set()
        self._halt = threading.Event()
        self._cleaned = 0.0
        self._lost_at: float | None = None  # when Redis stopped answering (monotonic)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)

    def run(self) -> None:
        try:
            while not self._halt.is_set():
                try:
                    self.tick()
                except RedisError as exc:  # Redis away: try again next tick
                    self._lost(exc)
                else:
                    self._back()
                self._halt.wait(TICK)
        finally:
            self.release()

    def _lost(self, exc: RedisError) -> None:
        """Said once per outage: at four ticks a second, a line each made 360 lines of a
        90 s outage (per worker), burying the one that matters."""
        if self._lost_at is None:
            self._lost_at = time.monotonic()
            log.warning(
                "scheduler: Redis unreachable (%s); nothing is scheduled until it is back", exc
            )

    def _back(self) -> None:
        if self._lost_at is not None:
            log.info(
                "scheduler: Redis reachable again after %.0f s", time.monotonic() - self._lost_at
            )
            self._lost_at = None

    def tick(self) -> set[str]:
        """One pass: take or renew the locks, move due jobs, now and then sweep stale entries."""
        owned = set()
        for name in self.queue_names:
            key = RQScheduler.get_locking_key(name)
            outcome = acquire_or_refresh_lock(self.redis, key, self.scheduler.name, LOCK_TTL)
            if outcome == "taken" and self._break_if_dead(key):
                outcome = acquire_or_refresh_lock(self.redis, key, self.scheduler.name, LOCK_TTL)
            if outcome != "taken":
                owned.add(name)
            if outcome == "acquired":
                log.info("scheduler: took the scheduler lock of %s", name)
        self.owned = owned
        if not owned:
            return owned
        s = self.scheduler
        s.last_heartbeat = datetime.now(UTC)
        s.pid = s.pid or os.getpid()
        s.save()
        s._acquired_locks = set(owned)
        s.prepare_registries(sorted(owned))
        s.enqueue_scheduled_jobs()
        if time.monotonic() - self._cleaned > CLEAN_EVERY:
            self._cleaned = time.monotonic()
            removed = clean_stale_scheduled(self.redis, sorted(owned))
            if removed:
                log.info("scheduler: removed %d scheduled entries whose job is gone", removed)
        return owned

    def _break_if_dead(self, key: str) -> bool:
        """Release ``key`` when its holder's heartbeat is missing or older than STALE_AFTER."""
        holder = self.redis.get(key)
        if holder is None:
            return True
        holder_name = holder.decode() if isinstance(holder, bytes) else str(holder)
        beat = self.redis.hget(SCHEDULER_KEY_TEMPLATE % holder_name, "last_heartbeat")
        if beat is not None:
            seen = utcparse(beat.decode() if isinstance(beat, bytes) else str(beat))
            seen = seen if seen.tzinfo else seen.replace(tzinfo=UTC)
            if datetime.now(UTC) - seen < STALE_AFTER:
                return False
        log.warning("scheduler: %s's holder %s is silent; taking it over", key, holder_name)
        return release_lock(self.redis, key, holder_name)

    def release(self) -> None:
        for name in self.owned:
            release_lock(self.redis, RQScheduler.get_locking_key(name), self.scheduler.name)
        self.owned = set()
        self.redis.delete(self.scheduler.key)


def clean_stale_scheduled(redis: Redis, queue_names: list[str]) -> int:
    """Remove ``rq:scheduled:<queue>`` entries whose job hash no longer exists (a job that
    expired or was deleted): RQ removes them only once they fall due."""
    removed = 0
    for name in queue_names:
        registry = ScheduledJobRegistry(name, connection=redis)
        ids = [
            i.decode() if isinstance(i, bytes) else str(i)
            for i in redis.zrange(registry.key, 0, -1)
        ]
        if not ids:
            continue
        with redis.pipeline() as pipe:
            for job_id in ids:
                pipe.exists(Job.key_for(job_id))
            exists = pipe.execute()
        gone = [job_id for job_id, there in zip(ids, exists, strict=True) if not there]
        if gone:
            removed += int(redis.zrem(registry.key, *gone))
    return removed


# Seconds between renewals of RQ's own worker key (it lives worker_ttl + 60 = 480 s, and a
# blocking dequeue waits at most worker_ttl - 15 = 405 s, so it never lapses in between).
WORKER_BEAT_EVERY = 5.0


class Worker(SimpleWorker):
    """RQ's SimpleWorker, renewing its worker key at most every WORKER_BEAT_EVERY seconds.

    RQ renews it three times around every job, one Redis command after another (nine a job,
    about 7 % of a card's first post in the worker, docs/benchmarks.md issue 9 P1). The
    renewals RQ makes with a TTL of their own or inside its pipelines (the job's execution,
    the job's heartbeats) are left as they are.
    """

    beat_every = WORKER_BEAT_EVERY
    _beat_at = float("-inf")

    def heartbeat(self, timeout: int | None = None, pipeline: Pipeline | None = None) -> None:
        if timeout is None and pipeline is None:
            now = time.monotonic()
            if now - self._beat_at < self.beat_every:
                return
            self._beat_at = now
        super().heartbeat(timeout, pipeline)


def make_worker(rt: Runtime) -> SimpleWorker:
    return Worker(rt.queues, connection=rt.redis)


def lower_priority(nice: int) -> None:
    """Make this thread, and the threads it starts, at least ``nice`` (Linux's niceness).

    The worker's cards, reminders and pages are owed within seconds; the web's answers within
    Slack's 3 s, and a burst of them on a machine the worker shares is slowed by every slice
    the worker takes (bench/bench_incident_command.py). An idle CPU still runs the worker at
    full speed. Never lowered (only a privileged process could), and a failure is logged.
    """
    try:
        current = os.getpriority(os.PRIO_PROCESS, 0)
        if nice > current:
            os.setpriority(os.PRIO_PROCESS, 0, nice)
        log.info(
            "worker niceness %d (SUPPORTBOT_WORKER_NICE=%d)",
            os.getpriority(os.PRIO_PROCESS, 0),
            nice,
        )
    except OSError as exc:
        log.warning("could not set the worker's niceness to %d: %s", nice, exc)


def run_worker(rt: Runtime, *, burst: bool = False) -> None:
    set_runtime(rt)
    jobs.check_registered()
    health.beat(rt)  # /healthz sees a worker from the start; the reconciler thread renews it
    # The rotations are read at their first lookup; read them now, not in the first job (a
    # burst's first pump would wait for the file).
    lookup.resolver(rt)
    freeze_startup_heap()  # no full collection walks the start-up heap in a job (heap.py)
    reconciler = ReconcilerThread(rt, rt.settings.reconcile_interval_seconds)
    scheduler = SchedulerThread(rt.redis, [q.name for q in rt.queues])
    if not burst:
        reconciler.start()
        scheduler.start()
    try:
        # A burst worker moves what is due once, through RQ's scheduler, and stops.
        make_worker(rt).work(
            burst=burst, with_scheduler=burst, logging_level=rt.settings.log_level.upper()
        )
    finally:
        if not burst:
            scheduler.stop()
        reconciler.stop()
