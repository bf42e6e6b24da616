"""The reconciler's share of paging: re-drive pages and steps whose jobs were lost.

A page stuck in ``sending`` past its deadline belonged to a worker that died mid-send; it
goes back to ``pending`` (Twilio may have sent it already: delivery is at least once, and a
duplicate page is better than a missed one).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from supportbot import metrics
from supportbot.db.models import Escalation, Page
from supportbot.dispatch import Pending
from supportbot.paging.episodes import SEND_JOB, STEP_JOB, step_job_id
from supportbot.runtime import Runtime

log = logging.getLogger(__name__)

GRACE = timedelta(seconds=5)


def recover_paging(rt: Runtime) -> dict[str, int]:
    now = rt.now()
    after: list[Pending] = []
    with rt.session() as session:
        stuck = list(
            session.scalars(select(Page).where(Page.state == "sending", Page.deadline_at <= now))
        )
        for page in stuck:
            page.state, page.next_attempt_at, page.updated_at = "pending", now, now
            page.last_error = "the worker sending it stopped before recording the outcome"
            log.warning("page %s was stuck sending; sending it again", page.id)
        pages = (
            session.execute(
                select(Page.id).where(Page.state == "pending", Page.next_attempt_at <= now - GRACE)
            )
            .scalars()
            .all()
        )
        steps = session.execute(
            select(Escalation.id, Escalation.step_index).where(
                Escalation.state == "active", Escalation.next_step_at <= now - GRACE
            )
        ).all()
    after += [
        Pending(SEND_JOB, (pid,), f"page-send-{pid}") for pid in {*pages, *(p.id for p in stuck)}
    ]
    after += [Pending(STEP_JOB, (eid, index), step_job_id(eid, index)) for eid, index in steps]
    rt.dispatcher.submit_all(after)
    if after:
        metrics.RECONCILED.labels("paging").inc(len(after))
        log.warning(
            "reconciler re-queued %d page(s) and %d escalation step(s)",
            len(after) - len(steps),
            len(steps),
        )
    return {"pages": len(after) - len(steps), "steps": len(steps)}
