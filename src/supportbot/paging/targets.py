"""Whom a policy step reaches right now, preferring the customer's language and skills."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from supportbot.db.models import Incident
from supportbot.oncall import Target, lookup
from supportbot.oncall.lookup import Reached
from supportbot.runtime import Runtime


def reach(
    rt: Runtime, session: Session, incident: Incident, target: Target, at: datetime
) -> Reached:
    found = lookup.resolver(rt)
    if found is None:
        return Reached((), "the rotation files could not be loaded (run `supportbot check`)")
    if target.level == "management":
        return lookup.people_for(rt, session, "MGMT", at)
    customer = rt.contracts.by_key(incident.customer) if incident.customer else None
    answer = lookup.on_call(
        rt,
        session,
        target.level,
        at,
        languages=(customer.language,) if customer else (),
        specialisations=tuple(customer.specialisations) if customer else (),
    )
    assert answer is not None
    slots = {
        "primary": (answer.primary,),
        "secondary": (answer.secondary,),
        "all": (answer.primary, answer.secondary),
    }[target.slot]
    people = tuple({p.key: p for p in slots if p is not None}.values())
    reason = answer.reason if people else f"nobody holds {target} ({answer.reason})"
    return Reached(people, reason, answer.covered_by)
