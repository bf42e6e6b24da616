"""Predictive escalation, run by the reconciler: for each open incident whose resolution
clock has had no reminder come due yet, forecast the chance of a breach
(:mod:`supportbot.followups.forecast`); when it crosses the contract's threshold, post the
forecast and its reasons once, on the card and in its thread, with one-click escalation, or
escalate at once where the contract says so.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from supportbot.contracts.followups import FollowupPolicy
from supportbot.db.models import Incident, SlaClock, SlaTimer, TimelineEvent
from supportbot.delivery import effects, job_ids
from supportbot.delivery.effects import owe_sync
from supportbot.delivery.kinds import PAGE_MANUAL_ESCALATION
from supportbot.followups import timers
from supportbot.followups.forecast import Forecast, Situation, forecast, reached, samples
from supportbot.incidents.lifecycle import ACTIVE_VALUES, LEVEL_NAMES, next_level
from supportbot.incidents.timeline import add_event
from supportbot.oncall import lookup
from supportbot.runtime import Runtime
from supportbot.sla.tracking import refresh_incident
from supportbot.slack.followup_blocks import FORECAST
from supportbot.slack.notify import notify_reached
from supportbot.wording import inert, local_time

log = logging.getLogger(__name__)

HISTORY = timedelta(days=180)  # how far back resolved incidents count as history


@dataclass(frozen=True)
class Past:
    severity: int
    tier: str | None
    levels: dict[str, datetime]
    resolved_at: datetime


def _escalations(session: Session, ids: list[int]) -> dict[int, list[tuple[datetime, str]]]:
    found: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    rows = session.execute(
        select(TimelineEvent.incident_id, TimelineEvent.at, TimelineEvent.text)
        .where(TimelineEvent.kind == "escalated", TimelineEvent.incident_id.in_(ids))
        .order_by(TimelineEvent.id)
    )
    for incident_id, at, text in rows:
        found[incident_id].append((at, text))
    return found


def load_history(session: Session, rt: Runtime, since: datetime) -> list[Past]:
    """Resolved incidents since ``since``: severity, tier, when each level was reached."""
    rows = session.execute(
        select(
            Incident.id,
            Incident.severity,
            Incident.customer,
            Incident.opened_at,
            Incident.resolved_at,
        ).where(Incident.resolved_at.is_not(None), Incident.resolved_at >= since)  # fmt: skip
    ).all()
    escalations = _escalations(session, [row[0] for row in rows])
    tiers = {c.key: c.tier for c in rt.contracts.customers}
    return [
        Past(severity, tiers.get(customer or ""), reached(opened, escalations[key]), resolved)
        for key, severity, customer, opened, resolved in rows
        if resolved is not None
    ]


def candidates(session: Session, now: datetime, only: int | None = None) -> list[int]:
    """Open incidents with a running resolution clock, no forecast yet, and no resolution
    reminder come due (after that the reminders speak; a forecast adds nothing); ``only``:
    whether that one incident still is."""
    reminded = exists().where(
        SlaTimer.incident_id == Incident.id,
        SlaTimer.clock == "resolution",
        SlaTimer.state.in_(("pending", "fired", "skipped")),
        SlaTimer.due_at <= now,
    )
    forecast_made = exists().where(
        TimelineEvent.incident_id == Incident.id, TimelineEvent.kind.like(f"{FORECAST}%")
    )
    query = (
        select(Incident.id)
        .join(SlaClock, (SlaClock.incident_id == Incident.id) & (SlaClock.kind == "resolution"))
        .where(
            Incident.status.in_(ACTIVE_VALUES),
            Incident.level != "MGMT",
            SlaClock.state == "running",
            SlaClock.due_at > now,
            ~reminded,
            ~forecast_made,
        )
        .order_by(Incident.id)
    )
    if only is not None:
        query = query.where(Incident.id == only)
    return list(session.scalars(query))


def _predict(
    session: Session, rt: Runtime, incident: Incident, history: list[Past], now: datetime
) -> tuple[Forecast, datetime] | None:
    due = session.scalar(
        select(SlaClock.due_at).where(
            SlaClock.incident_id == incident.id, SlaClock.kind == "resolution"
        )
    )
    customer = rt.contracts.by_key(incident.customer) if incident.customer else None
    if due is None or customer is None:
        return None
    levels = reached(incident.opened_at, _escalations(session, [incident.id])[incident.id])
    entered = levels.get(incident.level, incident.opened_at)
    open_here = session.scalar(
        select(func.count()).where(
            Incident.status.in_(ACTIVE_VALUES), Incident.level == incident.level
        )
    )
    on_shift = len(lookup.people_for(rt, session, incident.level, now).people)
    situation = Situation(due - now, now - entered, incident.level, int(open_here or 0), on_shift)
    same = [(p.levels, p.resolved_at) for p in history if p.severity == incident.severity]
    tier = [(p.levels, p.resolved_at) for p in history
            if p.severity == incident.severity and p.tier == customer.tier]  # fmt: skip
    tier_said = f"Sev{incident.severity} {customer.tier.title()}"
    found = forecast(situation, samples(incident.level, tier, on_shift), described=tier_said)
    if found.probability is None:  # too few of this tier: the severity across tiers
        widened = f"Sev{incident.severity} (every tier)"
        found = forecast(situation, samples(incident.level, same, on_shift), described=widened)
    return found, due


def _escalate(session: Session, rt: Runtime, incident: Incident, now: datetime) -> str:
    level = incident.level = next_level(incident.level)
    text = (
        f":arrow_up: {incident.key} escalated to {LEVEL_NAMES[level]} by the breach forecast "
        f"(the contract escalates automatically): {inert(incident.title)}"
    )
    add_event(session, rt, incident, "supportbot", "escalated", text)
    notify_reached(session, rt, incident, lookup.people_for(rt, session, level, now),
                   "escalation", text, who=LEVEL_NAMES[level])  # fmt: skip
    if incident.severity == 1:
        effects.owe(session, PAGE_MANUAL_ESCALATION, incident.id, level, "supportbot",
                    job_id=job_ids.page_manual_escalation(incident.id, level))  # fmt: skip
    refresh_incident(session, rt, incident)
    return f"Escalated to {LEVEL_NAMES[level]} automatically (the contract says so)."


def _consider(
    session: Session, rt: Runtime, incident_id: int, history: list[Past], now: datetime
) -> bool:
    incident = session.get_one(Incident, incident_id, with_for_update=True)
    if not candidates(session, now, only=incident_id):
        return False  # changed since the pass began (resolved, reminded, forecast made)
    policy: FollowupPolicy | None = timers.policy_of(rt, incident)
    predicted = _predict(session, rt, incident, history, now)
    if policy is None or predicted is None:
        return False
    found, due = predicted
    if not found.crosses(policy.forecast_threshold):
        return False
    zone = lookup.display_zone(rt, session, now, incident.customer)
    level = incident.level
    then = (
        _escalate(session, rt, incident, now)
        if policy.auto_escalate and level != "L3"
        else "Press *Escalate now (forecast)* on the card to bring in the next level."
    )
    text = "\n".join(
        [
            f":crystal_ball: *Breach forecast* for {incident.key}: "
            f"{found.probability:.0%} chance of missing the resolution target "
            f"(due {local_time(due, zone)}; alert at {policy.forecast_threshold:.0%}).",
            *(f"• {reason}" for reason in found.reasons),
            then,
        ]
    )
    add_event(session, rt, incident, "supportbot", f"{FORECAST}{level}", text)
    owe_sync(session, incident.id)
    log.info("%s: breach forecast %.2f at %s", incident.key, found.probability, level)
    return True


def run(rt: Runtime) -> int:
    """One pass: forecast every candidate; returns how many forecasts were posted."""
    now = rt.now()
    with rt.session() as session:
        ids = candidates(session, now)
        if not ids:
            return 0
        history = load_history(session, rt, now - HISTORY)
    posted = 0
    for incident_id in ids:
        with rt.session() as session:
            posted += _consider(session, rt, incident_id, history, now)
    return posted
