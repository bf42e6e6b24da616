"""An unacknowledged Severity 1 whose region goes off shift is handed to the incoming region.

Runs inside the transaction that announces the handoff (:mod:`supportbot.oncall.announcements`),
so each handoff re-pages at most once, however often the reconciler runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot.db.models import Escalation, Incident
from supportbot.incidents.timeline import add_event
from supportbot.oncall import Handoff
from supportbot.paging.engine import create_pages
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
