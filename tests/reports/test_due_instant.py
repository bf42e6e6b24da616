"""The exact due instant in the monthly figures and the SLA credits: a response or resolution
at the due instant, to the microsecond, is met (no credit); one a microsecond later is
breached (a credit); a clock still running at its due instant has no verdict yet."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from supportbot.contracts.customers import load_contracts
from supportbot.contracts.tiers import TargetClock
from supportbot.reports.credits import credits
from supportbot.reports.figures import Breach, figures
from supportbot.reports.records import ClockRecord, IncidentRecord, parse_month
from supportbot.sla.deadlines import basis_for
from tests.conftest import REPO

MARCH = parse_month("2026-03")
OPENED = datetime(2026, 3, 10, 14, tzinfo=UTC)
DUE = OPENED + timedelta(hours=1)  # Sev1 response within 1 h (wall clock, seed 004)
MICRO = timedelta(microseconds=1)


def _record(response: datetime | None, **kw: object) -> IncidentRecord:
    stopped = response
    values: dict[str, object] = dict(
        key="INC-1", customer="acme", tier="Premier", zone="America/New_York", severity=1,
        opened_at=OPENED, first_response_at=response, resolved_at=None,
        clocks=(ClockRecord("response", 3600, DUE, stopped, "met" if stopped else "running"),),
    )  # fmt: skip
    values.update(kw)
    return IncidentRecord(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("stopped", "met", "late_by"), [(DUE, 1, None), (DUE + MICRO, 0, MICRO)])
def test_a_clock_stopped_at_its_due_instant_counts_as_met(
    stopped: datetime, met: int, late_by: timedelta | None
) -> None:
    got = figures([_record(stopped)], MARCH, DUE + timedelta(days=1)).response_sla
    assert (got.met, got.pending) == (met, 0)
    assert [b.late_by for b in got.breaches] == ([] if late_by is None else [late_by])


@pytest.mark.parametrize(("as_of", "pending", "breached"), [(DUE, 1, 0), (DUE + MICRO, 0, 1)])
def test_a_clock_running_at_its_due_instant_is_pending_not_breached(
    as_of: datetime, pending: int, breached: int
) -> None:
    got = figures([_record(None)], MARCH, as_of).response_sla
    assert (got.met, got.pending, got.breached) == (0, pending, breached)
    assert got.share == (None if breached == 0 else 0.0)
    if breached:
        (breach,) = got.breaches
        assert isinstance(breach, Breach) and breach.late_by == MICRO


@pytest.mark.parametrize(("answered", "owed"), [(DUE, False), (DUE + MICRO, True)])
def test_a_response_at_the_credit_due_instant_owes_nothing(answered: datetime, owed: bool) -> None:
    got = credits([_record(answered)], MARCH, DUE + timedelta(days=1), "acme")
    assert got.undecided == ()
    assert [(line.late_by, line.amount) for line in got.lines] == (
        [(MICRO, Decimal("5000.00"))] if owed else []
    )


@pytest.mark.parametrize(("as_of", "owed"), [(DUE, False), (DUE + MICRO, True)])
def test_no_response_at_the_credit_due_instant_is_undecided(as_of: datetime, owed: bool) -> None:
    got = credits([_record(None)], MARCH, as_of, "acme")
    assert got.undecided == (() if owed else ("INC-1",))
    assert [line.late_by for line in got.lines] == ([MICRO] if owed else [])


def test_a_business_hours_credit_due_instant_is_met_too() -> None:
    """Globex (Standard, business hours 08:00-18:00 Berlin): a Sev2 opened Friday 17:00 is due
    for the 4 h credit on Monday 11:00; an answer at 11:00:00.000000 owes nothing."""
    globex = load_contracts(REPO / "contracts" / "customers.yaml").by_key("globex")
    assert globex is not None
    basis = basis_for(TargetClock.BUSINESS, globex.calendar())
    opened = datetime(2026, 3, 6, 16, tzinfo=UTC)  # Fri 17:00 CET
    due = datetime(2026, 3, 9, 10, tzinfo=UTC)  # Mon 11:00 CET: 1 h on Friday, 3 h on Monday
    rows = [
        _record(due + late, key=f"INC-{n}", customer="globex", tier="Standard",
                zone="Europe/Berlin", severity=2, opened_at=opened, response_basis=basis)
        for n, late in ((1, timedelta(0)), (2, MICRO))
    ]  # fmt: skip
    got = credits(rows, MARCH, due + timedelta(days=1), "globex")
    assert [(line.key, line.due_at, line.late_by) for line in got.lines] == [("INC-2", due, MICRO)]
