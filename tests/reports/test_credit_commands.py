"""Availability credits as staff run them in Slack: a window is declared and announced, a Sev1
is marked as site down, the month's statement lists the line with its evidence, a waiver is
kept on the timeline. Signed slash commands in, stand-in posts and rows out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from supportbot.clock import TravelClock
from supportbot.db.reporting import CreditWaiver, MaintenanceWindow
from supportbot.desk import actions, intake
from supportbot.incidents.access import Actor
from supportbot.reports.monthly import statements
from supportbot.reports.records import parse_month
from supportbot.reports.statement import AVAILABILITY
from tests.conftest import Desk
from tests.support.records import (
    ACME_ALICE,
    ACME_CHANNEL,
    ACME_TEAM,
    answer,
    dump,
    incident,
    posts,
    timeline,
)
from tests.support.slack_requests import STAFF

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
STAFF_ACTOR = Actor.staff_member(STAFF)


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(START)


def say(desk: Desk, text: str, **kwargs: object) -> str:
    said = answer(desk.slack.command(text, **kwargs))  # type: ignore[arg-type]
    desk.drain()
    return said


def march(desk: Desk) -> object:
    with desk.rt.session() as session:
        (report,) = statements(
            session, desk.rt.contracts, parse_month("2026-03"), desk.rt.now(), "acme"
        )
    return report


# long: one scenario, read top to bottom
def test_a_window_an_outage_the_statement_and_a_waiver(desk: Desk) -> None:
    # Sunday 8 March 2026, New York: the clocks jump from 02:00 to 03:00.
    said = say(desk, "maintenance acme 2026-03-08 02:30 1h network work")
    assert "does not exist in America/New_York" in said
    said = say(desk, "maintenance acme 2026-03-08 01:30 2h network <!channel> work")
    assert "Maintenance window #1 for Acme Corp" in said and "06:30–08:30 UTC" in said
    (announced,) = posts(desk.api, ACME_CHANNEL)
    assert announced["text"].startswith(":wrench: Planned maintenance for Acme Corp: Sun 08 Mar")
    assert "01:30–04:30 EDT (06:30–08:30 UTC)" in announced["text"]  # two local hours, one lost
    assert "&lt;!channel&gt;" in announced["text"]  # what staff typed is re-posted inert

    # The site goes down at 05:00Z and stays down until 10:00Z; acknowledged in 30 minutes.
    assert isinstance(desk.rt.clock, TravelClock)
    desk.rt.clock.set(datetime(2026, 3, 8, 5, 0, tzinfo=UTC))
    acme = desk.rt.contracts.by_key("acme")
    assert acme is not None
    down = intake.open_incident(desk.rt, title="site down", severity=1, reporter=STAFF,
                                customer=acme).id  # fmt: skip
    minor = intake.open_incident(desk.rt, title="typo", severity=3, reporter=STAFF,
                                 customer=acme).id  # fmt: skip
    assert "is not a Severity 1" in say(desk, f"outage INC-{minor}")
    assert say(desk, f"outage INC-{down}") == f"INC-{down} is now an outage."
    assert "already marked" in say(desk, f"outage INC-{down}")
    desk.travel(timedelta(minutes=30))
    actions.acknowledge(desk.rt, down, STAFF_ACTOR)
    desk.rt.clock.set(datetime(2026, 3, 8, 10, 0, tzinfo=UTC))
    actions.resolve(desk.rt, down, STAFF_ACTOR, "fixed")
    assert incident(desk.rt, down).outage

    # 5 h open, 2 h of it inside the window: 3 h down of March's 743 h in New York.
    desk.rt.clock.set(datetime(2026, 4, 2, tzinfo=UTC))
    report = march(desk)
    result = report.availability  # type: ignore[attr-defined]
    assert result.down == timedelta(hours=3) and str(result.percent) == "99.596"
    assert [o.key for o in result.outages] == [f"INC-{down}"]
    assert [w.id for w in result.maintenance] == [1]
    assert report.availability_line.amount == Decimal("1200.00")  # type: ignore[attr-defined]
    assert report.total == Decimal("1200.00") and report.responses == ()  # type: ignore[attr-defined]

    # Staff waive it with a reason; the waiver is on the incident's timeline.
    said = say(desk, "waive availability acme 2026-03 the customer's own DNS change")
    assert said == "Waived Acme Corp's availability credit for 2026-03 (1200.00 USD)."
    assert march(desk).total == Decimal("0.00")  # type: ignore[attr-defined]
    assert march(desk).waivers[AVAILABILITY].reason == "the customer's own DNS change"  # type: ignore[attr-defined]
    (event,) = [e for e in timeline(desk.rt, down) if e.kind == "credit_waived"]
    assert "the customer's own DNS change" in event.text and event.visibility == "internal"
    assert "already waived" in say(desk, "waive availability acme 2026-03 again")
    assert "owes no availability credit" in say(desk, "waive availability globex 2026-03 x")
    assert "needs a reason" in say(desk, f"waive credit INC-{down}")
    assert "owes no response credit" in say(desk, f"waive credit INC-{down} answered in time")


def test_a_late_sev1_credit_is_waived_once_with_its_reason(desk: Desk) -> None:
    acme = desk.rt.contracts.by_key("acme")
    assert acme is not None
    late = intake.open_incident(desk.rt, title="down", severity=1, reporter=STAFF, customer=acme)
    desk.travel(timedelta(hours=2))
    actions.acknowledge(desk.rt, late.id, STAFF_ACTOR)
    assert march(desk).total == Decimal("5000.00")  # type: ignore[attr-defined]
    said = say(desk, f"waive credit INC-{late.id} paged the wrong rota, our mistake")
    assert said == f"Waived INC-{late.id}'s credit of 5000.00 USD for 2026-03."
    report = march(desk)
    assert report.total == Decimal("0.00") and report.waived == Decimal("5000.00")  # type: ignore[attr-defined]
    assert any(e.kind == "credit_waived" for e in timeline(desk.rt, late.id))
    assert "already waived" in say(desk, f"waive credit INC-{late.id} twice")
    with desk.rt.session() as session:
        assert len(list(session.scalars(select(CreditWaiver)))) == 1


def test_cancel_and_list(desk: Desk) -> None:
    say(desk, "maintenance acme 2026-03-10 22:00 90m upgrade")
    say(desk, "maintenance globex 2026-03-11 02:00 1h")
    listed = say(desk, "maintenance list acme")
    assert "#1 Acme Corp" in listed and "Globex" not in listed
    assert "cancelled; Acme Corp are told" in say(desk, "maintenance cancel 1")
    assert "already cancelled" in say(desk, "maintenance cancel #1")
    assert posts(desk.api, ACME_CHANNEL)[-1]["text"].startswith(":information_source: Cancelled")
    assert "#1" not in say(desk, "maintenance list")
    assert "no maintenance window #99" in say(desk, "maintenance cancel 99")
    with desk.rt.session() as session:
        first = session.get(MaintenanceWindow, 1)
        assert first is not None and first.cancelled_by == STAFF  # kept, stamped, not deleted


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("maintenance", "needs a customer, a date"),
        ("maintenance acme 2026-02-30 02:00 1h", "is not a date"),
        ("maintenance acme 2026-03-09 25:00 1h", "is not a time"),
        ("maintenance acme 2026-03-09 02:00 forever", "is not a length"),
        ("maintenance acme 2026-03-09 02:00 2m", "from 5 minutes to 7 days"),
        ("maintenance acme 2026-03-09 02:00 200h", "from 5 minutes to 7 days"),
        ("maintenance acme 2026-02-01 02:00 1h", "declared before it starts"),
        ("maintenance umbrella 2026-03-09 02:00 1h", "Unknown customer"),
        ("maintenance cancel", "needs the window's number"),
        ("outage", "write `/incident outage INC-42`"),
        ("outage INC-1 maybe", "write `/incident outage INC-42`"),
        ("outage INC-7", "INC-7 does not exist"),
        ("waive availability acme March sorry", "waive availability acme 2026-11"),
        ("waive availability acme 2026-13 sorry", "is not a month"),
        ("waive credit", "write `/incident waive credit INC-42 <reason>`"),
        ("waive credit INC-x sorry", "is not an incident id"),
    ],
)
def test_bad_input_is_one_sentence_and_stores_nothing(desk: Desk, text: str, expected: str) -> None:
    before = dump(desk.rt, receipts=False)
    said = say(desk, text)
    assert said.startswith(":warning:") and expected in said, said
    assert dump(desk.rt, receipts=False) == before
    assert posts(desk.api, ACME_CHANNEL) == []


@pytest.mark.parametrize(
    "text",
    ["maintenance acme 2026-03-09 02:00 1h", "maintenance list", "outage INC-1",
     "waive credit INC-1 please", "waive availability acme 2026-03 please"],
)  # fmt: skip
def test_the_customer_side_is_refused_and_nothing_changes(desk: Desk, text: str) -> None:
    acme = desk.rt.contracts.by_key("acme")
    assert acme is not None
    intake.open_incident(desk.rt, title="down", severity=1, reporter=STAFF, customer=acme)
    desk.drain()
    before, sent = dump(desk.rt, receipts=False), len(posts(desk.api, ACME_CHANNEL))
    said = say(desk, text, user=ACME_ALICE, user_team=ACME_TEAM, channel=ACME_CHANNEL)
    assert said.startswith(":no_entry: Maintenance windows, outages and credit waivers")
    assert dump(desk.rt, receipts=False) == before
    assert len(posts(desk.api, ACME_CHANNEL)) == sent


def test_a_reopened_outage_does_not_count_the_time_it_sat_resolved(desk: Desk) -> None:
    """Down 30 minutes on 10 March, resolved; back down for 30 minutes on the 20th,
    reopened and resolved again: an hour of downtime, not the ten days in between."""
    acme = desk.rt.contracts.by_key("acme")
    opened = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    desk.rt.clock.set(opened)  # type: ignore[attr-defined]
    down = intake.open_incident(
        desk.rt, title="site down", severity=1, reporter=STAFF, customer=acme
    ).id
    assert say(desk, f"outage INC-{down}") == f"INC-{down} is now an outage."
    actions.acknowledge(desk.rt, down, STAFF_ACTOR)
    desk.rt.clock.set(opened + timedelta(minutes=30))  # type: ignore[attr-defined]
    actions.resolve(desk.rt, down, STAFF_ACTOR, "fixed")
    again = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
    desk.rt.clock.set(again)  # type: ignore[attr-defined]
    actions.reopen(desk.rt, down, STAFF_ACTOR, "back again")
    desk.rt.clock.set(again + timedelta(minutes=30))  # type: ignore[attr-defined]
    actions.resolve(desk.rt, down, STAFF_ACTOR, "fixed again")
    desk.rt.clock.set(datetime(2026, 4, 2, tzinfo=UTC))  # type: ignore[attr-defined]

    report = march(desk)

    # 1 h down of March's 744 h: 99.866 %, below 99.9: 10 % of the 12,000.00 fee.
    assert report.availability.down == timedelta(hours=1)  # type: ignore[attr-defined]
    assert report.total == Decimal("1200.00")  # type: ignore[attr-defined]
