"""A page the per-number throttle holds back, as the incident's thread and the log tell it.

The step that owes a page has already said "paging X by SMS and call"; a page the throttle
holds goes out later (:mod:`.throttle`), so without a word more the thread read as if the
person had been texted or called while the page was still waiting. The hold is said when
it happens, with the instant the page goes, and the sending again once it really went.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot import metrics
from supportbot.db.models import Incident, Page, TimelineEvent
from supportbot.delivery.effects import owe_sync
from supportbot.incidents.timeline import add_event
from supportbot.oncall import lookup
from supportbot.paging.owed import owe_send
from supportbot.paging.throttle import Limits, next_allowed
from supportbot.runtime import Runtime
from supportbot.wording import local_time

log = logging.getLogger(__name__)

HELD = "page_throttled:"  # timeline kind of a hold; the held page's id follows
_WHAT = {"sms": "SMS page to", "voice": "call to"}
_MANY = {"sms": "SMS", "voice": "calls"}


def limits_of(rt: Runtime) -> Limits:
    s = rt.settings
    return Limits(
        min_gap=timedelta(seconds=s.page_min_gap_seconds),
        sms_per_window=s.page_sms_per_15min,
        calls_per_window=s.page_calls_per_15min,
    )


def hold_if_throttled(session: Session, rt: Runtime, page: Page, now: datetime) -> bool:
    """Whether the throttle holds ``page`` back now: then it is owed again for the instant
    it may go, and its thread says so."""
    limits = limits_of(rt)
    sent_times = session.scalars(
        select(Page.sent_at).where(
            Page.to_number == page.to_number,
            Page.channel == page.channel,
            Page.sent_at.is_not(None),
            Page.sent_at > now - limits.window,
        )
    )
    sent = [t for t in sent_times if t is not None]
    allowed = next_allowed(sent, page.channel, now, limits)
    if allowed <= now:
        return False
    page.next_attempt_at, page.updated_at = allowed, now
    owe_send(session, page.id, at=allowed)
    metrics.PAGES.labels(page.channel, "throttled").inc()
    _say_held(session, rt, page, allowed, limits)
    return True


def _say_held(session: Session, rt: Runtime, page: Page, until: datetime, limits: Limits) -> None:
    incident = session.get_one(Incident, page.incident_id)
    zone = lookup.display_zone(rt, session, until, incident.customer)
    gap = int(limits.min_gap.total_seconds())
    window = int(limits.window.total_seconds() // 60)
    cap = f"{limits.cap(page.channel)} {_MANY[page.channel]} in {window} min"
    text = (
        f":hourglass_flowing_sand: {incident.key}: the {_WHAT[page.channel]} {page.person} "
        f"is held by the per-number throttle (one every {gap} s, at most {cap}); "
        f"it goes at {local_time(until, zone, seconds=True)}."
    )
    add_event(session, rt, incident, "supportbot", f"{HELD}{page.id}", text)
    owe_sync(session, incident.id)
    log.info("page %s: %s", page.id, text)


def say_sent(session: Session, rt: Runtime, carried: Sequence[Page], at: datetime) -> None:
    """In the thread of each page of ``carried`` (the one sent, then its riders) that the
    throttle held, say that it went, and when."""
    # Only a page whose instant moved can have been held: the common first page costs
    # no query.
    moved = {f"{HELD}{p.id}": p for p in carried if p.next_attempt_at > p.created_at}
    if not moved:
        return
    held = set(
        session.scalars(
            select(TimelineEvent.kind).where(
                TimelineEvent.incident_id.in_({p.incident_id for p in moved.values()}),
                TimelineEvent.kind.in_(moved),
            )
        )
    )
    for kind, page in moved.items():
        if kind in held:
            _say_sent(session, rt, page, at, others=len(carried) - 1)


def _say_sent(session: Session, rt: Runtime, page: Page, at: datetime, *, others: int) -> None:
    incident = session.get_one(Incident, page.incident_id)
    zone = lookup.display_zone(rt, session, at, incident.customer)
    verb = "sent" if page.channel == "sms" else "placed"
    one = "one SMS" if page.channel == "sms" else "one call"
    together = f", in {one} with {others} other page(s)" if others else ""
    dry = " (dry run)" if rt.pager.dry_run else ""
    text = (
        f":pager: {incident.key}: the {_WHAT[page.channel]} {page.person}, held by the "
        f"throttle, was {verb} at {local_time(at, zone, seconds=True)}{together}{dry}."
    )
    add_event(session, rt, incident, "supportbot", "page_sent", text)
    owe_sync(session, incident.id)
    log.info("page %s: %s", page.id, text)
