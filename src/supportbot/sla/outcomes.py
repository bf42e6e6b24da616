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
from supportbot.hours.calendar import BusinessCalendar, TimeBasis
from supportbot.incidents.lifecycle import LEVEL_NAMES, next_level
from supportbot.incidents.timeline import add_event
from supportbot.oncall import lookup
from supportbot.runtime import Runtime
from supportbot.sla.deadlines import WALL_CLOCK, target_basis
from supportbot.sla.plan import BREACH, ENGAGE_L3
from supportbot.slack.notify import notify, notify_reached
from supportbot.wording import inert, local_time, span

log = logging.getLogger(__name__)


class Batch:
    """What the timers fired together share: one instant, and the display zone per customer
    (the on-shift lookup is the costly part of a reminder, and its answer is the same)."""

    def __init__(self, session: Session, rt: Runtime, now: datetime) -> None:
        self.session, self.rt, self.now = session, rt, now
        self._zones: dict[str | None, ZoneInfo] = {}
        self._bases: dict[tuple[str | None, int, str], TimeBasis] = {}

    def zone(self, customer: str | None) -> ZoneInfo:
        if customer not in self._zones:
            self._zones[customer] = lookup.display_zone(self.rt, self.session, self.now, customer)
        return self._zones[customer]

    def basis(self, incident: Incident, kind: str) -> TimeBasis:
        """What the incident's ``kind`` clock counts under its customer's contract; the wall
        clock for a customer no longer in the contracts file."""
        key = (incident.customer, incident.severity, kind)
        if key not in self._bases:
            customer = self.rt.contracts.by_key(incident.customer) if incident.customer else None
            self._bases[key] = (
                WALL_CLOCK
                if customer is None
                else target_basis(
                    kind,
                    customer.tier,
                    incident.severity,
                    customer.coverage,
                    customer.calendar(),
                    customer.sla,
                )
            )
        return self._bases[key]

    def due_zone(self, incident: Incident, kind: str) -> ZoneInfo:
        """Where the ``kind`` target's due instant reads, in every post about it: a
        business-hours target in its calendar's zone, where its hours are (the reminder and
        the breach named one due as 09:00 CET and then 08:00 GMT); else the display zone."""
        basis = self.basis(incident, kind)
        if isinstance(basis, BusinessCalendar):
            return ZoneInfo(basis.hours.timezone)
        return self.zone(incident.customer)


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
    text = (
        f":alarm_clock: {incident.key} {clock.kind} target {pct}% used: "
        f"{_left(batch, incident, clock)}. {inert(incident.title)}"
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


def _left(batch: Batch, incident: Incident, clock: SlaClock) -> str:
    """Time left as the clock counts it, and the due instant. A business-hours clock counts
    open hours only (from Friday 17:30 to a Monday 09:30 due is one business hour, not 64 h
    of wall clock), so its due instant reads in its calendar's zone, where those hours are."""
    due = clock.due_at
    if due is None:  # paused since the timer was claimed: nothing counts down
        return "paused"
    basis = batch.basis(incident, clock.kind)
    left = span(basis.between(batch.now, due))
    business = " of business time" if isinstance(basis, BusinessCalendar) else ""
    return f"{left}{business} left (due {local_time(due, batch.due_zone(incident, clock.kind))})"


def _breach(batch: Batch, incident: Incident, clock: SlaClock) -> str:
    session, rt, now = batch.session, batch.rt, batch.now
    zone = batch.due_zone(incident, clock.kind)
    clock.breached_at, clock.state = now, "breached"
    # What it was judged against: a later severity change recomputes ``due_at`` from the
    # start, and the breach must still read against this due (``/sla``, the card).
    clock.breach_due_at, clock.breach_severity = clock.due_at, incident.severity
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
