"""Every open card of a customer shows its plans' balances, so whatever changes a balance (a
charge, a waiver, a term's end) owes each of them a sync.

Owed through the delivery layer (``delivery.effects.owe_sync``): ``plans`` sits below
``slack`` (and below ``incidents``, which imports it), so it names the sync job, not the
code that runs it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot.db.models import Incident
from supportbot.delivery.effects import owe_sync

# The complement of ``incidents.lifecycle.ACTIVE`` (tests/plans/test_rollover.py checks it).
FINISHED = ("resolved", "closed")


def resync_open_cards(session: Session, customer_key: str, *, besides: int | None = None) -> int:
    """Owe a card sync to each open incident of the customer once this transaction commits
    (``besides``: one already synced by its own change); returns how many."""
    query = select(Incident.id).where(
        Incident.customer == customer_key, Incident.status.not_in(FINISHED)
    )
    if besides is not None:
        query = query.where(Incident.id != besides)
    count = 0
    for incident_id in session.scalars(query):
        owe_sync(session, incident_id)
        count += 1
    return count
