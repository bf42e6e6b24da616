"""The worker's heartbeat, which ``/healthz`` needs to call the pager healthy."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from redis import Redis

from supportbot import health
from supportbot.reconciler import ReconcilerThread
from supportbot.runtime import Runtime, build_runtime
from supportbot.worker import make_worker, run_worker
from tests.conftest import make_settings
from tests.standins import SlackStandin


def _eventually(condition: Callable[[], bool], what: str) -> None:
    """Wait for something a background thread does (a wait, not a timing assertion)."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.01)


def test_the_worker_beats_when_it_starts(rt: Runtime) -> None:
    key = health.heartbeat_key(rt)
    assert not rt.redis.exists(key)

    run_worker(rt, burst=True)

    assert rt.redis.exists(key)
    assert 0 < rt.redis.ttl(key) <= health.HEARTBEAT_TTL


def test_the_reconciler_thread_renews_the_heartbeat(rt: Runtime) -> None:
    key = health.heartbeat_key(rt)
    thread = ReconcilerThread(rt, 0.05)
    thread.start()
    try:
        _eventually(lambda: bool(rt.redis.exists(key)), "a first heartbeat")
        rt.redis.delete(key)
        _eventually(lambda: bool(rt.redis.exists(key)), "the heartbeat renewed")
    finally:
        thread.stop()
        thread.join(10)
    assert not thread.is_alive()


def test_the_heartbeat_goes_on_while_reconciler_passes_fail(
    tmp_path: Path, redis: Redis, redis_url: str, slack_api: SlackStandin
) -> None:
    """The worker is alive though its database is not: /healthz names the database, not the
    worker."""
    unreachable = "postgresql+psycopg://nobody@127.0.0.1:1/nothing?connect_timeout=1"
    rt = build_runtime(make_settings(tmp_path, redis_url, unreachable, slack_api.api_url))
    key = health.heartbeat_key(rt)
    thread = ReconcilerThread(rt, 0.05)
    thread.start()
    try:
        _eventually(lambda: bool(rt.redis.exists(key)), "a first heartbeat")
        rt.redis.delete(key)
        _eventually(lambda: bool(rt.redis.exists(key)), "the heartbeat renewed")
        parts = {part.name: part for part in health.report(rt).parts}
    finally:
        thread.stop()
        thread.join(10)
        rt.engine.dispose()
    assert parts["worker"].state == "ok" and parts["database"].state == "down"


def test_rq_worker_key_is_renewed_once_an_interval_not_around_every_job(rt: Runtime) -> None:
    """RQ renews its worker key three times around each job; ours at most once an interval,
    except the renewals RQ makes with a TTL of their own (a job's execution)."""
    worker = make_worker(rt)
    worker.beat_every = 3600.0  # an interval no test outlives
    worker.heartbeat()
    assert rt.redis.hget(worker.key, "last_heartbeat") is not None
    assert rt.redis.ttl(worker.key) > worker.worker_ttl  # worker_ttl + 60, as RQ sets it
    rt.redis.hset(worker.key, "last_heartbeat", "marked")
    worker.heartbeat()  # within the interval: nothing written
    assert rt.redis.hget(worker.key, "last_heartbeat") == b"marked"
    worker.heartbeat(30)  # RQ's own TTL'd renewal goes through
    assert rt.redis.hget(worker.key, "last_heartbeat") != b"marked"
    assert 0 < rt.redis.ttl(worker.key) <= 30
    rt.redis.hset(worker.key, "last_heartbeat", "marked")
    worker.beat_every = 0.0  # the interval is over
    worker.heartbeat()
    assert rt.redis.hget(worker.key, "last_heartbeat") != b"marked"
    assert rt.redis.ttl(worker.key) > worker.worker_ttl
