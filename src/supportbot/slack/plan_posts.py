"""Task estimates to the designated contacts: a row first, then this job, re-driven.

The estimate row is the promise; ``ESTIMATE_POST`` reloads it, posts it to each designated
contact once (:mod:`supportbot.delivery.inflight` looks in the DM before posting again after an
interrupted attempt) and records ``posted_at``. The reconciler owes the job again for any
pending estimate not yet posted, so a flushed Redis delays the buttons, never loses them.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot.contracts.plans import PlanKind
from supportbot.db.ledger import TaskEstimate
from supportbot.db.models import Incident
from supportbot.delivery import effects, inflight, job_ids
from supportbot.delivery.kinds import ESTIMATE_POST
from supportbot.plans import ledger
from supportbot.plans.balance import active_plans
from supportbot.runtime import Runtime, get_runtime
from supportbot.slack.jobs import GRACE
from supportbot.slack.plan_blocks import estimate_request

log = logging.getLogger(__name__)


def owe_post(session: Session, task_id: int) -> None:
    effects.owe(session, ESTIMATE_POST, task_id, job_id=job_ids.estimate_post(task_id))


@ESTIMATE_POST.runs
def post_estimate(task_id: int) -> None:
    rt = get_runtime()
    keys: list[str] = []
    with rt.session() as session:
        task = session.get(TaskEstimate, task_id)
        if task is None or task.posted_at is not None or task.state != "pending":
            return  # posted already, or answered before it was (a contact saw it elsewhere)
        incident = session.get(Incident, task.incident_id)
        customer = rt.contracts.by_key(task.customer)
        if incident is None or customer is None:
            log.warning("estimate %s: its incident or customer is gone; not posted", task_id)
            return
        hours = [p for p in active_plans(customer, rt.now()) if p.kind is PlanKind.PREPAID_HOURS]
        left = ledger.balance(session, customer, hours[0], rt.now()).text() if hours else ""
        text, blocks = estimate_request(incident, task.id, task.minutes, task.note, left)
        payload = [b.to_dict() for b in blocks]
        for contact in customer.contacts:
            key = f"estimate-{task.id}-{contact}"
            keys.append(key)
            inflight.post(rt, key, {"channel": contact, "text": text, "blocks": payload})
        task.posted_at = rt.now()
    for key in keys:
        inflight.done(rt, key)


def redrive(rt: Runtime) -> int:
    """Redriver: pending estimates not yet posted to the contacts."""
    cutoff = rt.now() - GRACE
    with rt.session() as session:
        ids = list(
            session.scalars(
                select(TaskEstimate.id).where(
                    TaskEstimate.state == "pending",
                    TaskEstimate.posted_at.is_(None),
                    TaskEstimate.requested_at <= cutoff,
                )
            )
        )
        for task_id in ids:
            owe_post(session, task_id)
    return len(ids)
