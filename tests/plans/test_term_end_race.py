"""A charge and the end of its pack's term at the same instant, many times: the charge's own
instant decides its term, and the closed term's books add up.

Twelve customers each hold a pack of 10 incidents a year (3 roll over) whose first term ends
on a different day. Per customer, the clock runs to a few milliseconds before that term's
end; then two threads, each with its own session (its own connection), start together at a
barrier: one opens a request for the customer (the turnover charge of one incident, at the
instant the charge reads), the other runs the term-end job the moment the end has come.
Either the charge is timed before the end and is in the books the job closes (its term is
the old one, counted before the rollover), or it is timed after and lands in the new term.
Before the fix the job did not take the charges' lock and a charge read its instant before
taking it: a charge timed a millisecond before the end and committed after the job left the
closed term spending 11 of its 10 (on SQLite and on PostgreSQL alike).

Run on SQLite (the default) and on PostgreSQL (DATABASE_URL).
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import select

from supportbot.clock import TravelClock
from supportbot.contracts.customers import Customer
from supportbot.contracts.plans import Plan, Term
from supportbot.db.ledger import LedgerEntry
from supportbot.desk import intake
from supportbot.plans import ledger, rollover
from supportbot.plans.balance import term_key
from supportbot.runtime import Runtime
from supportbot.settings import Settings
from tests.conftest import make_settings
from tests.standins import SlackStandin
from tests.support.races import race

CUSTOMERS = 12
FIRST_END = date(2026, 12, 10)


def _contract() -> str:
    lines = ["customers:"]
    for n in range(CUSTOMERS):
        end = FIRST_END + timedelta(days=n)
        lines += [
            f"  - key: pack{n:02d}",
            f"    name: Pack {n}",
            "    tier: Basic",
            "    timezone: UTC",
            "    business_hours: {}",
            f"    channels: [C0PACK{n:02d}]",
            "    plans:",
            "      - kind: incident_pack",
            "        currency: USD",
            "        rollover_cap: 3",
            "        terms:",
            f"          - {{start: 2026-01-01, end: {end}, incidents: 10, price: 1000.00}}",
            f"          - {{start: {end + timedelta(days=1)}, end: 2027-12-31, incidents: 10, "
            "price: 1000.00}",
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(datetime(2026, 12, 1, tzinfo=UTC), ticking=True)


@pytest.fixture
def settings(
    tmp_path: Path, redis: Redis, redis_url: str, database_url: str, slack_api: SlackStandin
) -> Iterator[Settings]:
    contract = tmp_path / "customers.yaml"
    contract.write_text(_contract())
    yield make_settings(
        tmp_path, redis_url, database_url, slack_api.api_url, contracts_file=contract
    )


def _at_the_end(
    rt: Runtime, customer: Customer, plan: Plan, term: Term, delay: float
) -> tuple[int, int]:
    """A request opened (and charged) ``delay`` after the barrier, and the term-end job
    run the moment the term has ended: the incident's id, and how many terms the job closed."""
    end = term.ends_at(customer.timezone)

    def charge() -> int:
        return intake.open_incident(
            rt, title="at the end", severity=3, reporter="U0X", customer=customer
        ).id

    def job() -> int:
        while rt.now() < end:
            threading.Event().wait(0.001)
        return rollover.close_term(rt, customer, plan, term)

    incident_id, closed = race([charge, job], [delay, 0.0])
    assert isinstance(incident_id, int) and isinstance(closed, int)
    return incident_id, closed


def test_a_charge_at_the_term_end_lands_in_the_term_of_its_instant(rt: Runtime) -> None:
    clock = rt.clock
    assert isinstance(clock, TravelClock)
    jitter = random.Random(2)
    landed: Counter[str] = Counter()
    for customer in rt.contracts.customers:
        [plan] = customer.plans
        old, new = plan.terms
        end = old.ends_at(customer.timezone)
        clock.set(end - timedelta(days=1))
        intake.open_incident(rt, title="earlier", severity=3, reporter="U0X", customer=customer)
        clock.set(end - timedelta(milliseconds=20))
        delay = jitter.choice((0.0, 0.01, 0.02, 0.03, 0.05))
        incident_id, closed = _at_the_end(rt, customer, plan, old, delay)
        assert closed == 1

        with rt.session() as session:
            entry = session.scalars(
                select(LedgerEntry).where(LedgerEntry.incident_id == incident_id)
            ).one()
            by_instant = plan.term_at(entry.at, customer.timezone)
            assert entry.term == term_key(by_instant), (entry.at, end, entry.term)
            # The closed term adds up: 10 bought, all of them spent, rolled over or expired.
            books = ledger.usage(session, customer.key, plan.key, term=term_key(old))
            assert books.used == 10, (customer.key, entry.at, end, books)
            following = ledger.usage(session, customer.key, plan.key, term=term_key(new))
            assert following.used == (1 if by_instant == new else 0)
        landed["new term" if by_instant == new else "old term"] += 1
    print(f"where each charge landed: {dict(landed)}")
    assert sum(landed.values()) == CUSTOMERS
