"""The outgoing page state machine: pending → sending → sent → delivered, or failed.

Twilio is called outside any transaction, between two short ones: the first claims the row
(``sending``, with a deadline the reconciler enforces), the second records the outcome.
Transient errors retry with backoff (capped at 30 s, or Twilio's ``Retry-After``) until the
page is sent or ``GIVE_UP_AFTER`` has passed, whatever the episode does meanwhile: only an
acknowledgement or the incident's end stops a page (:mod:`supportbot.paging.bundles`). A
permanent failure, or one that outlasts its deadline, is posted in Slack, logged and
counted, an SMS falls back to a call, and the episode moves on rather than waiting.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot import metrics
from supportbot.clients.pager import Callbacks, PermanentSendError, TransientSendError
from supportbot.db.claims import claim
from supportbot.db.models import Escalation, Incident, Page
from supportbot.delivery.effects import owe_sync
from supportbot.delivery.kinds import PAGE_SEND
from supportbot.paging.bundles import bundle, release, riders, stopped
from supportbot.paging.held import hold_if_throttled, say_sent
from supportbot.paging.owed import owe_send, owe_step
from supportbot.runtime import Runtime, get_runtime
from supportbot.slack.notify import warn_triage

log = logging.getLogger(__name__)

# A send takes at most the Twilio client's 10 s timeout; a row left in ``sending`` longer
# belonged to a worker that died, and the reconciler's next pass sends it again.
SENDING_DEADLINE = timedelta(seconds=15)
# Seconds before attempts 2 and 3, then every 30 s: capped so that when Twilio comes back
# the page goes out within half a minute.
BACKOFF = (5, 15, 30)
RETRY_AFTER_CAP = 300.0  # a Retry-After longer than this is not believed
WARN_AFTER = 3  # failed attempts before Slack hears of it and the episode moves on
GIVE_UP_AFTER = timedelta(hours=1)  # a page this old is no use to anyone
FAILED_STATUSES = {"failed", "undelivered", "busy", "no-answer", "canceled"}


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=BACKOFF[min(attempts - 1, len(BACKOFF) - 1)])


def callbacks(rt: Runtime, page: Page) -> Callbacks:
    base = (rt.settings.public_url or f"http://127.0.0.1:{rt.settings.port}").rstrip("/")
    voice = f"{base}/twilio/voice?page={page.id}" if page.channel == "voice" else None
    return Callbacks(status_url=f"{base}/twilio/status", voice_url=voice)


@PAGE_SEND.runs
def page_send(page_id: int) -> str:
    return send(get_runtime(), page_id)


@dataclass(frozen=True)
class Attempt:
    """What one claimed attempt sends, and how to find an earlier one that reached Twilio."""

    to: str
    channel: str
    body: str
    callbacks: Callbacks
    bodies: tuple[str, ...]  # the texts this attempt carries (its own and its riders')
    # Set when an earlier attempt at one of these pages may have reached Twilio without
    # its sid being recorded (a worker killed after Twilio answered, a timeout).
    look_since: datetime | None = None
    look_until: datetime | None = None  # the dead attempt's deadline, when known
    known_sids: frozenset[str] = frozenset()


def send(rt: Runtime, page_id: int) -> str:
    """Claim, throttle, bundle, send, record. Returns the outcome for logs and tests."""
    with rt.session() as session:
        claimed = _claim(session, rt, page_id)
    if isinstance(claimed, str):
        return claimed
    a = claimed
    try:
        sid = _earlier(rt, page_id, a)
        if sid is not None:
            _record_sent(rt, page_id, sid)
            metrics.PAGES.labels(a.channel, "adopted").inc()
            log.warning(
                "page %s: an earlier attempt reached Twilio (%s); not sent again", page_id, sid
            )
            return "adopted"
        if a.channel == "sms":
            sid = rt.pager.send_sms(a.to, a.body, a.callbacks)
        else:
            sid = rt.pager.place_call(a.to, a.callbacks)
    except TransientSendError as exc:
        return _retry_or_fail(rt, page_id, exc)
    except PermanentSendError as exc:
        return _fail(rt, page_id, str(exc))
    _record_sent(rt, page_id, sid)
    log.info("page %s sent by %s to %s (%s)", page_id, a.channel, a.to, sid)
    return "sent"


def _earlier(rt: Runtime, page_id: int, a: Attempt) -> str | None:
    """Before sending again what may already have gone, ask Twilio (messages by recipient
    and time, carrying this attempt's texts and so its ack codes; calls to the number)."""
    if a.look_since is None:
        return None
    try:
        return rt.pager.find_earlier(
            a.channel, a.to, a.look_since, a.look_until, a.bodies, a.known_sids
        )
    except (TransientSendError, PermanentSendError) as exc:
        # Cannot look (Twilio's list down or refused): send all the same. A duplicate page
        # is better than one held back by a broken list while sending works.
        log.warning("page %s: could not look for an earlier attempt: %s", page_id, exc)
        return None


def _record_sent(rt: Runtime, page_id: int, sid: str) -> None:
    with rt.session() as session:
        page = session.get_one(Page, page_id)
        page.state, page.provider_sid = "sent", sid
        page.sent_at = page.updated_at = rt.now()
        page.deadline_at = None
        # A page the throttle held was said to be waiting: say that it went.
        say_sent(session, rt, [page, *riders(session, page)], page.sent_at)
        if page.attempts > WARN_AFTER:
            # Slack was told this page was not getting out: say that it now has.
            incident = session.get_one(Incident, page.incident_id)
            what = "SMS" if page.channel == "sms" else "call"
            text = (
                f":white_check_mark: {incident.key}: {what} page to {page.person} sent at "
                f"last, after {page.attempts} attempts."
            )
            warn_triage(session, rt, incident, "page_sent", text)
            metrics.PAGES.labels(page.channel, "sent_late").inc()
            owe_sync(session, page.incident_id)
        elif rt.pager.dry_run:
            owe_sync(session, page.incident_id)
        channel = page.channel
    metrics.PAGES.labels(channel, "sent").inc()


def _claim(session: Session, rt: Runtime, page_id: int) -> str | Attempt:
    now = rt.now()
    # Claim first: the write starts the transaction (and takes SQLite's writer lock), so
    # two workers never both send one page; every read below sees the latest rows.
    if not claim(session, Page, page_id, "pending", state="sending", updated_at=now):
        return "stale"
    page = session.get_one(Page, page_id, populate_existing=True)
    if stopped(session, page) is not None:
        # Only an acknowledgement (or the incident's end) stops a page; an episode that ran
        # out of steps keeps what it owes going.
        page.state = "cancelled"
        return "cancelled"
    page.state = "pending"  # until every check below has passed
    if page.next_attempt_at > now:  # never early: owed again for its instant
        owe_send(session, page.id, at=page.next_attempt_at)
        return "early"
    if hold_if_throttled(session, rt, page, now):  # owed again then; the thread says so
        return "throttled"
    # Several pages owed to one phone go out as one SMS or one call, so a throttled page is
    # late, never dropped. The row keeps its own text; the bundle's is only sent.
    body = bundle(session, page, now)
    carried = [page, *riders(session, page)]
    look_since, look_until, known = _look_window(session, page, carried)
    page.state, page.attempts = "sending", page.attempts + 1
    page.deadline_at, page.updated_at = now + SENDING_DEADLINE, now
    bodies = tuple(dict.fromkeys(p.body for p in carried))
    cb = callbacks(rt, page)
    return Attempt(page.to_number, page.channel, body, cb, bodies, look_since, look_until, known)


def _look_window(
    session: Session, page: Page, carried: list[Page]
) -> tuple[datetime | None, datetime | None, frozenset[str]]:
    """Whether (since, until) and against which recorded sids to look in Twilio first.

    An attempt that may have reached Twilio left attempts > 0 (or, for a rider, an error
    saying so) and no sid. A row re-driven from ``sending`` keeps its dead attempt's
    deadline: that attempt was claimed SENDING_DEADLINE before it, and Twilio answered it
    by then. Called before this attempt's own deadline is set.
    """
    if not any(p.attempts > 0 or p.last_error is not None for p in carried):
        return None, None, frozenset()
    since, until = min(p.created_at for p in carried), None
    deadlines = [p.deadline_at for p in carried if p.deadline_at is not None]
    if deadlines:
        since, until = max(since, min(deadlines) - SENDING_DEADLINE), max(deadlines)
    known = frozenset(
        sid
        for sid in session.scalars(
            select(Page.provider_sid).where(
                Page.to_number == page.to_number,
                Page.channel == page.channel,
                Page.provider_sid.is_not(None),
                Page.created_at >= since - timedelta(hours=1),
            )
        )
        if sid is not None
    )
    return since, until, known


def retry_delay(attempts: int, retry_after: float | None) -> timedelta:
    """Twilio's ``Retry-After`` when it gave one, else the backoff for this attempt."""
    if retry_after is not None:
        return timedelta(seconds=min(max(retry_after, 1.0), RETRY_AFTER_CAP))
    return backoff(attempts)


def _retry_or_fail(rt: Runtime, page_id: int, error: TransientSendError) -> str:
    """Transient trouble: keep trying until the page is delivered or its deadline passes.

    After ``WARN_AFTER`` failed attempts the trouble is posted in Slack and an active episode
    moves on to its next step (this person cannot be reached now), but the page itself keeps
    retrying, whatever the episode does next, so when Twilio comes back everything owed
    arrives, once. The pages it carried go back to being owed on their own.
    """
    reason = str(error)
    with rt.session() as session:
        page = session.get_one(Page, page_id)
        now = rt.now()
        page.last_error, page.updated_at = reason[:500], now
        if now - page.created_at > GIVE_UP_AFTER:
            release(session, page, now)
            outcome = "give_up"
        else:
            # An attempt that got no answer keeps its window (claim to deadline): the next
            # one looks in Twilio within it first, for a call as for an SMS (_look_window).
            page.state = "pending"
            page.deadline_at = page.deadline_at if error.maybe_sent else None
            page.next_attempt_at = due = now + retry_delay(page.attempts, error.retry_after)
            outcome = "retry"
            owe_send(session, page.id, at=due)
            release(session, page, now, at=due)
            if page.attempts == WARN_AFTER:
                _warn_unsendable(session, rt, page, reason)
                owe_sync(session, page.incident_id)
    if outcome == "give_up":
        return _fail(rt, page_id, f"{reason} (gave up after {GIVE_UP_AFTER})")
    metrics.PAGES.labels("any", "retry").inc()
    log.warning("page %s: %s; retrying at %s", page_id, reason, due.isoformat())
    return "retry"


def _warn_unsendable(session: Session, rt: Runtime, page: Page, reason: str) -> None:
    incident = session.get_one(Incident, page.incident_id)
    what = "SMS" if page.channel == "sms" else "call"
    escalation = session.get(Escalation, page.escalation_id) if page.escalation_id else None
    moving_on = escalation is not None and escalation.state == "active"
    until = (page.created_at + GIVE_UP_AFTER).strftime("%H:%M UTC")
    text = (
        f":warning: {incident.key}: {what} page to {page.person} not sent after "
        f"{page.attempts} attempts ({reason}); still retrying until {until}"
        f"{', and escalating meanwhile' if moving_on else ''}."
    )
    warn_triage(session, rt, incident, "page_failed", text)
    log.error("%s", text)
    metrics.PAGES.labels(page.channel, "unsendable").inc()
    if escalation is not None and moving_on:
        escalation.next_step_at = rt.now()
        owe_step(session, escalation.id, escalation.step_index)


def _fail(rt: Runtime, page_id: int, reason: str) -> str:
    with rt.session() as session:
        page = session.get_one(Page, page_id)
        mark_failed(session, rt, page, reason)
        owe_sync(session, page.incident_id)
    return "failed"


def mark_failed(session: Session, rt: Runtime, page: Page, reason: str) -> None:
    """Record a failure visibly, fall back from SMS to voice, and move the episode on."""
    now = rt.now()
    page.state, page.last_error, page.updated_at = "failed", reason[:500], now
    page.deadline_at = None
    for rider in riders(session, page):
        rider.state, rider.updated_at = "failed", now
    incident = session.get_one(Incident, page.incident_id)
    what = "SMS" if page.channel == "sms" else "call"
    text = f":x: {incident.key}: {what} page to {page.person} ({page.to_number}) failed: {reason}"
    warn_triage(session, rt, incident, "page_failed", text)
    metrics.PAGES.labels(page.channel, "failed").inc()
    log.error("%s", text)
    if page.channel == "sms":
        _voice_fallback(session, rt, page, now)
    escalation = session.get(Escalation, page.escalation_id) if page.escalation_id else None
    if (
        escalation is not None
        and escalation.state == "active"
        and _person_unreachable(session, page)
    ):
        # Nobody can be reached this way: do not wait out the step's delay.
        escalation.next_step_at = now
        owe_step(session, escalation.id, escalation.step_index)


def _voice_fallback(session: Session, rt: Runtime, page: Page, now: datetime) -> None:
    """Make sure a call reaches the person whose SMS failed (unless one is already out)."""
    calls = list(
        session.scalars(
            select(Page).where(
                Page.incident_id == page.incident_id,
                Page.person == page.person,
                Page.channel == "voice",
                Page.step_index == page.step_index,
            )
        )
    )
    waiting = [c for c in calls if c.state == "pending"]
    if waiting:
        for call in waiting:
            call.next_attempt_at = now
            owe_send(session, call.id)
        return
    if any(c.state in ("sending", "sent", "delivered") for c in calls):
        return
    fallback = Page(
        escalation_id=page.escalation_id,
        incident_id=page.incident_id,
        step_index=page.step_index,
        person=page.person,
        slack_user=page.slack_user,
        to_number=page.to_number,
        channel="voice",
        body=page.body,
        state="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
        fallback_of=page.id,
    )
    session.add(fallback)
    session.flush()
    owe_send(session, fallback.id)


def _person_unreachable(session: Session, page: Page) -> bool:
    states = set(
        session.scalars(
            select(Page.state).where(
                Page.escalation_id == page.escalation_id,
                Page.person == page.person,
                Page.step_index == page.step_index,
            )
        )
    )
    return states <= {"failed", "cancelled", "bundled"}


def on_status(rt: Runtime, sid: str, status: str, error_code: str | None) -> str:
    """A Twilio status callback: delivered, or failed (and then the fallback)."""
    with rt.session() as session:
        page = session.scalar(select(Page).where(Page.provider_sid == sid).with_for_update())
        if page is None:
            return "unknown"
        if page.state in ("delivered", "failed"):
            return "already"
        status = status.lower()
        if status in ("delivered", "completed", "answered", "in-progress"):
            page.state, page.updated_at = "delivered", rt.now()
            outcome = "delivered"
        elif status in FAILED_STATUSES:
            reason = f"Twilio status {status}" + (f" (error {error_code})" if error_code else "")
            if all(stopped(session, p) for p in (page, *riders(session, page))):
                # Nothing it carries is owed any more (the engineer replied to the SMS, then
                # declined the ringing call): recorded, but no failed page in Slack, no
                # fallback call, no failure counted.
                page.state, page.last_error = "failed", reason[:500]
                page.deadline_at, page.updated_at = None, rt.now()
                log.info("page %d failed after it stopped mattering: %s", page.id, reason)
                return "failed_after_stop"
            mark_failed(session, rt, page, reason)
            owe_sync(session, page.incident_id)
            outcome = "failed"
        else:
            return "ignored"  # queued, sent, ringing: progress, not an outcome
    return outcome
