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
from supportbot.oncall import EscalationPolicy, Handoff, Target, step_at, total_steps
from supportbot.paging import episodes
from supportbot.paging.engine import create_pages
from supportbot.paging.targets import reach
from supportbot.runtime import Runtime
from supportbot.slack.notify import warn_triage

# Whom an episode's region is judged by: the L1 primary for its incident (the customer's
# language and skills preferred), as the first step of every policy pages.
_L1 = Target(level="L1", slot="primary")


def repage_on_handoff(rt: Runtime, session: Session, handoffs: Sequence[Handoff]) -> int:
    """Hand each unacknowledged episode whose region went off shift to the region holding
    L1 for its incident now, and page that region's primary; returns the pages owed.

    Judged per incident, on every pass, not from the general handoffs (``handoffs`` is not
    read): a German-speaking customer is served by the German-speaking region while it is
    on shift, whoever holds the general pager (before, its Sev1 was paged again in the
    general incoming region at the general handoff, a wrong person woken), and is handed on
    when that region's own shift ends, which is no general handoff at all (before, nobody
    was paged until the policy's next step). The episode's region records each hand-over,
    so a pass that finds nothing changed pages nobody, however often it runs."""
    paged = 0
    now = rt.now()
    active = session.scalars(select(Escalation).where(Escalation.state == "active"))
    for escalation in active:
        incident = session.get_one(Incident, escalation.incident_id)
        reached = reach(rt, session, incident, _L1, now)
        if escalation.region is None or reached.region in (None, escalation.region):
            # Still served where it is paged; or no L1 step has paged it (a policy that
            # starts elsewhere, nobody on call then), and its own steps go on.
            continue
        outgoing, escalation.region = escalation.region, reached.region
        off = f"{outgoing} went off shift"
        if not reached.people:
            text = (
                f":warning: {incident.key}: {off} and nobody holds L1 in {reached.region} "
                f"({reached.reason}); the escalation policy goes on."
            )
            warn_triage(session, rt, incident, "paging", text)
            continue
        names = ", ".join(p.label for p in reached.people)
        add_event(
            session,
            rt,
            incident,
            "supportbot",
            "paged",
            f":globe_with_meridians: {off} with {incident.key} unacknowledged: handed to "
            f"{reached.region}, paging {names}.",
        )
        paged += create_pages(
            session,
            rt,
            incident,
            reached.people,
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
