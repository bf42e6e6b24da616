"""Which pending pages are still owed, and how pages to one phone travel together.

Several pages owed to one number go out as one SMS or one call (the call's prompt reads every
page it carries). A bundle lasts for one attempt only: when the attempt does not get through
(Twilio down, a worker killed mid-send), its riders go back to ``pending`` on their own, so
an acknowledgement meanwhile cancels only its own incident's pages and the next attempt
carries whoever is still owed.

Only an acknowledgement of the page's own episode, or its incident's resolution or closure,
stops a page. An episode that ran out of steps (``exhausted``) keeps its owed pages going.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot.db.models import Escalation, Incident, Page
from supportbot.paging.owed import owe_send
from supportbot.paging.sms import MAX_SEGMENTS, segments

FINISHED = ("resolved", "closed")


def stopped(session: Session, page: Page) -> str | None:
    """Why ``page`` is no longer owed (its incident resolved, its episode acknowledged).
    The resolution first: resolving acknowledges the episode too ("via resolution"), and a
    call for a resolved incident must not say it was acknowledged."""
    incident = session.get(Incident, page.incident_id)
    if incident is not None and incident.status in FINISHED:
        return incident.status
    if page.escalation_id is not None:
        escalation = session.get(Escalation, page.escalation_id)
        if escalation is not None and escalation.state == "acknowledged":
            return "acknowledged"
    return None


def bundle(session: Session, page: Page, now: datetime) -> str:
    """Fold every other pending page on this contact method into this one; the text to send.
    An SMS carries as many as fit in ``MAX_SEGMENTS``; the rest stay owed for a later one.

    Rows another worker holds are skipped, never waited for (``SKIP LOCKED`` on PostgreSQL;
    SQLite serialises writers anyway), so two workers bundling pages to one number cannot
    lock each other's rows: the skipped page is sent by the worker holding it.
    """
    candidates = [
        other
        for other in session.scalars(
            select(Page)
            .where(
                Page.to_number == page.to_number,
                Page.channel == page.channel,
                Page.state == "pending",
                Page.id != page.id,
            )
            .order_by(Page.id)
            .with_for_update(skip_locked=True)
        )
        if stopped(session, other) is None
    ]
    bodies = [page.body]
    for other in candidates:
        more = bodies if other.body in bodies else [*bodies, other.body]
        if page.channel == "sms" and segments(_joined(more)) > MAX_SEGMENTS:
            continue  # stays owed on its own: a later SMS carries it, never dropped
        bodies = more
        other.state, other.bundled_into, other.updated_at = "bundled", page.id, now
    return _joined(bodies)


def _joined(bodies: list[str]) -> str:
    if len(bodies) == 1:
        return bodies[0]
    return f"{len(bodies)} pages:\n" + "\n".join(f"- {b}" for b in bodies)


def riders(session: Session, page: Page) -> list[Page]:
    return list(session.scalars(select(Page).where(Page.bundled_into == page.id).order_by(Page.id)))


def release(session: Session, page: Page, now: datetime, at: datetime | None = None) -> int:
    """The attempt carrying ``page``'s riders did not get through: each goes back to being
    owed on its own (``at``, or now), or is cancelled if it was stopped meanwhile."""
    released = 0
    for rider in riders(session, page):
        rider.bundled_into, rider.updated_at = None, now
        if stopped(session, rider) is not None:
            rider.state = "cancelled"
            continue
        rider.state, rider.next_attempt_at = "pending", at or now
        # The attempt may have reached Twilio all the same (a timeout, a killed worker):
        # this says so, and the next attempt carrying the rider looks before sending.
        rider.last_error = f"carried by page {page.id}, whose attempt did not get through"
        rider.deadline_at = page.deadline_at  # that attempt's window, if it died mid-send
        owe_send(session, rider.id, at=at)
        released += 1
    return released
