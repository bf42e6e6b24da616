"""A response credit is judged under each severity the incident had, while it had it.

A Severity 1 left unanswered past its hour and downgraded afterwards still owes its credit
(a downgrade is no way out of a broken promise; staff waive a credit they find unfair, with
a reason, on the record); one downgraded before its hour ran out owes none. One credit per
incident at most: the largest it missed. Checked against the worked cases, then by brute
force against a minute-by-minute reference, then end to end with signed Slack commands.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from supportbot.clock import TravelClock
from supportbot.contracts.credit_terms import DEFAULT_TERMS
from supportbot.desk import actions, intake
from supportbot.hours.calendar import WallClock
from supportbot.incidents.access import Actor
from supportbot.incidents.lifecycle import parse_severity_change, severity_change_text
from supportbot.reports.credits import CreditLine, credit_line
from supportbot.reports.monthly import statements
from supportbot.reports.records import IncidentRecord, SeveritySpan, parse_month
from tests.conftest import Desk
from tests.support.records import answer
from tests.support.slack_requests import STAFF

OPENED = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(OPENED)


MINUTE = timedelta(minutes=1)
MICRO = timedelta(microseconds=1)


def record(
    changes: list[tuple[timedelta, int]], first: int, response: timedelta | None
) -> IncidentRecord:
    """Opened at OPENED as ``first``; each change (after, severity) from the opening."""
    spans = [SeveritySpan(OPENED, first, WallClock())]
    spans += [SeveritySpan(OPENED + after, sev, WallClock()) for after, sev in changes]
    current = spans[-1].severity
    return IncidentRecord(
        key="INC-1", customer="acme", tier="Premier", zone="UTC", severity=current,
        opened_at=OPENED, first_response_at=OPENED + response if response else None,
        severities=tuple(spans) if changes else (),
    )  # fmt: skip


def owed(row: IncidentRecord, as_of: timedelta = timedelta(days=2)) -> CreditLine | str | None:
    return credit_line(row, OPENED + as_of, DEFAULT_TERMS)


def test_a_sev1_left_past_its_hour_then_downgraded_still_owes_its_credit() -> None:
    line = owed(record([(timedelta(minutes=90), 3)], 1, timedelta(hours=2)))
    assert isinstance(line, CreditLine)
    assert (line.severity, line.amount) == (1, Decimal("5000.00"))
    assert line.target == "Severity 1 response within 1 h"
    assert line.due_at == OPENED + timedelta(hours=1) and line.late_by == timedelta(hours=1)


def test_a_sev1_downgraded_before_its_hour_owes_nothing() -> None:
    assert owed(record([(timedelta(minutes=30), 3)], 1, timedelta(hours=5))) is None
    # Unanswered and now a Sev3 (no response credit): no verdict is waited for either.
    assert owed(record([(timedelta(minutes=30), 3)], 1, None)) is None


@pytest.mark.parametrize(("at", "late"), [(-MICRO, False), (timedelta(0), False), (MICRO, False),
                                          (2 * MICRO, True)])  # fmt: skip
def test_a_downgrade_at_the_due_instant_itself_is_in_time(at: timedelta, late: bool) -> None:
    """Late means after the due instant (10:00): the first late instant is 10:00:00.000001,
    and a change that applies from it is a Sev3 there already. Only a change after it was
    made while the Sev1 promise was broken."""
    row = record([(timedelta(hours=1) + at, 3)], 1, timedelta(hours=3))
    assert isinstance(owed(row), CreditLine) is late


def test_an_upgrade_is_judged_from_the_opening_as_before() -> None:
    # Sev2 at 09:00, Sev1 at 09:30, answered 10:30: the Sev1 hour ran from 09:00.
    line = owed(record([(timedelta(minutes=30), 1)], 2, timedelta(minutes=90)))
    assert isinstance(line, CreditLine) and line.severity == 1
    assert owed(record([(timedelta(minutes=30), 1)], 2, timedelta(minutes=50))) is None


def test_one_credit_per_incident_the_largest_it_missed() -> None:
    # Sev1 late at 10:00, Sev2 from 10:30, answered 14:00 (the Sev2 four hours, late too).
    line = owed(record([(timedelta(minutes=90), 2)], 1, timedelta(hours=5)))
    assert isinstance(line, CreditLine) and (line.severity, line.amount) == (1, Decimal("5000.00"))
    # Sev2 first, answered late under it after a brief Sev1 in time: the Sev2 credit.
    line = owed(record([(timedelta(minutes=10), 1), (timedelta(minutes=20), 2)], 2,
                       timedelta(hours=5)))  # fmt: skip
    assert isinstance(line, CreditLine) and (line.severity, line.amount) == (2, Decimal("2500.00"))


def test_a_change_after_the_response_changes_nothing() -> None:
    # Answered at 09:20 as a Sev1; only changes before the response are loaded, but a
    # record that carries a later one is judged as answered in time all the same.
    assert owed(record([(timedelta(hours=3), 3)], 1, timedelta(minutes=20))) is None


def test_unanswered_and_still_a_sev1_is_undecided_until_its_hour() -> None:
    row = record([(timedelta(minutes=10), 3), (timedelta(minutes=20), 1)], 1, None)
    assert owed(row, timedelta(minutes=59)) == "INC-1"
    assert isinstance(owed(row, timedelta(minutes=61)), CreditLine)


def reference(
    first: int, changes: list[tuple[int, int]], response: int | None, end: int
) -> Decimal:
    """Half-minute by half-minute (changes, dues and the response fall on whole minutes, so
    every stretch between two of them holds a half minute): at each instant t with no
    response yet, the severity then and whether its credit's due (from the opening) is past."""
    within = {1: 60, 2: 240}
    amounts = {1: Decimal("5000.00"), 2: Decimal("2500.00")}
    stop = response if response is not None else end
    worst = Decimal(0)
    for halves in range(0, 2 * stop + 1):
        t = halves / 2
        severity = first
        for at, sev in changes:
            if at <= t:
                severity = sev
        if severity in within and t > within[severity]:
            worst = max(worst, amounts[severity])
    return worst


def test_brute_force_against_a_minute_by_minute_reference() -> None:
    """Changes and responses on whole minutes (the µs edges are tested above): 3,000 random
    histories, each judged by credit_line and by the reference."""
    rng = random.Random(20261130)
    for _ in range(3000):
        first = rng.randint(1, 4)
        times = sorted(rng.sample(range(1, 400), rng.randint(0, 4)))
        changes = [(t, rng.randint(1, 4)) for t in times]
        response = rng.choice([None, rng.randint(0, 420)])
        loaded = [(t, s) for t, s in changes if response is None or t < response]
        row = record([(t * MINUTE, s) for t, s in loaded], first,
                     response * MINUTE if response is not None else None)  # fmt: skip
        got = owed(row, timedelta(minutes=500))
        amount = got.amount if isinstance(got, CreditLine) else Decimal(0)
        assert amount == reference(first, loaded, response, 500), (first, loaded, response)


def test_the_timeline_text_reads_back_as_the_change_it_records() -> None:
    for before in (1, 2, 3, 4):
        for after in (1, 2, 3, 4):
            text = severity_change_text("<@U0AAA>", before, after)
            assert parse_severity_change(text) == (before, after)
    assert parse_severity_change("<@U0AAA> changed severity Sev1 Critical → Sev9 Whatever") is None
    assert parse_severity_change("opened INC-1 as Sev1 Critical") is None


def test_a_downgrade_after_the_breach_keeps_the_credit_until_waived(desk: Desk) -> None:
    """Slack end to end: a Sev1 unanswered for 90 minutes is downgraded to Sev3, then
    answered; March's statement still owes its 5,000.00, and a waiver with a reason clears it."""
    acme = desk.rt.contracts.by_key("acme")
    assert acme is not None
    late = intake.open_incident(desk.rt, title="down", severity=1, reporter=STAFF, customer=acme)
    early = intake.open_incident(desk.rt, title="typo", severity=1, reporter=STAFF, customer=acme)
    desk.travel(timedelta(minutes=20))
    actions.set_severity(desk.rt, early.id, Actor.staff_member(STAFF), 3)  # in time
    desk.travel(timedelta(minutes=70))
    actions.set_severity(desk.rt, late.id, Actor.staff_member(STAFF), 3)  # after its hour
    desk.travel(timedelta(minutes=30))
    for found in (late, early):
        actions.acknowledge(desk.rt, found.id, Actor.staff_member(STAFF))
    desk.drain()

    def report() -> object:
        with desk.rt.session() as session:
            (found,) = statements(session, desk.rt.contracts, parse_month("2026-03"),
                                  desk.rt.now(), "acme")  # fmt: skip
        return found

    found = report()
    assert [(line.key, line.severity, line.amount) for line in found.responses] == [  # type: ignore[attr-defined]
        (f"INC-{late.id}", 1, Decimal("5000.00"))
    ]
    said = answer(
        desk.slack.command(f"waive credit INC-{late.id} the customer picked Sev1 by mistake")
    )
    desk.drain()
    assert said == f"Waived INC-{late.id}'s credit of 5000.00 USD for 2026-03."
    assert report().total == Decimal("0.00")  # type: ignore[attr-defined]
    assert "owes no response credit" in answer(desk.slack.command(f"waive credit INC-{early.id} x"))
