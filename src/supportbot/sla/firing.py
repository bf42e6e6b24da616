"""What happens when an SLA timer comes due: a reminder, a breach, or L3 engagement.

The job carries only the timer id. The row is locked, re-checked against a fresh plan and
marked fired in the same transaction as its effects, so a job that runs twice (a redelivery,
the reconciler) or for a stopped clock does nothing the second time.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot import metrics
from supportbot.db.claims import claim
from supportbot.db.models import Incident, SlaClock, SlaTimer
from supportbot.delivery.kinds import SLA_TIMER
from supportbot.incidents.lifecycle import LEVEL_NAMES, next_level
from supportbot.incidents.timeline import add_event
from supportbot.oncall import lookup
from supportbot.runtime import Runtime, get_runtime
from supportbot.sla.plan import BREACH, ENGAGE_L3
from supportbot.sla.tracking import next_due, owe_timer, refresh_incident
from supportbot.slack.jobs import owe_sync
from supportbot.slack.notify import notify, notify_reached
from supportbot.wording import inert, local_time, time_left

log = logging.getLogger(__name__)

# RQ's scheduler polls every second; a timer this far past due has lost its job.
TIMER_GRACE = timedelta(seconds=5)


@SLA_TIMER.runs
def sla_timer(timer_id: int) -> str:
    return fire(get_runtime(), timer_id)


def fire(rt: Runtime, timer_id: int) -> str:
    """Fire one timer if it is still owed; returns what happened, for logs and tests."""
    with rt.session() as session:
        timer = session.get(SlaTimer, timer_id)
        if timer is None or timer.state != "pending":
            return "stale"
        # Lock the incident, then the timer: the order a change takes them in, so a click and
        # a firing timer serialize (neither writes back stale clocks) and cannot deadlock.
        session.get_one(Incident, timer.incident_id, with_for_update=True)
        session.refresh(timer, with_for_update=True)
        if timer.state != "pending":
            return "stale"
        now = rt.now()
        if timer.due_at > now:
            # Never early: RQ's scheduler counts in whole seconds and may start a job before
            # its instant. Such a run does nothing but owe the job again for that instant, so
            # whatever happens before it (an acknowledgement stopping the clock) still counts.
            owe_timer(session, timer)
            outcome = "early"
        else:
            # Every change to the incident re-plans its timers under this same lock, so a
            # pending row at or past its due time is owed as it stands.
            incident = session.get_one(Incident, timer.incident_id)
            if not claim(session, SlaTimer, timer.id, "pending", state="fired", fired_at=now):
                return "stale"  # another worker fired it between our read and our write
            session.refresh(timer)
            outcome = _effect(session, rt, incident, timer, now)
            if outcome == "skipped":
                timer.state = "skipped"
            if outcome in ("breached", "engaged"):
                # The level moved: the Sev1 L3 engagement may no longer be owed.
                refresh_incident(session, rt, incident)
            next_due(session, incident.id, timer.clock)
            owe_sync(session, incident.id)
    if outcome != "early":
        metrics.SLA_TIMERS_FIRED.labels(outcome).inc()
    return outcome


def _effect(
    session: Session, rt: Runtime, incident: Incident, timer: SlaTimer, now: datetime
) -> str:
    if timer.clock == ENGAGE_L3:
        return _engage_l3(session, rt, incident, now)
    clock = session.scalar(
        select(SlaClock).where(SlaClock.incident_id == incident.id, SlaClock.kind == timer.clock)
    )
    assert clock is not None, f"no {timer.clock} clock for {incident.key}"
    if timer.threshold >= BREACH:
        return _breach(session, rt, incident, clock, now)
    return _remind(session, rt, incident, clock, timer.threshold, now)


def _zone(rt: Runtime, session: Session, incident: Incident, now: datetime) -> ZoneInfo:
    """Times are shown in the on-shift region's zone, else the customer's, else UTC."""
    return lookup.display_zone(rt, session, now, incident.customer)


def _remind(
    session: Session, rt: Runtime, incident: Incident, clock: SlaClock, pct: int, now: datetime
) -> str:
    if clock.due_at is not None and clock.due_at <= now:
        # Overdue reminders (a worker was down) add nothing once the target itself has
        # passed: the breach says it all, so they are recorded as skipped.
        return "skipped"
    zone = _zone(rt, session, incident, now)
    text = (
        f":alarm_clock: {incident.key} {clock.kind} target {pct}% used: "
        f"{time_left(clock.due_at, now)} left (due {local_time(clock.due_at, zone)}). "
        f"{inert(incident.title)}"
    )
    add_event(session, rt, incident, "supportbot", f"reminder:{clock.kind}:{pct}", text)
    if incident.assignee:
        notify(session, rt, incident, incident.assignee, "reminder", text)
    else:
        notify_reached(
            session,
            rt,
            incident,
            lookup.lead(rt, session, now),
            "reminder",
            text,
            who="the on-shift lead (no assignee)",
        )
    log.info("%s: %s reminder at %s%%", incident.key, clock.kind, pct)
    return "reminded"


def _breach(
    session: Session, rt: Runtime, incident: Incident, clock: SlaClock, now: datetime
) -> str:
    zone = _zone(rt, session, incident, now)
    clock.breached_at, clock.state = now, "breached"
    add_event(
        session,
        rt,
        incident,
        "supportbot",
        f"breach:{clock.kind}",
        f":rotating_light: {incident.key} breached its {clock.kind} target "
        f"(due {local_time(clock.due_at, zone)}).",
    )
    log.warning("%s breached its %s target", incident.key, clock.kind)
    if incident.level == "MGMT":
        return "breached"
    level = next_level(incident.level)
    incident.level = level
    text = (
        f":arrow_up: {incident.key} escalated to {LEVEL_NAMES[level]} after the "
        f"{clock.kind} breach: {inert(incident.title)}"
    )
    add_event(session, rt, incident, "supportbot", "escalated", text)
    notify_reached(
        session,
        rt,
        incident,
        lookup.people_for(rt, session, level, now),
        "escalation",
        text,
        who=LEVEL_NAMES[level],
    )
    return "breached"


def _engage_l3(session: Session, rt: Runtime, incident: Incident, now: datetime) -> str:
    if incident.level not in ("L1", "L2"):
        return "stale"
    incident.level = "L3"
    text = (
        f":fire_engine: {incident.key} Sev1: L3 engaged 15 minutes after opening "
        f"(policy), whoever acknowledged it. {inert(incident.title)}"
    )
    add_event(session, rt, incident, "supportbot", "escalated", text)
    notify_reached(
        session,
        rt,
        incident,
        lookup.people_for(rt, session, "L3", now),
        "escalation",
        text,
        who="L3",
    )
    return "engaged"


def overdue_timers(rt: Runtime) -> int:
    """Redriver: timers past due by more than the scheduler's poll lost their job (Redis
    flushed, worker killed). Owe them now; a timer already fired ignores the second run."""
    with rt.session() as session:
        due = session.scalars(
            select(SlaTimer).where(
                SlaTimer.state == "pending", SlaTimer.due_at <= rt.now() - TIMER_GRACE
            )
        ).all()
        for timer in due:
            owe_timer(session, timer, now=True)
    if due:
        log.warning("reconciler re-queued %d overdue SLA timer(s)", len(due))
    return len(due)
