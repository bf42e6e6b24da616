"""The dashboard's main page at 100,000 incidents, against one ``SELECT count(*)`` in the same run.

The database of ``bench_reports.py`` (100,000 incidents over twelve months, ~500,000 rows; a
SQLite file, and PostgreSQL too when DATABASE_URL is set, in a schema of its own) is served
by ``supportbot web`` as shipped, in local mode (no Slack credentials: the dashboard is open
to 127.0.0.1 without sign-in), with one embedded Redis. Over HTTP, one client:

- the first ``GET /dashboard?month=2026-06`` (the month's figures computed: cold);
- then ``--runs`` more (the figures kept between refreshes: what every 30-second refresh and
  every other viewer gets), median and p99;
- ``GET /dashboard/trend.json`` (twelve months for the charts), cold, then warm;
- the baseline, ``SELECT count(*) FROM incidents`` on the same database.

Run it with no ``SLACK_*`` variable set: any Slack credential ends local mode.

    python bench/bench_dashboard.py [--incidents 100000] [--runs 50]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import requests
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import free_port, row, start_server, summary  # noqa: E402
from _fleet import fleet_env  # noqa: E402
from bench_reports import MONTH, fill, timed  # noqa: E402

from supportbot.db.migrate import upgrade  # noqa: E402
from supportbot.db.models import Incident  # noqa: E402
from supportbot.devtools.embedded_redis import EmbeddedRedis  # noqa: E402
from supportbot.settings import Settings  # noqa: E402


def get(url: str) -> None:
    answer = requests.get(url, timeout=120)
    if answer.status_code != 200:
        raise RuntimeError(f"{url}: {answer.status_code} {answer.text[:200]}")


def measure(label: str, engine: Engine, database_url: str, work: str, runs: int) -> None:
    def count() -> object:
        with Session(engine) as session:
            return session.scalar(select(func.count()).select_from(Incident))

    redis = EmbeddedRedis(Path(work) / "redis")
    port = free_port()
    # The fleet's settings without its signing secret: local mode (run with no SLACK_* set).
    fleet = fleet_env(work, redis.start(), database_url)
    env = {k: v for k, v in fleet.items() if not k.startswith("SLACK_")} | {"PORT": str(port)}
    web = start_server(["-m", "supportbot", "web"], port, env)
    try:
        base = summary(timed(count, runs * 3))
        page = f"http://127.0.0.1:{port}/dashboard?month={MONTH.label}"
        trend = f"http://127.0.0.1:{port}/dashboard/trend.json?month={MONTH.label}"
        print(f"\n{label}")
        print(row("baseline: SELECT count(*)", base))
        for name, url in (("GET /dashboard", page), ("GET /dashboard/trend.json", trend)):
            cold = summary(timed(lambda u=url: get(u), 1))  # type: ignore[misc]
            warm = summary(timed(lambda u=url: get(u), runs))  # type: ignore[misc]
            for when, stats in (("first (computed)", cold), ("kept", warm)):
                ratio = stats["median_ms"] / base["median_ms"]
                print(row(f"{name}, {when}", stats) + f"  {ratio:8.0f}x baseline")
    finally:
        web.terminate()
        web.wait(15)
        redis.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        url = f"sqlite:///{Path(work) / 'bench.sqlite3'}"
        engine = create_engine(url)
        upgrade(engine)
        started = time.perf_counter()
        fill(engine, args.incidents)
        print(f"SQLite: {args.incidents:,} incidents in {time.perf_counter() - started:.0f} s")
        measure(f"SQLite, {args.incidents:,} incidents", engine, url, work, args.runs)
        engine.dispose()
    given = os.environ.get("DATABASE_URL")
    if given:
        base = Settings(database_url=given).sqlalchemy_url  # type: ignore[call-arg]
        schema = f"bench_dashboard_{os.getpid()}"
        admin = create_engine(base)
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        url = base + ("&" if "?" in base else "?") + f"options=-csearch_path%3D{schema}"
        try:
            engine = create_engine(url)
            upgrade(engine)
            fill(engine, args.incidents)
            with tempfile.TemporaryDirectory() as work:
                measure(f"PostgreSQL, {args.incidents:,} incidents", engine, url, work, args.runs)
            engine.dispose()
        finally:
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()


if __name__ == "__main__":
    main()
