"""Appending to an incident's timeline: the one way every change is recorded.

Kept apart from the service so that lower layers (paging, SLA firing) can record events
without importing the service that calls them.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from supportbot.db.models import Incident, TimelineEvent
from supportbot.runtime import Runtime


def add_event(
    session: Session,
    rt: Runtime,
    incident: Incident,
    actor: str,
    kind: str,
    text: str,
    *,
    customer_visible: bool = False,
) -> TimelineEvent:
    event = TimelineEvent(
        incident_id=incident.id,
        at=rt.now(),
        actor=actor,
        kind=kind,
        text=text,
        # An internal incident has no customer side: nothing of it is ever owed to one (else
        # the reconciler would find its events unposted forever).
        visibility="customer" if customer_visible and incident.customer_channel else "internal",
    )
    session.add(event)
    incident.updated_at = event.at
    incident.version += 1
    return event
