"""What one SLA timer does when it fires: a reminder, a breach (and its escalation), or the
Sev1 L3 engagement. Called by the pump (:mod:`supportbot.sla.pump`) with the rows it already
holds, under the incident's lock, in the transaction that marked the timer fired.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from supportbot.db.models import Incident, SlaClock, SlaTimer
from supportbot.incidents.lifecycle import LEVEL_NAMES, next_level
from supportbot.incidents.timeline import add_event
from supportbot.oncall import lookup
from supportbot.runtime import Runtime
from supportbot.sla.plan import BREACH, ENGAGE_L3
from supportbot.slack.notify import notify, notify_reached
from supportbot.wording import inert, local_time, time_left

log = logging.getLogger(__name__)


class Batch:
    """What the timers fired together share: one instant, and the display zone per customer
    (the on-shift lookup is the costly part of a reminder, and its answer is the same)."""

    def __init__(self, session: Session, rt: Runtime, now: datetime) -> None:
        self.session, self.rt, self.now = session, rt, now
        self._zones: dict[str | None, ZoneInfo] = {}

    def zone(self, customer: str | None) -> ZoneInfo:
        if customer not in self._zones:
            self._zones[customer] = lookup.display_zone(self.rt, self.session, self.now, customer)
        return self._zones[customer]


def apply(batch: Batch, incident: Incident, timer: SlaTimer, clock: SlaClock | None) -> str:
    """The timer's effect; returns the outcome (reminded, skipped, breached, engaged, stale)."""
    if timer.clock == ENGAGE_L3:
        return _engage_l3(batch, incident)
    assert clock is not None, f"no {timer.clock} clock for {incident.key}"
    if timer.threshold >= BREACH:
        return _breach(batch, incident, clock)
    return _remind(batch, incident, clock, timer.threshold)


def _remind(batch: Batch, incident: Incident, clock: SlaClock, pct: int) -> str:
    session, rt, now = batch.session, batch.rt, batch.now
    if clock.due_at is not None and clock.due_at <= now:
        # Overdue reminders (a worker was down) add nothing once the target itself has
        # passed: the breach says it all, so they are recorded as skipped.
        return "skipped"
    zone = batch.zone(incident.customer)
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


def _breach(batch: Batch, incident: Incident, clock: SlaClock) -> str:
    session, rt, now = batch.session, batch.rt, batch.now
    zone = batch.zone(incident.customer)
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


def _engage_l3(batch: Batch, incident: Incident) -> str:
    session, rt, now = batch.session, batch.rt, batch.now
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
