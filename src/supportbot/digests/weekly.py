"""The weekly digest of headline figures, to the on-call channel (an on-call post row:
once per week by its key, re-driven if lost)."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import func, select

from supportbot.db.models import Incident, OncallPost
from supportbot.digests.schedule import WEEKLY_LATEST, in_window, weekly_due
from supportbot.oncall.posts import add_post
from supportbot.reports.figures import figures
from supportbot.reports.load import load_records
from supportbot.reports.summary import weekly_digest
from supportbot.runtime import Runtime


def redrive(rt: Runtime) -> int:
    """Make last week's digest when it is due and not made yet; returns 1 if it made it."""
    channel = rt.settings.oncall_channel
    if not channel or not rt.settings.scheduled_reports:
        return 0
    now = rt.now()
    period, due = weekly_due(now)
    key = f"digest-{period.label}"
    with rt.session() as session:
        if not in_window(now, due, WEEKLY_LATEST) or session.scalar(
            select(OncallPost.id).where(OncallPost.key == key)
        ):
            return 0
        records = load_records(session, rt.contracts, period)
        open_now = session.scalar(select(func.count()).where(Incident.resolved_at.is_(None)))
        # The week is the UTC week for every incident, so every figure adds up across customers.
        utc = [replace(r, zone="UTC") for r in records]
        title = f"Support digest, week {period.label} (UTC)"
        text = weekly_digest(title, figures(utc, period, now), open_now or 0)
        add_post(session, key=key, channel=channel, text=text, now=now)
    return 1
