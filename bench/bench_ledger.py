"""What a derived balance costs as the ledger grows: every card sync, `/incident` answer and
`/sla` sums a customer's entries instead of reading a stored balance.

A real SQLite file (or DATABASE_URL), migrated; Initech's incident pack from
contracts/customers.yaml. The ledger is filled with N entries of that term (spread over 500
incidents, as time logs and charges are), then ``plans.ledger.balances`` is timed; the
baseline, timed in the same run on the same session, is reading one incident by its key.

    python bench/bench_ledger.py [--entries 1000 100000] [--samples 300]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.orm import Session

from supportbot.contracts.customers import load_contracts
from supportbot.db.engine import make_engine
from supportbot.db.ledger import LedgerEntry
from supportbot.db.migrate import upgrade
from supportbot.db.models import Incident
from supportbot.plans import ledger

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import row, summary  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
AT = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def fill(engine, total: int) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.execute(insert(Incident), [
            dict(title=f"bench {i}", description="", severity=3, customer="initech",
                 reporter="U0BENCH", level="L1", status="open", opened_at=AT, updated_at=AT,
                 version=1)
            for i in range(500)
        ])  # fmt: skip
        for start in range(0, total, 10_000):
            conn.execute(insert(LedgerEntry), [
                dict(customer="initech", plan="incident_pack", term="2026-01-01",
                     incident_id=1 + i % 500, person="U0BENCH", at=AT,
                     kind="time" if i % 3 else "charge", unit="incident",
                     quantity=1 if i < 30 and not i % 3 else 0, minutes=15, note="")
                for i in range(start, min(total, start + 10_000))
            ])  # fmt: skip


def measure(url: str, total: int, samples: int) -> tuple[dict[str, float], dict[str, float]]:
    engine = make_engine(url)
    upgrade(engine)
    fill(engine, total)
    customer = load_contracts(REPO / "contracts" / "customers.yaml").by_key("initech")
    assert customer is not None
    balance_s, baseline_s = [], []
    with Session(engine) as session:
        for i in range(samples):
            start = time.perf_counter()
            session.get(Incident, 1 + i % 500, populate_existing=True)
            baseline_s.append(time.perf_counter() - start)
            start = time.perf_counter()
            [found] = ledger.balances(session, customer, AT)
            balance_s.append(time.perf_counter() - start)
        print(f"  {found.text()}")
    engine.dispose()
    return summary(balance_s), summary(baseline_s)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    for total in args.entries:
        with tempfile.TemporaryDirectory() as work:
            url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(work) / 'ledger.sqlite3'}"
            print(f"{total:,} entries ({url.split(':')[0]}):")
            balance, baseline = measure(url, total, args.samples)
            print(row("  balances()", balance))
            print(row("  baseline: an incident by key", baseline))
            print(f"  ratio: median {balance['median_ms'] / baseline['median_ms']:.1f}x, "
                  f"p99 {balance['p99_ms'] / baseline['p99_ms']:.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()
