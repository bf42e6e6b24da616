"""What counts as progress on an incident, read from its timeline.

An acknowledgement expires after a set time without progress (issue 13). Progress is what a
person does to move the incident on: a status change, an internal note, a staff reply or customer
update, time logged, a handover, the acknowledge code sent again. Pages, SLA reminders and
Slack bookkeeping are not progress.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from supportbot.db.models import TimelineEvent

# "time": time logged (desk.work); "customer_update": a reply posted through the update form,
# which a Severity 1 owes every 30 minutes, as long as its acknowledgement lasts.
# "ack_renewed": the acknowledge code sent again while the incident is still held, which is
# what the reminder's SMS invites; it restarts the acknowledgement like any progress.
ACK_RENEWED = "ack_renewed"
PROGRESS_KINDS = ("note", "staff_reply", "customer_update", "time", "handover", ACK_RENEWED)


def _progress(incident_id: int, since: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        TimelineEvent.incident_id == incident_id,
        TimelineEvent.at >= since,
        or_(TimelineEvent.kind.in_(PROGRESS_KINDS), TimelineEvent.kind.like("status:%")),
    )


def last_progress(session: Session, incident_id: int, since: datetime) -> datetime | None:
    """The latest progress on the incident at or after ``since``, if any."""
    found: datetime | None = session.scalar(
        select(func.max(TimelineEvent.at)).where(*_progress(incident_id, since))
    )
    return found


def progress_count(session: Session, incident_id: int, since: datetime) -> int:
    """How many progress events the incident has at or after ``since``."""
    return int(session.scalar(select(func.count()).where(*_progress(incident_id, since))) or 0)


def no_progress_beyond(incident_id: int, since: datetime, seen: int) -> ColumnElement[bool]:
    """A condition for a claim's UPDATE: the incident still has exactly ``seen`` progress
    events since ``since``. A count, not an instant or an id: a note committed by another
    process after the count was read makes it false, whatever its clock or its id says."""
    counted = select(func.count()).where(*_progress(incident_id, since)).scalar_subquery()
    return counted == seen
