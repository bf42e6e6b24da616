"""The pages of a period, read once, and each person's zone from the rotation files."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot.db.models import Escalation, Page
from supportbot.oncall.model import Rotation
from supportbot.reports.utilisation import PageRecord


def load_pages(session: Session, bounds: tuple[datetime, datetime]) -> list[PageRecord]:
    """Pages sent in ``bounds``; a page carried in another's bundle is not a page of its own."""
    query = (
        select(Page.person, Page.incident_id, Escalation.region, Page.sent_at)
        .outerjoin(Escalation, Escalation.id == Page.escalation_id)
        .where(
            Page.sent_at.is_not(None),
            Page.sent_at >= bounds[0],
            Page.sent_at < bounds[1],
            Page.bundled_into.is_(None),
        )
    )
    return [
        PageRecord(person, f"INC-{incident}", region, sent)
        for person, incident, region, sent in session.execute(query)
        if sent is not None
    ]


def zones(rotation: Rotation) -> dict[str, str]:
    """Each person's zone: that of the first region whose rosters name them, else the
    fallback roster's, else none (UTC)."""
    out: dict[str, str] = {}
    for region in rotation.regions:
        for roster in region.rosters.values():
            for person in [*roster.primary, *(roster.secondary or [])]:
                out.setdefault(person, region.time_zone)
    if rotation.fallback is not None:
        for roster in rotation.fallback.rosters.values():
            for person in [*roster.primary, *(roster.secondary or [])]:
                out.setdefault(person, rotation.fallback.time_zone)
    return out
