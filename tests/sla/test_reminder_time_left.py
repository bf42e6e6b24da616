"""A reminder says how much of the target is left as the clock counts it.

Globex (Standard, business hours 08:00-18:00 Mon-Fri Europe/Berlin): a Sev2 response of 2 h
opened on Friday at 17:00 has its 50 % reminder at 18:00, with one business hour left and
the target due on Monday at 09:00; the wall clock says 63 h (64 h across the autumn DST
change). The reminder gives the business time and the due instant in the calendar's zone.
A 24x7 clock's reminder keeps the wall-clock time left.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from supportbot.clock import TravelClock
from supportbot.db.models import SlaTimer, TimelineEvent
from supportbot.sla import firing
from tests.conftest import Desk
from tests.support.records import ACME_CHANNEL, GLOBEX_CHANNEL

FRIDAY_17_CET = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # Fri 27 Nov 17:00 CET
FRIDAY_17_CEST = datetime(2026, 10, 23, 15, 0, tzinfo=UTC)  # Fri 23 Oct 17:00 CEST; DST ends Sun


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(FRIDAY_17_CET)  # still: it moves only when the test says so


def _reminder(desk: Desk, channel: str, opened: datetime, pct: int) -> str:
    """Open a Sev2 at ``opened``, fire its ``pct`` % response reminder at its instant."""
    assert isinstance(desk.rt.clock, TravelClock)
    desk.rt.clock.set(opened)
    assert desk.slack.command("sev2 invoices missing", channel=channel).status_code == 200
    desk.drain()
    with desk.rt.session() as session:
        timer = session.scalars(
            select(SlaTimer).where(SlaTimer.clock == "response", SlaTimer.threshold == pct)
        ).one()
    desk.rt.clock.set(timer.due_at)
    assert firing.fire(desk.rt, timer.id) == "reminded"
    with desk.rt.session() as session:
        return session.scalars(
            select(TimelineEvent.text).where(TimelineEvent.kind == f"reminder:response:{pct}")
        ).one()


def test_a_business_hours_reminder_over_a_weekend_gives_business_time_left(desk: Desk) -> None:
    text = _reminder(desk, GLOBEX_CHANNEL, FRIDAY_17_CET, 50)
    assert "response target 50% used: 1h00m of business time left " in text, text
    assert "(due Mon 30 Nov 09:00 CET)" in text, text
    assert "63h" not in text


def test_a_business_hours_reminder_across_a_dst_change(desk: Desk) -> None:
    """Wall clock, Friday 18:00 CEST to Monday 09:00 CET is 64 h; business time is 1 h."""
    text = _reminder(desk, GLOBEX_CHANNEL, FRIDAY_17_CEST, 50)
    assert "response target 50% used: 1h00m of business time left " in text, text
    assert "(due Mon 26 Oct 09:00 CET)" in text, text
    assert "64h" not in text


def test_a_24x7_reminder_over_a_weekend_keeps_wall_clock_time(desk: Desk) -> None:
    """Acme (Premier, 24x7): a Sev2 response of 2 h is half used after 1 h, whatever day."""
    text = _reminder(desk, ACME_CHANNEL, FRIDAY_17_CET, 50)
    assert "response target 50% used: 1h00m left (due " in text, text
    assert "business" not in text


def test_the_breach_names_the_due_instant_in_the_same_zone_as_the_reminders(desk: Desk) -> None:
    """One target, one zone in every post about it: the breach of a business-hours target
    said 'due … 08:00 GMT' (the on-shift region's zone) after reminders said '09:00 CET'."""
    text = _reminder(desk, GLOBEX_CHANNEL, FRIDAY_17_CET, 50)
    assert "(due Mon 30 Nov 09:00 CET)" in text, text
    with desk.rt.session() as session:
        breach = session.scalars(
            select(SlaTimer).where(SlaTimer.clock == "response", SlaTimer.threshold == 100)
        ).one()
    assert isinstance(desk.rt.clock, TravelClock)
    desk.rt.clock.set(breach.due_at)
    assert firing.fire(desk.rt, breach.id) == "breached"
    with desk.rt.session() as session:
        posted = session.scalars(
            select(TimelineEvent.text).where(TimelineEvent.kind == "breach:response")
        ).one()
    assert "breached its response target (due Mon 30 Nov 09:00 CET)" in posted, posted
