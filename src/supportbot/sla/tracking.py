"""Keep an incident's SLA clock rows and timer rows in line with its plan.

Called inside the transaction of every incident change; returns the timers to (re)schedule
and the jobs to cancel, which the caller hands to RQ after commit.
"""

from __future__ import annotations

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


def facts_of(session: Session, incident: Incident) -> Facts:
    return Facts(
        opened_at=incident.opened_at,
        severity=incident.severity,
        level=incident.level,
        active=Status(incident.status) in ACTIVE,
        first_response_at=incident.first_response_at,
        resolved_at=incident.resolved_at,
        pauses=waiting_intervals(session, incident.id) if incident.id else [],
    )


def current_plan(
    session: Session, incident: Incident, customer: Customer | None, now: datetime
) -> Plan:
    return plan(facts_of(session, incident), contract_of(customer), now)


def refresh(
    session: Session, incident: Incident, customer: Customer | None, now: datetime
) -> Schedule:
    """Recompute the clocks and reconcile the timers; returns what RQ must be told."""
    wanted = current_plan(session, incident, customer, now)
    _store_clocks(session, incident.id, wanted)
    return _reconcile_timers(session, incident.id, wanted.timers, now)


def _store_clocks(session: Session, incident_id: int, wanted: Plan) -> None:
    rows = {
        c.kind: c
        for c in session.scalars(select(SlaClock).where(SlaClock.incident_id == incident_id))
    }
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
    session: Session, incident_id: int, wanted: dict[tuple[str, int], datetime], now: datetime
) -> Schedule:
    schedule = Schedule()
    existing = {
        (t.clock, t.threshold): t
        for t in session.scalars(select(SlaTimer).where(SlaTimer.incident_id == incident_id))
    }
    # Only timers this change creates or moves may be collapsed; one that was simply
    # waiting for a slow worker still fires (a reminder is late, never dropped).
    moved = {
        key: due
        for key, due in wanted.items()
        if key not in existing or existing[key].due_at != due
    }
    _, skipped = collapse_overdue(moved, now)
    for key, due in wanted.items():
        timer = existing.get(key)
        if timer is None:
            timer = SlaTimer(
                incident_id=incident_id, clock=key[0], threshold=key[1], due_at=due, state="pending"
            )
            session.add(timer)
            session.flush()
        elif timer.state in ("cancelled",) or (timer.state == "pending" and timer.due_at != due):
            timer.due_at, timer.state = due, "pending"
        elif timer.state != "pending":
            continue  # fired or skipped: a reminder happens once
        else:
            continue  # pending and unchanged: its job is already scheduled
        if key in skipped:
            timer.state = "skipped"
            schedule.cancel.append(timer.job_id)
        else:
            schedule.due.append((timer.id, timer.job_id, due))
    for key, timer in existing.items():
        if key not in wanted and timer.state == "pending":
            timer.state = "cancelled"
            schedule.cancel.append(timer.job_id)
    return schedule


def apply_schedule(rt: Runtime, schedule: Schedule) -> None:
    """After commit: schedule owed timers on RQ and take cancelled ones off."""
    for timer_id, job_id, at in schedule.due:
        rt.dispatcher.submit_at(at, TIMER_JOB, timer_id, job_id=job_id)
    for job_id in schedule.cancel:
        rt.dispatcher.cancel(job_id)
