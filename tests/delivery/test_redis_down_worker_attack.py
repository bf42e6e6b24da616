"""A real worker while its Redis is stopped and comes back empty: what the person on call
reads in its log, and that the work the database owes is done once Redis is back."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rq.scheduler import RQScheduler

from supportbot.devtools.embedded_redis import EmbeddedRedis
from supportbot.runtime import Runtime
from supportbot.worker import TICK, SchedulerThread


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(tmp_path / "own-redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(own_redis: EmbeddedRedis) -> str:
    return own_redis.url


def test_the_scheduler_says_once_that_redis_is_gone_and_once_that_it_is_back(
    rt: Runtime, own_redis: EmbeddedRedis, caplog: pytest.LogCaptureFixture
) -> None:
    """Each worker's scheduler thread ticks four times a second. With Redis stopped it wrote
    a warning on every tick: 360 lines for a 90 s outage from each worker, burying the one
    line that matters, and nothing said when Redis came back."""
    scheduler = SchedulerThread(rt.redis, [q.name for q in rt.queues])
    caplog.set_level(logging.INFO, logger="supportbot.worker")
    scheduler.start()
    try:
        _wait_for(lambda: bool(scheduler.owned))
        own_redis.stop()
        time.sleep(3)  # a dozen ticks
        own_redis.start()  # the same port, empty: the locks are taken anew
        _wait_for(lambda: rt.redis.exists(RQScheduler.get_locking_key(rt.queue.name)) == 1)
        time.sleep(2 * TICK)
    finally:
        scheduler.stop()

    lines = [r for r in caplog.records if r.name == "supportbot.worker"]
    gone = [r for r in lines if r.levelno >= logging.WARNING]
    assert len(gone) == 1, [r.getMessage() for r in gone]
    assert "Redis" in gone[0].getMessage()
    back = [r for r in lines if r.levelno == logging.INFO and "Redis" in r.getMessage()]
    assert len(back) == 1 and "again" in back[0].getMessage(), [r.getMessage() for r in lines]


def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
