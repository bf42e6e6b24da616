"""Two people changing one incident at the same instant, on PostgreSQL (DATABASE_URL), where
the row locks decide: exactly one wins, the other is told plainly, and the incident ends in a
state that one order or the other could have produced. (On SQLite one writer at a time runs
these one after the other.)"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from supportbot.clock import TravelClock
from supportbot.db.reporting import CreditWaiver
from supportbot.desk import actions, intake
from supportbot.incidents.access import Actor, Role
from supportbot.incidents.find import IncidentError
from tests.conftest import Desk
from tests.support.races import race
from tests.support.records import ACME_ALICE, ACME_CHANNEL, answer, incident, timeline
from tests.support.slack_requests import STAFF

STAFF_ACTOR = Actor.staff_member(STAFF)
ALICE = Actor(ACME_ALICE, Role.CONTACT, "acme")
ROUNDS = 16
MONTHS = 6
OTHER = "U0STAFF002"


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(datetime(2026, 3, 2, 15, 0, tzinfo=UTC), ticking=True)  # a Monday


def _told(call: Callable[[], object]) -> Callable[[], str]:
    def run() -> str:
        try:
            call()
        except IncidentError as exc:
            return f"refused: {exc}"
        return "done"

    return run


def test_a_customer_reply_racing_the_resolution_never_undoes_it(desk: Desk) -> None:
    """Before, the reply read the incident without its lock: while waiting on the customer it
    was resolved, and the reply then wrote "investigating" over the resolution (resolved_at
    still set, the survey already sent), a move from resolved that only a reopen may make."""
    for _ in range(ROUNDS):
        desk.slack.command("sev3 exports are slow", channel=ACME_CHANNEL)
    desk.drain()
    for number in range(1, ROUNDS + 1):
        actions.wait_on_customer(desk.rt, number, STAFF_ACTOR)
    desk.drain()

    jitter = random.Random(11)
    for number in range(1, ROUNDS + 1):
        thread_ts = incident(desk.rt, number).customer_thread_ts
        assert thread_ts is not None
        delays = [0.0, 0.0]
        delays[jitter.randrange(2)] = jitter.choice((0.0, 0.0, 0.002, 0.01))
        race(
            [
                _told(lambda n=number: actions.resolve(desk.rt, n, STAFF_ACTOR, "fixed")),
                _told(
                    lambda n=number, ts=thread_ts: actions.thread_reply(
                        desk.rt, ACME_CHANNEL, ts, ALICE, "any news?", receipt=f"reply-{n}"
                    )
                ),
            ],
            delays,
        )
        after = incident(desk.rt, number)
        kinds = [e.kind for e in timeline(desk.rt, number)]
        assert "customer_reply" in kinds and kinds.count("status:resolved") == 1, kinds
        # Either order, but the resolution is the last word: the reply came before it
        # (waiting → investigating → resolved) or after it (noted, still resolved).
        assert (after.status, kinds[-1] != "status:investigating") == ("resolved", True), kinds
        assert after.resolved_at is not None


def test_the_same_availability_credit_waived_twice_at_once_is_waived_once(desk: Desk) -> None:
    """Before, the second waiver hit the unique constraint: a 500 (Slack: "failed with the
    error") instead of "already waived"."""
    assert isinstance(desk.rt.clock, TravelClock)
    acme = desk.rt.contracts.by_key("acme")
    months = [f"2026-0{m}" for m in range(1, MONTHS + 1)]
    for month in months:  # a 5-hour outage in each month
        desk.rt.clock.set(datetime.fromisoformat(f"{month}-08T05:00:00+00:00"))
        down = intake.open_incident(
            desk.rt, title="site down", severity=1, reporter=STAFF, customer=acme
        ).id
        assert answer(desk.slack.command(f"outage INC-{down}")) == f"INC-{down} is now an outage."
        actions.acknowledge(desk.rt, down, STAFF_ACTOR)
        desk.rt.clock.set(datetime.fromisoformat(f"{month}-08T10:00:00+00:00"))
        actions.resolve(desk.rt, down, STAFF_ACTOR, "fixed")
    desk.rt.clock.set(datetime(2026, 8, 2, tzinfo=UTC))
    desk.drain()

    for down, month in enumerate(months, start=1):
        said = race(
            [
                lambda m=month: desk.slack.command(f"waive availability acme {m} their DNS"),
                lambda m=month: desk.slack.command(f"waive availability acme {m} DNS", user=OTHER),
            ],
            [0.0, 0.0],
        )
        desk.settle()
        assert [r.status_code for r in said] == [200, 200]  # type: ignore[attr-defined]
        texts = [answer(r) for r in said]  # type: ignore[arg-type]
        assert sum(t.startswith("Waived Acme Corp's availability credit") for t in texts) == 1
        assert sum("that credit was already waived by <@" in t for t in texts) == 1, texts
        assert [e.kind for e in timeline(desk.rt, down)].count("credit_waived") == 1
    with desk.rt.session() as session:
        assert len(session.scalars(select(CreditWaiver)).all()) == MONTHS
