"""Follow-up timer rows and their jobs: schedule, cancel, and the reconciler's redriver.

A timer row is the promise; its ``FOLLOWUP_TIMER`` job (id ``followup-INC-n-kind-seq``)
only delivers it, and the reconciler owes again any pending row past due whose job was lost.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot.contracts.followups import FollowupPolicy
from supportbot.db.followups import FollowupTimer
from supportbot.db.models import Incident
from supportbot.delivery import effects, job_ids
from supportbot.delivery.kinds import FOLLOWUP_TIMER
from supportbot.delivery.overdue import redrive_overdue
from supportbot.runtime import Runtime

log = logging.getLogger(__name__)

# RQ's scheduler polls every second; a timer this far past due has lost its job.
GRACE = timedelta(seconds=5)


def policy_of(rt: Runtime, incident: Incident) -> FollowupPolicy | None:
    """The follow-up terms of the incident's customer (tier defaults, then the customer's own);
    None for an internal incident or a customer no longer in the contracts file."""
    customer = rt.contracts.by_key(incident.customer) if incident.customer else None
    if customer is None:
        return None
    return rt.contracts.followups.for_tier(customer.tier).merged(customer.followups)


def _job(timer: FollowupTimer) -> str:
    return job_ids.followup_timer(timer.incident_id, timer.kind, timer.seq)


def owe(session: Session, timer: FollowupTimer, *, now: bool = False) -> None:
    """Schedule the timer's job for its instant, or run it ``now`` (it is overdue)."""
    if now:
        effects.owe(session, FOLLOWUP_TIMER, timer.id, job_id=_job(timer))
    else:
        effects.owe_at(session, timer.due_at, FOLLOWUP_TIMER, timer.id, job_id=_job(timer))


def schedule(
    session: Session, incident_id: int, kind: str, seq: int, due: datetime
) -> FollowupTimer:
    """A new pending timer, its job owed for ``due`` once the transaction commits."""
    timer = FollowupTimer(incident_id=incident_id, kind=kind, seq=seq, due_at=due, state="pending")
    session.add(timer)
    session.flush()  # its id is the job's argument
    owe(session, timer)
    return timer


def pending(session: Session, incident_id: int, kind: str) -> FollowupTimer | None:
    return session.scalar(
        select(FollowupTimer)
        .where(
            FollowupTimer.incident_id == incident_id,
            FollowupTimer.kind == kind,
            FollowupTimer.state == "pending",
        )
        .order_by(FollowupTimer.seq.desc())
        .limit(1)
    )


def last_seq(session: Session, incident_id: int, kind: str) -> int:
    found = session.scalar(
        select(FollowupTimer.seq)
        .where(FollowupTimer.incident_id == incident_id, FollowupTimer.kind == kind)
        .order_by(FollowupTimer.seq.desc())
        .limit(1)
    )
    return -1 if found is None else found


def cancel(session: Session, timer: FollowupTimer) -> None:
    timer.state = "cancelled"
    effects.cancel(session, FOLLOWUP_TIMER, _job(timer))


def overdue(rt: Runtime) -> int:
    """Redriver: pending follow-up timers whose job was lost; a fired timer ignores a rerun."""
    return redrive_overdue(rt, FollowupTimer, FollowupTimer.due_at,
                           FollowupTimer.state == "pending", GRACE,
                           lambda session, timer: owe(session, timer, now=True),
                           "follow-up timer(s)")  # fmt: skip
