"""The reconciler's share of paging: re-drive pages and steps whose jobs were lost.

Each function is one redriver (see :mod:`supportbot.reconciler`): it finds owed work in the
database and owes its job again under the same id, so a job that is still queued is replaced,
not doubled. A page stuck in ``sending`` past its deadline belonged to a worker that died
mid-send; it goes back to ``pending``, and its next attempt first looks in Twilio for what the
dead worker may have sent (``outbox._earlier``) and adopts it rather than sending again.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from supportbot.db.models import Escalation, Page
from supportbot.paging.bundles import release
from supportbot.paging.owed import owe_send, owe_step
from supportbot.runtime import Runtime

log = logging.getLogger(__name__)

GRACE = timedelta(seconds=5)


def stuck_sends(rt: Runtime) -> int:
    """Pages left in ``sending`` past their deadline (``outbox.SENDING_DEADLINE``, 15 s) go
    back to ``pending`` and are sent, with the pages they carried, on this pass."""
    now = rt.now()
    with rt.session() as session:
        stuck = list(
            session.scalars(select(Page).where(Page.state == "sending", Page.deadline_at <= now))
        )
        for page in stuck:
            page.state, page.next_attempt_at, page.updated_at = "pending", now, now
            page.last_error = "the worker sending it stopped before recording the outcome"
            log.warning("page %s was stuck sending; sending it again", page.id)
            owe_send(session, page.id)
            release(session, page, now)  # the pages it carried are owed as much as it is
    return len(stuck)


def pending_sends(rt: Runtime) -> int:
    """Pending pages past their attempt time: their send job was lost."""
    cutoff = rt.now() - GRACE
    with rt.session() as session:
        pages = session.scalars(
            select(Page.id).where(Page.state == "pending", Page.next_attempt_at <= cutoff)
        ).all()
        for page_id in pages:
            owe_send(session, page_id)
    return len(pages)


def due_steps(rt: Runtime) -> int:
    """Active episodes whose next step is past due: their step job was lost."""
    cutoff = rt.now() - GRACE
    with rt.session() as session:
        steps = session.execute(
            select(Escalation.id, Escalation.step_index).where(
                Escalation.state == "active", Escalation.next_step_at <= cutoff
            )
        ).all()
        for escalation_id, index in steps:
            owe_step(session, escalation_id, index)
    return len(steps)
