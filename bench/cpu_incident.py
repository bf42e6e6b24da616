"""CPU a signed `/incident sev3` costs, each side measured alone: the web's per request and
the worker's for the jobs a request queued (the card's first post), in milliseconds of CPU.

`bench_incident_command.py --worker` prints both too, but while the web and the worker run
side by side on a machine other sessions share: there the figures move with the load. Here
the web (`supportbot web`, as shipped) answers the requests with no worker running, and only
then a worker (the RQ worker class `supportbot worker` runs, in burst mode) drains the
jobs they queued, each pass of its loop timed by the process's CPU clock (its start-up,
reading the rotation and contracts, is left out).

    python bench/cpu_incident.py [--requests 300] [--concurrency 1] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import free_port, load, settled_cpu
from _fleet import SECRET, fleet_env, start_fleet, stop

from supportbot.clients.slack import LOCAL_TEAM_ID
from supportbot.devtools.embedded_redis import EmbeddedRedis
from supportbot.devtools.slack_simulator import SlackInbound


def drain() -> None:
    """The worker's side, in a process of its own (the environment names the database):
    prints how many jobs it ran and the CPU of all passes of RQ's work loop (dequeue, run,
    bookkeeping). Cards owed together run as one batch job (up to eight), so the figure a
    card is the whole drain's CPU over the cards, not a pass's."""
    from supportbot import jobs
    from supportbot.oncall import lookup
    from supportbot.runtime import build_runtime, set_runtime
    from supportbot.settings import Settings
    from supportbot.worker import make_worker

    marks: list[float] = []
    rt = build_runtime(Settings())  # type: ignore[call-arg]
    shipped = type(make_worker(rt))  # the class `supportbot worker` runs

    class Timed(shipped):  # type: ignore[valid-type,misc]
        def dequeue_job_and_maintain_ttl(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            marks.append(time.process_time())  # a pass ends where the next dequeue starts
            return super().dequeue_job_and_maintain_ttl(*args, **kwargs)

    set_runtime(rt)
    jobs.check_registered()
    lookup.resolver(rt)
    Timed(rt.queues, connection=rt.redis).work(burst=True, logging_level="ERROR")
    print(len(marks) - 1, marks[-1] - marks[0])  # the last dequeue found the queue empty


def one_run(requests: int, concurrency: int) -> tuple[float, float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        redis = EmbeddedRedis(Path(tmp) / "redis")
        env = fleet_env(tmp, redis.start(), "")
        port = free_port()
        try:
            web = start_fleet([port], env, worker=False)
            try:
                inbound = SlackInbound(f"http://127.0.0.1:{port}/slack/events", SECRET,
                                       lambda: "http://127.0.0.1:9/response",
                                       team_id=LOCAL_TEAM_ID)  # fmt: skip

                def one(i: int) -> None:
                    response = inbound.command(f"sev3 cpu incident {i}")
                    if response.status_code != 200:
                        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")

                load(one, 50, concurrency)  # warm up (these cards are drained too)
                before = settled_cpu([web[0].pid])[0]
                load(one, requests, concurrency)
                web_ms = (settled_cpu([web[0].pid])[0] - before) / requests * 1000
            finally:
                stop(web)
            done = subprocess.run([sys.executable, __file__, "--drain"], env={**os.environ, **env},
                                  check=True, capture_output=True, text=True)  # fmt: skip
            ran, cpu = done.stdout.split()[-2:]
            if not 0 < int(ran) <= requests + 50:  # a job for one card or a batch of them
                raise RuntimeError(f"{ran} jobs ran for {requests + 50} requests")
        finally:
            redis.stop()
    return web_ms, float(cpu) / (requests + 50) * 1000, int(ran)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--drain", action="store_true")
    args = parser.parse_args()
    if args.drain:
        drain()
        return 0
    for _ in range(args.repeat):
        web_ms, worker_ms, jobs = one_run(args.requests, args.concurrency)
        print(
            f"CPU ms a request: web {web_ms:.2f} (concurrency {args.concurrency}); worker "
            f"{worker_ms:.2f} a card ({jobs} jobs for {args.requests + 50} cards)"
            f"  (load average {os.getloadavg()[0]:.1f})",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
