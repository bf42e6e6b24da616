"""Effects owed by a transaction: jobs to enqueue, schedule or cancel once it commits.

Services record effects on the session they already hold (``owe``, ``owe_at``, ``cancel``);
:func:`supportbot.delivery.unit.unit_of_work` hands them to the dispatcher after commit and
drops them on rollback, so a job never runs for a change that did not happen.

An effect names a :class:`~supportbot.delivery.kinds.JobKind`, which says which queue it
goes to and which function runs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from supportbot.delivery import job_ids
from supportbot.delivery.kinds import SLACK_SYNC, JobKind

_EFFECTS = "supportbot.effects"


@dataclass(frozen=True)
class Effect:
    kind: JobKind
    args: tuple[Any, ...]
    job_id: str
    at: datetime | None = None  # scheduled for later (RQ's scheduler moves it when due)
    cancel: bool = False


def _owed(session: Session) -> dict[str, Effect]:
    effects: dict[str, Effect] = session.info.setdefault(_EFFECTS, {})
    return effects


def add(session: Session, effect: Effect) -> None:
    # Later wins for one job id: a reschedule replaces, a cancel after it cancels.
    _owed(session)[effect.job_id] = effect


def owe(session: Session, kind: JobKind, *args: Any, job_id: str) -> None:
    """Run a job of ``kind`` with ``args`` on the worker once this transaction commits."""
    add(session, Effect(kind, args, job_id))


def owe_at(session: Session, at: datetime, kind: JobKind, *args: Any, job_id: str) -> None:
    """Schedule a job of ``kind`` for ``at``; a job already scheduled under the id is replaced."""
    add(session, Effect(kind, args, job_id, at=at))


def cancel(session: Session, kind: JobKind, job_id: str) -> None:
    """Take a scheduled job off the schedule (its row says it is no longer owed)."""
    add(session, Effect(kind, (), job_id, cancel=True))


def take(session: Session) -> list[Effect]:
    """The effects recorded so far, removed from the session."""
    return list(session.info.pop(_EFFECTS, {}).values())


def owe_sync(session: Session, incident_id: int) -> None:
    """Show the incident again in Slack once this transaction commits: its card's sync job,
    named by kind, so a service below ``slack`` (plans) owes it the same way."""
    owe(session, SLACK_SYNC, incident_id, job_id=job_ids.slack_sync(incident_id))
