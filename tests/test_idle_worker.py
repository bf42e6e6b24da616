"""An idle worker keeps waiting for jobs: no read timeout on the Redis connection.

redis-py 8 gives each connection a 5 s read timeout unless one is named; RQ's worker waits
for jobs with a blocking read of minutes, so every idle worker timed out, logged "could not
connect to Redis instance" and backed off for 1, 2, 4 … 60 s, taking the jobs that arrived
meanwhile (pages too) that late. Found by bench/bench_burst.py: a burst 7-12 s late with one
worker.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from supportbot.runtime import Runtime
from tests.sla.test_loss import kill_group, start_worker


def test_connections_have_no_read_timeout(rt: Runtime) -> None:
    connection = rt.redis.connection_pool.get_connection()
    try:
        assert connection.socket_timeout is None
    finally:
        rt.redis.connection_pool.release(connection)


def test_an_idle_worker_waits_for_jobs_without_backing_off(rt: Runtime, tmp_path: Path) -> None:
    started: list[subprocess.Popen[bytes]] = []
    try:
        start_worker(rt, tmp_path, started)
        time.sleep(12)  # idle past two of redis-py's 5 s read timeouts
        job = rt.queue.enqueue("time.sleep", 0)
        sent = time.monotonic()
        while job.get_status(refresh=True) != "finished":
            assert time.monotonic() - sent < 5, "the idle worker did not take the job"
            time.sleep(0.05)
    finally:
        for process in started:
            kill_group(process)
    log = (tmp_path / "worker-0.log").read_text()
    assert "Listening on" in log and "could not connect to Redis" not in log
