"""The monthly reports over 100,000 incidents, against one ``SELECT count(*)`` in the same run.

A fresh database (a SQLite file; PostgreSQL too when DATABASE_URL is set, in a schema of its
own) is migrated and filled with 100,000 incidents over twelve months for the three customers
of contracts/customers.yaml and internal ones, each with its two SLA clocks, an
acknowledgement and a staff reply on the timeline, some CSAT ratings, Sev1 outages and
maintenance windows: about 500,000 rows. Then, each timed ``--runs`` times:

- baseline: ``SELECT count(*) FROM incidents``;
- ``report sla``: the month's rows read (``reports.load``) and every figure grouped overall,
  per customer, tier and severity (``reports.figures.grouped``);
- ``report credits``: the month's statements (late responses, availability, waivers, cap);
- dashboard data: what ``GET /dashboard`` reads and computes (``dashboard.data`` minus HTML).

    python bench/bench_reports.py [--incidents 100000] [--runs 9]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import row, summary  # noqa: E402

from supportbot.contracts.customers import load_contracts  # noqa: E402
from supportbot.db.migrate import upgrade  # noqa: E402
from supportbot.db.models import Incident, SlaClock, TimelineEvent  # noqa: E402
from supportbot.db.reporting import CsatSurvey, MaintenanceWindow  # noqa: E402
from supportbot.reports.figures import grouped  # noqa: E402
from supportbot.reports.load import load_records  # noqa: E402
from supportbot.reports.monthly import statements  # noqa: E402
from supportbot.reports.records import parse_month  # noqa: E402
from supportbot.settings import Settings  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CONTRACTS = load_contracts(REPO / "contracts" / "customers.yaml")
START = datetime(2025, 12, 1, tzinfo=UTC)
MONTH = parse_month("2026-06")
AS_OF = datetime(2026, 12, 1, tzinfo=UTC)
CHUNK = 5000


# long: the fixture rows of every table, in one place
def fill(engine: Engine, count: int) -> None:
    rng = random.Random(10)
    customers = [None, "acme", "globex", "initech"]
    span = int((AS_OF - START).total_seconds())
    with engine.begin() as conn:
        for first in range(1, count + 1, CHUNK):
            incidents, clocks, events, ratings = [], [], [], []
            for n in range(first, min(first + CHUNK, count + 1)):
                opened = START + timedelta(seconds=rng.randrange(span))
                answered = opened + timedelta(minutes=rng.randrange(1, 600))
                resolved = answered + timedelta(hours=rng.randrange(1, 96))
                severity, customer = rng.randint(1, 4), rng.choice(customers)
                incidents.append(dict(
                    id=n, title=f"bench {n}", description="", severity=severity,
                    customer=customer, reporter="U0BENCH", level=rng.choice(("L1", "L1", "L2")),
                    status="resolved", opened_at=opened, updated_at=resolved,
                    resolved_at=resolved, first_response_at=answered, version=1,
                    outage=severity == 1 and rng.random() < 0.2 and customer is not None,
                ))  # fmt: skip
                for kind, due, stop in (
                    ("response", opened + timedelta(hours=2), answered),
                    ("resolution", opened + timedelta(hours=48), resolved),
                ):
                    clocks.append(dict(incident_id=n, kind=kind, target_seconds=3600,
                                       basis="wall clock", due_at=due,
                                       state="met" if stop <= due else "breached",
                                       stopped_at=stop))  # fmt: skip
                for kind, at in (("status:acknowledged", answered), ("staff_reply", answered)):
                    events.append(dict(incident_id=n, at=at, actor="U0STAFF", kind=kind,
                                       text="x", visibility="internal"))  # fmt: skip
                if customer and rng.random() < 0.3:
                    ratings.append(dict(incident_id=n, customer=customer, created_at=resolved,
                                        score=rng.randint(1, 5)))  # fmt: skip
            conn.execute(insert(Incident), incidents)
            conn.execute(insert(SlaClock), clocks)
            conn.execute(insert(TimelineEvent), events)
            if ratings:
                conn.execute(insert(CsatSurvey), ratings)
        windows = [
            dict(customer=c, starts_at=START + timedelta(days=d), ends_at=START +
                 timedelta(days=d, hours=2), reason="bench", created_by="U0STAFF",
                 created_at=START)
            for c in ("acme", "globex", "initech") for d in range(0, 365, 7)
        ]  # fmt: skip
        conn.execute(insert(MaintenanceWindow), windows)


def timed(work: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        out.append(time.perf_counter() - start)
    return out


def measure(label: str, engine: Engine, runs: int) -> None:
    def count() -> object:
        with Session(engine) as session:
            return session.scalar(select(func.count()).select_from(Incident))

    def sla() -> object:
        with Session(engine) as session:
            return grouped(load_records(session, CONTRACTS, MONTH), MONTH, AS_OF)

    def credits() -> object:
        with Session(engine) as session:
            return statements(session, CONTRACTS, MONTH, AS_OF)

    def dashboard() -> object:
        with Session(engine) as session:  # as dashboard.data.load: records, statements, open
            records = load_records(session, CONTRACTS, MONTH)
            statements(session, CONTRACTS, MONTH, AS_OF, None, records)
            session.execute(select(Incident.severity, func.count()).where(
                Incident.resolved_at.is_(None)).group_by(Incident.severity)).all()  # fmt: skip
            return grouped(records, MONTH, AS_OF)

    base = summary(timed(count, runs * 3))
    print(f"\n{label}")
    print(row("baseline: SELECT count(*)", base))
    for name, work in (("report sla (one month)", sla), ("report credits (one month)", credits),
                       ("dashboard data (one month)", dashboard)):  # fmt: skip
        stats = summary(timed(work, runs))
        ratio = stats["median_ms"] / base["median_ms"]
        print(row(name, stats) + f"  {ratio:8.0f}x baseline")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        engine = create_engine(f"sqlite:///{Path(work) / 'bench.sqlite3'}")
        upgrade(engine)
        started = time.perf_counter()
        fill(engine, args.incidents)
        took = time.perf_counter() - started
        print(f"SQLite: {args.incidents:,} incidents filled in {took:.0f} s")
        measure(f"SQLite, {args.incidents:,} incidents, month {MONTH.label}", engine, args.runs)
        engine.dispose()
    url = os.environ.get("DATABASE_URL")
    if url:
        base = Settings(database_url=url).sqlalchemy_url  # type: ignore[call-arg]
        schema = f"bench_reports_{os.getpid()}"
        admin = create_engine(base)
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        engine = create_engine(base, connect_args={"options": f"-csearch_path={schema}"})
        try:
            upgrade(engine)
            fill(engine, args.incidents)
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
            measure(f"PostgreSQL, {args.incidents:,} incidents, month {MONTH.label}", engine,
                    args.runs)  # fmt: skip
        finally:
            engine.dispose()
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()


if __name__ == "__main__":
    main()
