"""Open incidents follow their customer's contract as it stands, edits included.

Every change to an incident re-plans its clocks from the contract as it is then
(:func:`~supportbot.sla.tracking.refresh_incident`), so an edited target or calendar reached
a running incident only at its next change: until then its due time and timers kept the old
target while ``/sla`` explained the new one. The reconciler re-plans the active incidents of
each customer whose contract entry changed, once across workers and restarts (a digest of
the entry, kept in Redis), and owes a card update only where a clock moved.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot.contracts.customers import Customer
from supportbot.db.models import Incident, SlaClock
from supportbot.delivery.effects import owe_sync
from supportbot.incidents.lifecycle import ACTIVE_VALUES
from supportbot.runtime import Runtime
from supportbot.sla.tracking import refresh_incident


def _digest(customer: Customer) -> str:
    return hashlib.sha256(customer.model_dump_json().encode()).hexdigest()[:24]


def _clocks(session: Session, incident_id: int) -> set[tuple[str, int, datetime | None, str]]:
    rows = session.scalars(select(SlaClock).where(SlaClock.incident_id == incident_id))
    return {(c.kind, c.target_seconds, c.due_at, c.state) for c in rows}


def _replan(rt: Runtime, customer: Customer) -> int:
    """Re-plan each active incident of ``customer``; returns how many had a clock move."""
    moved = 0
    with rt.session() as session:
        ids = session.scalars(
            select(Incident.id).where(
                Incident.customer == customer.key, Incident.status.in_(ACTIVE_VALUES)
            )
        ).all()
    for incident_id in ids:
        # One transaction an incident, under its row lock, as every change to it runs.
        with rt.session() as session:
            incident = session.get(Incident, incident_id, with_for_update=True)
            if incident is None or incident.status not in ACTIVE_VALUES:
                continue
            before = _clocks(session, incident_id)
            refresh_incident(session, rt, incident)
            session.flush()
            if _clocks(session, incident_id) != before:
                owe_sync(session, incident_id)
                moved += 1
    return moved


def redrive(rt: Runtime) -> int:
    """Re-plan the open incidents of every customer whose contract entry changed."""
    moved = 0
    for customer in rt.contracts.customers:
        key = f"{rt.settings.queue_name}:sla-contract:{customer.key}"
        digest = _digest(customer)
        if rt.redis.get(key) == digest.encode():
            continue
        moved += _replan(rt, customer)
        rt.redis.set(key, digest)
    return moved
