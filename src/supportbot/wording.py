"""How times read in Slack posts, cards and answers: one wording everywhere."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo


def time_left(due: datetime | None, now: datetime) -> str:
    """``2h05m``, ``45m``, or ``-10m`` when overdue; ``paused`` for a stopped clock."""
    if due is None:
        return "paused"
    seconds = int((due - now).total_seconds())
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{sign}{hours}h{rest // 60:02d}m" if hours else f"{sign}{rest // 60}m"


def local_time(at: datetime | None, zone: ZoneInfo) -> str:
    """``Mon 02 Mar 14:30 CET``; ``paused`` for a clock with no due time."""
    if at is None:
        return "paused"
    return at.astimezone(zone).strftime("%a %d %b %H:%M %Z")
