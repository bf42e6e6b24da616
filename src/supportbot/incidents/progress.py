"""What counts as progress on an incident, read from its timeline.

An acknowledgement expires after a set time without progress (issue 13). Progress is what a
person does to move the incident on: a status change, an internal note, a staff reply, time
logged, a handover. Pages, SLA reminders and Slack bookkeeping are not progress.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from supportbot.db.models import TimelineEvent

PROGRESS_KINDS = ("note", "staff_reply", "time", "handover")  # "time": time logged (desk.work)


def last_progress(session: Session, incident_id: int, since: datetime) -> datetime | None:
    """The latest progress on the incident at or after ``since``, if any."""
    found: datetime | None = session.scalar(
        select(func.max(TimelineEvent.at)).where(
            TimelineEvent.incident_id == incident_id,
            TimelineEvent.at >= since,
            or_(TimelineEvent.kind.in_(PROGRESS_KINDS), TimelineEvent.kind.like("status:%")),
        )
    )
    return found
