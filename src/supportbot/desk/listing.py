"""What an actor may list: staff see every organisation's incidents, a customer their own."""

from __future__ import annotations

from sqlalchemy import select

from supportbot.db.models import Incident
from supportbot.incidents.access import Actor, may_follow
from supportbot.incidents.lifecycle import ACTIVE
from supportbot.runtime import Runtime


def incidents_for(rt: Runtime, actor: Actor, *, active_only: bool = True) -> list[Incident]:
    may_follow(actor)
    with rt.session() as session:
        query = select(Incident).order_by(Incident.id.desc()).limit(50)
        if not actor.is_staff:
            query = query.where(Incident.customer == actor.customer)
        if active_only:
            query = query.where(Incident.status.in_([s.value for s in ACTIVE]))
        return list(session.scalars(query))
