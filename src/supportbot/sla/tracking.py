"""Keep an incident's SLA clock rows and timer rows in line with its plan.

Called inside the transaction of every incident change; returns the timers to (re)schedule
and the jobs to cancel, which the caller hands to RQ after commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot.customers import Customer
from supportbot.db.models import Incident, SlaClock, SlaTimer, TimelineEvent
from supportbot.incidents.lifecycle import ACTIVE, Status
from supportbot.runtime import Runtime
from supportbot.sla.deadlines import Pause
from supportbot.sla.plan import Contract, Facts, Plan, collapse_overdue, plan

# Statuses during which the resolution clock stands still: waiting on the customer, and
# resolved (which matters only if the incident is reopened).
PAUSING_EVENTS = (f"status:{Status.WAITING.value}", f"status:{Status.RESOLVED.value}")
TIMER_JOB = "supportbot.jobs.sla_timer"


@dataclass
class Schedule:
    """What to tell RQ after commit."""

    due: list[tuple[int, str, datetime]] = field(default_factory=list)  # timer id, job id, at
    cancel: list[str] = field(default_factory=list)  # job ids

    def extend(self, other: Schedule) -> None:
        self.due += other.due
        self.cancel += other.cancel


def contract_of(customer: Customer | None) -> Contract | None:
    if customer is None:
        return None
    return Contract(customer.tier, customer.coverage, customer.calendar(), customer.sla)


def waiting_intervals(session: Session, incident_id: int) -> list[Pause]:
    """Waiting-on-customer (and resolved-then-reopened) intervals, from the timeline."""
    rows = session.execute(
        select(TimelineEvent.kind, TimelineEvent.at)
        .where(TimelineEvent.incident_id == incident_id, TimelineEvent.kind.like("status:%"))
        .order_by(TimelineEvent.id)
    ).all()
    pauses: list[Pause] = []
    started: datetime | None = None
    for kind, at in rows:
        if kind in PAUSING_EVENTS and started is None:
            started = at
        elif kind not in PAUSING_EVENTS and started is not None:
            pauses.append((started, at))
            started = None
    if started is not None:
        pauses.append((started, None))
    return pauses


def facts_of(session: Session, incident: Incident, *, new: bool = False) -> Facts:
    return Facts(
        opened_at=incident.opened_at,
        severity=incident.severity,
        level=incident.level,
        active=Status(incident.status) in ACTIVE,
        first_response_at=incident.first_response_at,
        resolved_at=incident.resolved_at,
        pauses=[] if new else waiting_intervals(session, incident.id),
    )


def refresh(
    session: Session,
    incident: Incident,
    customer: Customer | None,
    now: datetime,
    *,
    new: bool = False,
) -> Schedule:
    """Recompute the clocks and reconcile the timers; returns what RQ must be told.

    ``new`` says the incident was created in this transaction, so there is nothing stored to
    compare with (opening is the hot path of every ``/incident``).
    """
    wanted = plan(facts_of(session, incident, new=new), contract_of(customer), now)
    _store_clocks(session, incident.id, wanted, new=new)
    return _reconcile_timers(session, incident.id, wanted.timers, now, new=new)


def _store_clocks(session: Session, incident_id: int, wanted: Plan, *, new: bool) -> None:
    rows = (
        {}
        if new
        else {
            c.kind: c
            for c in session.scalars(select(SlaClock).where(SlaClock.incident_id == incident_id))
        }
    )
    for clock in wanted.clocks:
        row = rows.get(clock.kind)
        if row is None:
            row = SlaClock(incident_id=incident_id, kind=clock.kind)
            session.add(row)
        row.target_seconds = int(clock.target.total_seconds())
        row.basis = clock.basis[:200]
        row.due_at = clock.due
        row.stopped_at = clock.stopped_at
        # A recorded breach stays: it was posted and escalated, and reports count it.
        row.state = "breached" if row.breached_at is not None else clock.state


def _reconcile_timers(
    session: Session,
    incident_id: int,
    wanted: dict[tuple[str, int], datetime],
    now: datetime,
    *,
    new: bool,
) -> Schedule:
    """Make the timer rows match the plan.

    Only the next pending timer of each clock is put on RQ; firing it schedules the one after
    (:func:`next_due`), and the reconciler catches any that a lost job left behind. That keeps
    the queue to a couple of jobs per incident instead of eight.
    """
    schedule = Schedule()
    existing = (
        {}
        if new
        else {
            (t.clock, t.threshold): t
            for t in session.scalars(select(SlaTimer).where(SlaTimer.incident_id == incident_id))
        }
    )
    # Only timers this change creates or moves may be collapsed; one that was simply
    # waiting for a slow worker still fires (a reminder is late, never dropped).
    moved = {
        key: due
        for key, due in wanted.items()
        if key not in existing or existing[key].due_at != due
    }
    _, skipped = collapse_overdue(moved, now)
    changed: set[tuple[str, int]] = set()
    for key, due in wanted.items():
        timer = existing.get(key)
        if timer is None:
            timer = existing[key] = SlaTimer(
                incident_id=incident_id, clock=key[0], threshold=key[1], due_at=due, state="pending"
            )
            session.add(timer)
        elif timer.state == "cancelled" or (timer.state == "pending" and timer.due_at != due):
            timer.due_at, timer.state = due, "pending"
        else:
            continue  # fired or skipped (a reminder happens once), or pending and unchanged
        if key in skipped:
            timer.state = "skipped"
            schedule.cancel.append(timer.job_id)
        else:
            changed.add(key)
    for key, timer in existing.items():
        if key not in wanted and timer.state == "pending":
            timer.state = "cancelled"
            schedule.cancel.append(timer.job_id)
    if changed:
        session.flush()  # one flush gives every new timer its id
    for timer in _next_per_clock(existing.values()):
        if (timer.clock, timer.threshold) in changed:
            schedule.due.append((timer.id, timer.job_id, timer.due_at))
    return schedule


def _next_per_clock(timers: Iterable[SlaTimer]) -> list[SlaTimer]:
    first: dict[str, SlaTimer] = {}
    for timer in timers:
        if timer.state == "pending" and (
            timer.clock not in first or timer.due_at < first[timer.clock].due_at
        ):
            first[timer.clock] = timer
    return list(first.values())


def next_due(session: Session, incident_id: int, clock: str) -> Schedule:
    """After a timer of ``clock`` fired: schedule that clock's next pending timer."""
    timers = session.scalars(
        select(SlaTimer).where(
            SlaTimer.incident_id == incident_id,
            SlaTimer.clock == clock,
            SlaTimer.state == "pending",
        )
    )
    return Schedule(due=[(t.id, t.job_id, t.due_at) for t in _next_per_clock(timers)])


def apply_schedule(rt: Runtime, schedule: Schedule) -> None:
    """After commit: schedule owed timers on RQ and take cancelled ones off."""
    for timer_id, job_id, at in schedule.due:
        rt.dispatcher.submit_at(at, TIMER_JOB, timer_id, job_id=job_id)
    for job_id in schedule.cancel:
        rt.dispatcher.cancel(job_id)
