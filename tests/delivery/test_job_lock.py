"""The lock a once-only delivery job holds (supportbot.delivery.locks), on real Redis."""

from __future__ import annotations

import pytest
from redis import Redis

from supportbot.delivery.locks import job_lock


def test_a_second_worker_waits_then_is_told_what_is_busy(redis: Redis) -> None:
    with job_lock(redis, "csat:7", "CSAT survey 7"):
        assert redis.exists("supportbot:lock:csat:7")
        with pytest.raises(TimeoutError, match="CSAT survey 7 is stuck behind another worker"):
            with job_lock(redis, "csat:7", "CSAT survey 7", wait=0):
                pytest.fail("two workers held one row's lock")
        with job_lock(redis, "csat:8", "CSAT survey 8", wait=0):  # another row: no wait
            pass
    assert not redis.exists("supportbot:lock:csat:7")


def test_the_lock_is_released_when_the_job_raises(redis: Redis) -> None:
    with pytest.raises(RuntimeError), job_lock(redis, "report:1", "report post 1"):
        raise RuntimeError("Slack said no")
    with job_lock(redis, "report:1", "report post 1", wait=0):
        pass
