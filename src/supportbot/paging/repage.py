"""Paging again: an unacknowledged Severity 1 whose region goes off shift is handed to the
incoming region, and one that something new happened to is paged again at once.

Runs inside the transaction that announces the handoff (:mod:`supportbot.oncall.announcements`),
so each handoff re-pages at most once, however often the reconciler runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot.db.models import Escalation, Incident
from supportbot.incidents.timeline import add_event
from supportbot.oncall import EscalationPolicy, Handoff, step_at, total_steps
from supportbot.paging import episodes
from supportbot.paging.engine import create_pages
from supportbot.paging.targets import reach
from supportbot.runtime import Runtime
from supportbot.slack.notify import warn_triage


def repage_on_handoff(rt: Runtime, session: Session, handoffs: Sequence[Handoff]) -> int:
    """Page the incoming region for each unacknowledged episode; returns the pages owed."""
    paged = 0
    now = rt.now()
    for handoff in handoffs:
        if handoff.level != "L1" or not handoff.region_changed:
            continue
        episodes = session.scalars(
            select(Escalation).where(
                Escalation.state == "active", Escalation.region == handoff.from_region
            )
        )
        for escalation in episodes:
            incident = session.get_one(Incident, escalation.incident_id)
            incoming = handoff.after.primary
            escalation.region = handoff.to_region
            if incoming is None:
                text = (
                    f":warning: {incident.key}: {handoff.from_region} went off shift and "
                    f"nobody holds L1 in {handoff.to_region or 'any region'} "
                    f"({handoff.after.reason}); the escalation policy goes on."
                )
                warn_triage(session, rt, incident, "paging", text)
                continue
            add_event(
                session,
                rt,
                incident,
                "supportbot",
                "paged",
                f":globe_with_meridians: {handoff.from_region} went off shift with "
                f"{incident.key} unacknowledged: handed to {handoff.to_region}, paging "
                f"{incoming.label}.",
            )
            paged += create_pages(
                session,
                rt,
                incident,
                (incoming,),
                escalation=escalation,
                step=max(escalation.step_index - 1, 0),
                now=now,
            )
    return paged


def repage_now(session: Session, rt: Runtime, incident: Incident, reason: str) -> int:
    """Page an unacknowledged Severity 1 again, now, because something new happened to it
    (a new alert joined): whoever holds the targets of the step it last ran, or paging
    starts if it is not paging at all. Returns the pages owed."""
    if incident.severity != 1 or incident.status != "open":
        return 0
    escalation = episodes.current(session, incident.id)
    if escalation is None or escalation.state != "active":
        episodes.begin(session, rt, incident, rt.now())
        return 1
    policy = EscalationPolicy.model_validate_json(escalation.policy)
    index = min(max(escalation.step_index - 1, 0), total_steps(policy) - 1)
    now, seen, paged = rt.now(), set[str](), 0
    for target in step_at(policy, index).targets:
        people = tuple(p for p in reach(rt, session, incident, target, now).people
                       if p.key not in seen)  # fmt: skip
        seen.update(p.key for p in people)
        if people:
            paged += create_pages(
                session, rt, incident, people, escalation=escalation, step=index, now=now
            )
    names = ", ".join(sorted(seen)) or "nobody (the step reaches nobody now)"
    add_event(session, rt, incident, "supportbot", "paged",
              f":pager: {reason}: paging {names} again.")  # fmt: skip
    return paged
