"""One reconciler pass at a time across workers, and a dead holder's lease lapses in seconds.

Two workers' reconciler threads are played by two threads calling ``run_pass`` as fast as
they can; a worker killed mid-pass by a real subprocess holding the lease, SIGKILLed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from supportbot.delivery.lease import lease
from supportbot.reconciler import LEASE_SECONDS, run_pass
from supportbot.runtime import Runtime

REPO = Path(__file__).resolve().parent.parent


def test_two_workers_make_one_pass_an_interval_never_two_at_once(rt: Runtime) -> None:
    interval, window = 0.5, 3.0
    passes: list[tuple[float, float]] = []
    lock = threading.Lock()
    gate = threading.Barrier(2)

    def worker() -> None:
        gate.wait()
        end = time.monotonic() + window
        while time.monotonic() < end:
            start = time.monotonic()
            if run_pass(rt, interval) is not None:
                with lock:
                    passes.append((start, time.monotonic()))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    # Each worker tried hundreds of times; together they passed about once an interval.
    assert 3 <= len(passes) <= window / (interval * 0.9) + 1, passes
    # While another worker holds the lease (mid-pass), a pass is refused even when due.
    rt.redis.delete(f"{rt.settings.queue_name}:reconciler:recent")
    with lease(rt.redis, f"{rt.settings.queue_name}:reconciler:lease", LEASE_SECONDS) as mine:
        assert mine
        assert run_pass(rt, interval) is None
    assert run_pass(rt, interval) is not None  # released: the due pass runs


def test_a_killed_holder_loses_the_lease_within_seconds(rt: Runtime) -> None:
    name = f"{rt.settings.queue_name}:reconciler:lease"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from redis import Redis\n"
            "from supportbot.delivery.lease import lease\n"
            "with lease(Redis.from_url(sys.argv[1]), sys.argv[2], float(sys.argv[3])) as mine:\n"
            "    print('held' if mine else 'busy', flush=True)\n"
            "    time.sleep(120)\n",
            str(rt.settings.redis_url),
            name,
            str(LEASE_SECONDS),
        ],
        stdout=subprocess.PIPE,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO / "src")},
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        time.sleep(LEASE_SECONDS + 1)  # renewed all along: still its lease
        assert run_pass(rt, 15) is None
        os.kill(holder.pid, signal.SIGKILL)
        killed = time.monotonic()
        while run_pass(rt, 15) is None:
            assert time.monotonic() - killed < LEASE_SECONDS + 2, "the dead holder's lease stayed"
            time.sleep(0.1)
    finally:
        holder.kill()
        holder.wait(10)
