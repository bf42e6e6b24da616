"""The paging jobs a transaction owes: sends and escalation steps, as effects on its session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from supportbot.delivery import effects, job_ids, kinds


def owe_send(session: Session, page_id: int, at: datetime | None = None) -> None:
    job = job_ids.page_send(page_id)
    if at is None:
        effects.owe(session, kinds.PAGE_SEND, page_id, job_id=job)
    else:
        effects.owe_at(session, at, kinds.PAGE_SEND, page_id, job_id=job)


def owe_step(session: Session, escalation_id: int, index: int, at: datetime | None = None) -> None:
    job = job_ids.page_step(escalation_id, index)
    if at is None:
        effects.owe(session, kinds.PAGE_STEP, escalation_id, index, job_id=job)
    else:
        effects.owe_at(session, at, kinds.PAGE_STEP, escalation_id, index, job_id=job)


def cancel_step(session: Session, escalation_id: int, index: int) -> None:
    effects.cancel(session, kinds.PAGE_STEP, job_ids.page_step(escalation_id, index))
