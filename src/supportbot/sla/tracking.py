"""Keep an incident's SLA clock rows and timer rows in line with its plan.

Called inside the transaction of every incident change; the timer jobs to (re)schedule or
cancel are owed on the session and reach RQ after commit (:mod:`supportbot.delivery`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot.contracts.customers import Customer
from supportbot.db.models import Incident, SlaClock, SlaTimer, TimelineEvent
from supportbot.delivery import effects, job_ids
from supportbot.delivery.kinds import SLA_TIMER
from supportbot.incidents.lifecycle import ACTIVE, Status
from supportbot.runtime import Runtime
from supportbot.sla.deadlines import Pause
from supportbot.sla.plan import BREACH, Contract, Facts, Plan, collapse_overdue, plan

# Statuses during which the resolution clock stands still: waiting on the customer, and
# resolved (which matters only if the incident is reopened).
PAUSING_EVENTS = (f"status:{Status.WAITING.value}", f"status:{Status.RESOLVED.value}")


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
    return pauses_of([(kind, at) for kind, at in rows])


def pauses_of(statuses: Iterable[tuple[str, datetime]]) -> list[Pause]:
    """The pauses an incident's status events make, in the order they were written: from
    waiting on the customer (or resolved) to the next status of another kind."""
    pauses: list[Pause] = []
    started: datetime | None = None
    for kind, at in statuses:
        if kind in PAUSING_EVENTS and started is None:
            started = at
        elif kind not in PAUSING_EVENTS and started is not None:
            pauses.append((started, at))
            started = None
    if started is not None:
        pauses.append((started, None))
    return pauses


def _opening_pause(incident: Incident) -> list[Pause]:
    """A new incident's pauses, without reading its timeline: one opened waiting on the
    customer (held for an exhausted balance) is paused from its opening."""
    if incident.status == Status.WAITING.value:
        return [(incident.opened_at, None)]
    return []


def facts_of(session: Session, incident: Incident, *, new: bool = False) -> Facts:
    return Facts(
        opened_at=incident.opened_at,
        severity=incident.severity,
        level=incident.level,
        active=Status(incident.status) in ACTIVE,
        first_response_at=incident.first_response_at,
        resolved_at=incident.resolved_at,
        pauses=_opening_pause(incident) if new else waiting_intervals(session, incident.id),
    )


def refresh(
    session: Session,
    incident: Incident,
    customer: Customer | None,
    now: datetime,
    *,
    new: bool = False,
) -> None:
    """Recompute the clocks and reconcile the timers; the timer jobs are owed on the session.

    ``new`` says the incident was created in this transaction, so there is nothing stored to
    compare with (opening is the hot path of every ``/incident``).
    """
    wanted = plan(facts_of(session, incident, new=new), contract_of(customer), now)
    _store_clocks(session, incident.id, wanted, new=new)
    late = {c.kind for c in wanted.clocks if c.state == "breached" and c.stopped_at is not None}
    _reconcile_timers(session, incident.id, wanted.timers, now, new=new, late=late)


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
    late: set[str] | None = None,
) -> None:
    """Make the timer rows match the plan. ``late``: clocks stopped after their target.

    Only the next pending timer of each clock is put on RQ; firing it schedules the one after
    (:func:`owe_next`), and the reconciler catches any that a lost job left behind. That keeps
    the queue to a couple of jobs per incident instead of eight.
    """
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
            _cancel(session, timer)
        else:
            changed.add(key)
    changed |= _drop_unwanted(session, existing, wanted, now, late or set())
    if changed:
        session.flush()  # one flush gives every new timer its id
    for timer in _next_per_clock(existing.values()):
        if (timer.clock, timer.threshold) in changed:
            owe_timer(session, timer)


def _drop_unwanted(
    session: Session,
    existing: dict[tuple[str, int], SlaTimer],
    wanted: dict[tuple[str, int], datetime],
    now: datetime,
    late: set[str],
) -> set[tuple[str, int]]:
    """Cancel the pending timers the plan no longer wants, except the breach of a clock that
    stopped after its target (``late``): answered or resolved after it, before the breach
    job ran (a busy worker), or re-judged late by a raised severity, the breach is still
    owed, posted and escalated, now; cancelled with the clock, it never was. Returns the
    timers moved to now."""
    moved: set[tuple[str, int]] = set()
    for key, timer in existing.items():
        if key in wanted or timer.state != "pending":
            continue
        if key[0] in late and key[1] >= BREACH:
            if timer.due_at > now:
                timer.due_at = now
                moved.add(key)
            continue
        timer.state = "cancelled"
        _cancel(session, timer)
    return moved


def _next_per_clock(timers: Iterable[SlaTimer]) -> list[SlaTimer]:
    first: dict[str, SlaTimer] = {}
    for timer in timers:
        if timer.state == "pending" and (
            timer.clock not in first or timer.due_at < first[timer.clock].due_at
        ):
            first[timer.clock] = timer
    return list(first.values())


def owe_next(session: Session, fired: set[tuple[int, str]]) -> None:
    """After timers fired in a batch: schedule the next pending timer of each (incident,
    clock) that fired, with one query for the whole batch."""
    if not fired:
        return
    timers = session.scalars(
        select(SlaTimer).where(
            SlaTimer.incident_id.in_({incident_id for incident_id, _ in fired}),
            SlaTimer.state == "pending",
        )
    ).all()
    by_incident: dict[int, list[SlaTimer]] = {}
    for timer in timers:
        if (timer.incident_id, timer.clock) in fired:
            by_incident.setdefault(timer.incident_id, []).append(timer)
    for group in by_incident.values():
        for timer in _next_per_clock(group):
            owe_timer(session, timer)


def job_id(timer: SlaTimer) -> str:
    return job_ids.sla_timer(timer.incident_id, timer.clock, timer.threshold)


def owe_timer(session: Session, timer: SlaTimer, *, now: bool = False) -> None:
    """Schedule the timer's job for its due instant, or run it ``now`` (it is overdue)."""
    if now:
        effects.owe(session, SLA_TIMER, timer.id, job_id=job_id(timer))
    else:
        effects.owe_at(session, timer.due_at, SLA_TIMER, timer.id, job_id=job_id(timer))


def _cancel(session: Session, timer: SlaTimer) -> None:
    effects.cancel(session, SLA_TIMER, job_id(timer))


def refresh_incident(session: Session, rt: Runtime, incident: Incident) -> None:
    """Re-plan an incident's clocks after a change, with its customer's contract."""
    session.flush()
    customer = rt.contracts.by_key(incident.customer) if incident.customer else None
    refresh(session, incident, customer, rt.now())
