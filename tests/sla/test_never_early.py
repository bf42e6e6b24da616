"""Never early, as a script: a breach or an escalation step never happens before its instant.

RQ's scheduler counts in whole seconds and may start a job before its instant. Here the job
functions run directly, a little before due, on a clock that moves only when the test moves
it: they must do nothing but owe themselves again for the exact instant, so that an
acknowledgement landing in between still counts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from supportbot.clock import TravelClock
from supportbot.db.models import Escalation, Incident, Page, SlaClock, SlaTimer, TimelineEvent
from supportbot.delivery import job_ids
from supportbot.paging import engine
from supportbot.runtime import Runtime
from supportbot.sla import firing
from supportbot.slack import cards
from tests.conftest import Desk

ACME = "C0ACMESHARED"  # Premier, 24x7: Sev2 response 2 h
OPENED = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # a Tuesday, EMEA on shift


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(OPENED)  # still: it moves only when the test says so


def breach_timer(rt: Runtime) -> SlaTimer:
    with rt.session() as session:
        found = session.scalar(
            select(SlaTimer).where(SlaTimer.clock == "response", SlaTimer.threshold == 100)
        )
        assert found is not None
        return found


def scheduled_at(rt: Runtime, job_id: str, urgent: bool = False) -> datetime | None:
    """When RQ's scheduler will start ``job_id`` (it keeps whole seconds)."""
    rt.dispatcher.flush()
    registry = (rt.urgent_queue if urgent else rt.queue).scheduled_job_registry
    if job_id not in registry.get_job_ids():
        return None
    return registry.get_scheduled_time(job_id)


def texts(rt: Runtime) -> list[str]:
    with rt.session() as session:
        return list(session.scalars(select(TimelineEvent.text).order_by(TimelineEvent.id)))


def test_breach_run_early_waits_and_an_ack_before_due_prevents_it(desk: Desk) -> None:
    rt, clock = desk.rt, desk.rt.clock
    assert isinstance(clock, TravelClock)
    assert desk.slack.command("sev2 payments API slow", channel=ACME).status_code == 200
    desk.drain()
    timer = breach_timer(rt)
    due, job = timer.due_at, job_ids.sla_timer(timer.incident_id, "response", 100)
    # The target is met up to its due instant itself: the breach is owed a microsecond after.
    assert due == OPENED + timedelta(hours=2, microseconds=1)

    # 11:59:59.2: the breach job starts 0.8 s early (as RQ may start it).
    clock.set(due - timedelta(milliseconds=800))
    assert firing.fire(rt, timer.id) == "early"
    assert breach_timer(rt).state == "pending"
    assert not [t for t in texts(rt) if "breached" in t or "escalated" in t]
    # It is owed again for its instant (stored a second ahead: the job waits for the instant
    # itself, tests/sla/test_burst_pump.py), and not run before.
    assert scheduled_at(rt, job) == OPENED + timedelta(hours=2) - timedelta(seconds=1)
    assert job not in rt.queue.get_job_ids()

    # 11:59:59.7: someone acknowledges, before the target.
    clock.set(due - timedelta(milliseconds=300))
    desk.slack.block_action(cards.ACTION_ACK, value="1")
    desk.drain()

    # 12:00:00 and later: the job runs again, and again; nothing is breached.
    clock.set(due)
    assert firing.fire(rt, timer.id) == "stale"
    desk.travel(timedelta(minutes=5))
    with rt.session() as session:
        incident = session.scalars(select(Incident)).one()
        response = session.scalar(select(SlaClock).where(SlaClock.kind == "response"))
        assert incident.level == "L1" and incident.status == "acknowledged"
        assert response is not None and response.breached_at is None
        assert response.state != "breached"
    assert breach_timer(rt).state == "cancelled"
    assert not [t for t in texts(rt) if "breached" in t or "escalated to L2" in t]


def test_breach_run_at_its_instant_fires_once(desk: Desk) -> None:
    rt, clock = desk.rt, desk.rt.clock
    assert isinstance(clock, TravelClock)
    desk.slack.command("sev2 payments API slow", channel=ACME)
    desk.drain()
    timer = breach_timer(rt)
    # The breach is owed a microsecond after the target's due instant (tests/sla/
    # test_due_instant.py); at the due instant itself it is still early.
    assert timer.due_at == OPENED + timedelta(hours=2, microseconds=1)
    clock.set(timer.due_at - timedelta(microseconds=1))
    assert firing.fire(rt, timer.id) == "early"  # a microsecond is still early
    clock.set(timer.due_at)
    assert firing.fire(rt, timer.id) == "breached"
    assert firing.fire(rt, timer.id) == "stale"
    assert sum("breached its response target" in t for t in texts(rt)) == 1


def test_escalation_step_run_early_waits_and_an_ack_before_due_stops_it(desk: Desk) -> None:
    rt, clock = desk.rt, desk.rt.clock
    assert isinstance(clock, TravelClock)
    assert desk.slack.command("sev1 checkout down", channel=ACME).status_code == 200
    desk.drain()  # step 1 ran at 10:00; step 2 is owed at 10:05
    with rt.session() as session:
        escalation = session.scalars(select(Escalation)).one()
        due, index = escalation.next_step_at, escalation.step_index
    assert due == OPENED + timedelta(minutes=5) and index == 1
    pages_before = _pages(rt)

    clock.set(due - timedelta(milliseconds=500))
    assert engine.run_step(rt, escalation.id, index) == "early"
    with rt.session() as session:
        assert session.get_one(Escalation, escalation.id).step_index == index
    assert _pages(rt) == pages_before
    job = job_ids.page_step(escalation.id, index)
    assert scheduled_at(rt, job, urgent=True) == due

    clock.set(due - timedelta(milliseconds=200))  # acknowledged before step 2's instant
    desk.slack.block_action(cards.ACTION_ACK, value="1")
    desk.drain()
    assert scheduled_at(rt, job, urgent=True) is None  # taken off the schedule

    clock.set(due)
    assert engine.run_step(rt, escalation.id, index) == "stale"
    desk.travel(timedelta(minutes=4))  # 10:09: past step 2, before the L3 engagement
    assert _pages(rt) == pages_before  # step 2 never paged anyone
    with rt.session() as session:
        assert session.get_one(Escalation, escalation.id).state == "acknowledged"
        assert session.scalars(select(Incident)).one().level == "L1"


def _pages(rt: Runtime) -> list[tuple[int, str, str]]:
    with rt.session() as session:
        return [tuple(r) for r in session.execute(select(Page.id, Page.person, Page.channel))]  # type: ignore[misc]


def _level(rt: Runtime) -> str:
    with rt.session() as session:
        return session.get_one(Incident, 1).level


def _clock_row(rt: Runtime, kind: str) -> SlaClock:
    with rt.session() as session:
        found = session.scalar(select(SlaClock).where(SlaClock.kind == kind))
        assert found is not None
        return found


def test_an_answer_after_the_target_but_before_the_breach_job_still_breaches(
    desk: Desk,
) -> None:
    """The worker is busy when the response target passes; the engineer acknowledges a
    second later, before the breach job runs. The breach is still posted and escalates to
    L2 (before, acknowledging cancelled the breach job: the clock read "breached", but no
    breach was ever posted and the incident stayed at L1)."""
    rt, clock = desk.rt, desk.rt.clock
    assert isinstance(clock, TravelClock)
    assert desk.slack.command("sev2 payments API slow", channel=ACME).status_code == 200
    desk.drain()
    due = OPENED + timedelta(hours=2)
    clock.set(due + timedelta(seconds=1))  # the breach job has not run

    desk.slack.block_action(cards.ACTION_ACK, value="1")
    desk.drain()
    desk.travel(timedelta(minutes=1))

    row = _clock_row(rt, "response")
    assert (row.state, row.breached_at is not None) == ("breached", True)
    assert [t for t in texts(rt) if "breached its response target" in t]
    assert _level(rt) == "L2"


def test_waiting_on_the_customer_before_any_answer_does_not_stop_the_response_clock(
    desk: Desk,
) -> None:
    """Only the first response stops the response clock; "waiting on the customer" pressed
    before anyone answered pauses the resolution, not the response."""
    rt, clock = desk.rt, desk.rt.clock
    assert isinstance(clock, TravelClock)
    assert desk.slack.command("sev2 payments API slow", channel=ACME).status_code == 200
    desk.drain()
    clock.advance(timedelta(minutes=10))
    desk.slack.block_action(cards.ACTION_WAITING, value="1")
    desk.drain()

    desk.travel(timedelta(hours=2))

    assert _clock_row(rt, "response").state == "breached"
    assert _clock_row(rt, "resolution").state == "paused"
    assert _level(rt) == "L2"
