"""Sustained signed `/incident` requests per second with 1 and 2 `supportbot web` processes,
against the bare Bolt app's ceiling measured in the same run.

The product runs as shipped (bench/_fleet.py): `supportbot web` processes (waitress, 16
threads each) and one `supportbot worker` beside them, as `make run` starts them, on one
SQLite file (or PostgreSQL with DATABASE_URL set) and one embedded Redis. The baseline is
the bare Bolt app of bench_incident_command.py (same Flask adapter, same waitress server,
16 threads) whose `/incident` listener only acks. One client, the same for all: requests
signed exactly as Slack signs them, spread round-robin over the webs, at a fixed
concurrency. Prints median, p99, requests/s and the ratio to the bare app.

    python bench/bench_throughput.py [--requests 3000] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _common import free_port, load, row, start_server, summary  # noqa: E402
from _fleet import SECRET, fleet_env, start_fleet, stop  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from supportbot.clients.slack import LOCAL_TEAM_ID  # noqa: E402
from supportbot.devtools.embedded_redis import EmbeddedRedis  # noqa: E402
from supportbot.devtools.slack_simulator import SlackInbound  # noqa: E402
from supportbot.settings import Settings  # noqa: E402

SEVERITIES = ("sev3", "sev2", "sev3", "sev2", "sev1")  # mostly routine, a Sev1 now and then


def drive(ports: list[int], total: int, concurrency: int) -> dict[str, float]:
    """``total`` signed requests over the ports round-robin; latencies and requests/s."""
    inbound = [
        SlackInbound(
            f"http://127.0.0.1:{port}/slack/events",
            SECRET,
            lambda: "http://127.0.0.1:9/response",
            team_id=LOCAL_TEAM_ID,  # local mode's workspace: its users are staff
        )
        for port in ports
    ]
    run = next(_runs)

    def one(i: int) -> None:
        severity = SEVERITIES[i % len(SEVERITIES)]
        response = inbound[i % len(inbound)].command(f"{severity} throughput {run}-{i}")
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")

    load(one, 100, concurrency)  # warm up every thread of every web
    start = time.perf_counter()
    latencies = load(one, total, concurrency)
    wall = time.perf_counter() - start
    return summary(latencies) | {"rps": total / wall}


_runs = itertools.count(1)


def measure_bare(total: int, concurrency: int) -> dict[str, float]:
    port = free_port()
    server = start_server(
        [str(REPO / "bench/bench_incident_command.py"), "--serve", "bare", str(port)], port, {}
    )
    try:
        return drive([port], total, concurrency)
    finally:
        stop([server])


@contextmanager
def fresh_schema(database_url: str, name: str) -> Iterator[str]:
    """PostgreSQL: a schema of this run's own, dropped afterwards (SQLite: a new file)."""
    if not database_url:
        yield ""
        return
    base = Settings(_env_file=None, database_url=database_url).sqlalchemy_url  # type: ignore[call-arg]
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}"))
    try:
        yield f"{base}?options=-csearch_path%3D{name}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        engine.dispose()


def measure_full(webs: int, total: int, concurrency: int, database_url: str) -> dict[str, float]:
    schema = f"bench_throughput_{os.getpid()}_{webs}"
    with tempfile.TemporaryDirectory() as tmp, fresh_schema(database_url, schema) as db_url:
        redis = EmbeddedRedis(Path(tmp) / "redis")
        env = fleet_env(tmp, redis.start(), db_url)
        try:
            ports = [free_port() for _ in range(webs)]
            processes = start_fleet(ports, env)
            try:
                return drive(ports, total, concurrency)
            finally:
                stop(processes)
        finally:
            redis.stop()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="PostgreSQL URL (default: DATABASE_URL, else a SQLite file)",
    )
    args = parser.parse_args()
    print(
        f"{args.requests} requests at concurrency {args.concurrency}, "
        f"{'PostgreSQL' if args.database_url else 'SQLite'}",
        flush=True,
    )
    bare = measure_bare(args.requests, args.concurrency)
    print(row("bare Bolt app", bare) + f"  {bare['rps']:7.1f} req/s", flush=True)
    for webs in (1, 2):
        full = measure_full(webs, args.requests, args.concurrency, args.database_url)
        print(
            row(f"supportbot, {webs} web + 1 worker", full)
            + f"  {full['rps']:7.1f} req/s  ({full['rps'] / bare['rps']:.2f}x the bare app's rate,"
            f" p99 {full['p99_ms'] / bare['p99_ms']:.2f}x)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
