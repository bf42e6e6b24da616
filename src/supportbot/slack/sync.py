"""Bring Slack in line with the database for one incident.

Idempotent: it posts the card if it has no ``ts`` yet, otherwise updates it in place, then
posts each timeline event not yet posted, marking it as it goes. Running it twice posts
nothing twice; a post interrupted between Slack and its mark (a worker killed, a reply lost)
is looked for in Slack before it is made again (:mod:`~supportbot.delivery.inflight`).
Internal events go only to the triage thread; customer-visible ones also to the customer's.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import copy_context
from functools import partial
from typing import Any

from redis.lock import Lock
from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot.db.models import Incident, Notification, TimelineEvent
from supportbot.delivery import inflight
from supportbot.delivery.lease import Renewed
from supportbot.runtime import Runtime
from supportbot.slack.calls import HELD, call
from supportbot.slack.card_posts import card_gone, post_card, slack_error, update_card
from supportbot.slack.drawing import customer_payload, internal_payload
from supportbot.slack.followup_blocks import note_blocks
from supportbot.slack.notify import undeliverable

log = logging.getLogger(__name__)

# The per-incident sync lock lives this long and is renewed every RENEW_SECONDS by a thread
# while its sync runs (however long a Slack call hangs), so the lock of a worker killed
# mid-sync (SIGKILL, OOM) frees itself within seconds.
LOCK_SECONDS = 6
RENEW_SECONDS = 2
# How long a sync waits for another worker's sync of the same incident. A dead holder's lock
# is gone by then; a live holder's sync is retried by RQ (1 s, 5 s, …), so a worker is never
# held up for long behind the lock (pages never take it: they run on the urgent queue).
WAIT_SECONDS = LOCK_SECONDS + 1
# Thread posts a pump batch makes side by side (slack_sdk's client is thread-safe).
POSTS_AT_ONCE = 8


def sync_lock(rt: Runtime, incident_id: int) -> Lock:
    return rt.redis.lock(
        f"supportbot:lock:slack-sync:{incident_id}",
        timeout=LOCK_SECONDS,
        blocking_timeout=WAIT_SECONDS,
        # The renewing thread must see the token this thread acquired with (redis-py keeps it
        # thread-local by default, and reacquire() from another thread then fails).
        thread_local=False,
    )


def sync_incident(rt: Runtime, incident_id: int) -> None:
    lock = sync_lock(rt, incident_id)
    if not lock.acquire():
        raise TimeoutError(f"slack sync of INC-{incident_id} is busy in another worker")
    held = Renewed(lock, every=RENEW_SECONDS)
    token = HELD.set(held)
    try:
        _sync(rt, incident_id)
    finally:
        HELD.reset(token)
        held.release()


def _sync(rt: Runtime, incident_id: int) -> None:
    with rt.session() as session:
        incident = session.get(Incident, incident_id)
        if incident is None:
            log.warning("slack_sync: INC-%s no longer exists", incident_id)
            return
        # Each side on its own: one that Slack refuses (the triage channel archived, the bot
        # removed from a customer's channel) held up the others (a customer's reply, a DM).
        # The job still fails after them, with the first refusal, and is retried.
        refused: list[SlackApiError] = []
        for side in (_team_side, _direct_messages, _customer_side):
            try:
                side(rt, session, incident)
            except SlackApiError as exc:
                session.rollback()  # what that side had not committed; the rest goes on
                incident = session.get_one(Incident, incident_id)
                refused.append(exc)
        if refused:
            raise refused[0]


def _team_side(rt: Runtime, session: Session, incident: Incident) -> None:
    # An integration may name its own triage channel (set before the card is posted).
    channel = incident.card_channel or rt.settings.triage_channel
    text, payload = internal_payload(rt, session, incident)
    if incident.card_ts is not None and incident.card_channel:
        gone = update_card(rt, incident.card_channel, incident.card_ts, text, payload)
        if gone is not None:
            card_gone(rt, session, incident, "card", gone)
            incident.card_ts = None
    if incident.card_ts is None and channel:
        key = f"card-{incident.id}-internal"
        incident.card_channel, incident.card_ts = post_card(rt, key, channel, None, text,
                                                             payload)  # fmt: skip
        session.commit()
        inflight.done(rt, key)
    _post_events(rt, session, incident, customer_side=False)


def _direct_messages(rt: Runtime, session: Session, incident: Incident) -> None:
    if _post_notifications(rt, session, incident):
        _post_events(rt, session, incident, customer_side=False)  # what was given up


def _customer_side(rt: Runtime, session: Session, incident: Incident) -> None:
    if incident.customer_channel:
        _sync_customer_card(rt, session, incident)
        _post_events(rt, session, incident, customer_side=True)


def _sync_customer_card(rt: Runtime, session: Session, incident: Incident) -> None:
    channel = incident.customer_channel
    assert channel is not None, "only an incident with a customer channel has a customer card"
    text, payload = customer_payload(rt, session, incident)
    if incident.customer_card_ts is not None:
        gone = update_card(rt, channel, incident.customer_card_ts, text, payload)
        if gone is not None:
            card_gone(rt, session, incident, "customer card", gone)
            incident.customer_card_ts = None
    if incident.customer_card_ts is None:
        # A request raised from a customer's message lives in that message's thread.
        in_thread = (
            incident.source_ts if incident.source_channel == incident.customer_channel else None
        )
        key = f"card-{incident.id}-customer"
        _, ts = post_card(rt, key, channel, in_thread, text, payload)
        incident.customer_card_ts, incident.customer_thread_ts = ts, in_thread or ts
        session.commit()
        inflight.done(rt, key)


def post_threads(rt: Runtime, incident_ids: list[int]) -> int:
    """Post the unposted events of each incident in its triage thread, one message per
    incident (the SLA pump's fast path, right after it commits); returns how many messages.

    An incident whose sync lock another worker holds is passed over: that sync posts them.
    The rows are read in one query and marked posted in one commit: a worker killed between
    a post and that commit leaves the post's in-flight mark, so the post is looked for in
    Slack before it is made again (delivery/inflight). The card, direct messages and the
    customer's side are left to the incident's ordinary sync, owed by the same change.
    """
    with rt.session() as session:
        incidents = {
            i.id: i
            for i in session.scalars(
                select(Incident).where(Incident.id.in_(incident_ids), Incident.card_ts.is_not(None))
            )
        }
        locks = {i: sync_lock(rt, i) for i in sorted(incidents)}
        locks = {i: lock for i, lock in locks.items() if lock.acquire(blocking=False)}
        if not locks:
            return 0
        held = Renewed(*locks.values(), every=RENEW_SECONDS)
        token = HELD.set(held)
        posted: list[str] = []
        try:
            events = session.scalars(
                select(TimelineEvent)
                .where(
                    TimelineEvent.incident_id.in_(locks), TimelineEvent.posted_internal_at.is_(None)
                )
                .order_by(TimelineEvent.id)
            ).all()
            posted += _post_side_by_side(rt, incidents, events)
        finally:
            session.commit()  # what was posted is recorded, even if a later post failed
            if posted:
                inflight.done(rt, *posted)
            HELD.reset(token)
            held.release()
    return len(posted)


def _post_side_by_side(
    rt: Runtime, incidents: dict[int, Incident], events: Sequence[TimelineEvent]
) -> list[str]:
    """Post each incident's groups of events at once, a few at a time (each post mostly
    waits for Slack, ~100 ms in production); mark what was posted, then raise the first
    failure. Returns the in-flight keys of the posts made."""
    by_incident: dict[int, list[TimelineEvent]] = {}
    for event in events:
        by_incident.setdefault(event.incident_id, []).append(event)
    sent: list[tuple[list[TimelineEvent], str, Future[None]]] = []
    with ThreadPoolExecutor(POSTS_AT_ONCE, thread_name_prefix="slack-post") as pool:
        for incident_id, mine in by_incident.items():
            incident = incidents[incident_id]
            for group in _groups(mine):
                key = f"event-{group[0].id}-internal"
                text = "\n".join(event.text for event in group)
                post = partial(_post_once, rt, key, incident.card_channel, incident.card_ts, text)
                context = copy_context()  # the held locks go with each post
                sent.append((group, key, pool.submit(context.run, post)))
    posted: list[str] = []
    failed: list[BaseException] = []
    for group, key, future in sent:
        error = future.exception()
        if error is not None:
            failed.append(error)
            continue
        for event in group:
            event.posted_internal_at = rt.now()
        posted.append(key)
    if failed:
        raise failed[0]
    return posted


# Timeline events that a firing SLA timer writes: those of one incident still unposted side
# by side are posted as one message ("one thread post carrying everything due").
_FIRING_KINDS = ("reminder:", "breach:", "escalated")


def _fired_together(event: TimelineEvent) -> bool:
    return event.actor == "supportbot" and event.kind.startswith(_FIRING_KINDS)


def _groups(events: list[TimelineEvent]) -> list[list[TimelineEvent]]:
    groups: list[list[TimelineEvent]] = []
    for event in events:
        if groups and _fired_together(event) and _fired_together(groups[-1][-1]):
            groups[-1].append(event)
        else:
            groups.append([event])
    return groups


def _post_events(rt: Runtime, session: Session, incident: Incident, *, customer_side: bool) -> None:
    query = select(TimelineEvent).where(TimelineEvent.incident_id == incident.id)
    if customer_side:
        query = query.where(
            TimelineEvent.visibility == "customer", TimelineEvent.posted_customer_at.is_(None)
        )
    else:
        query = query.where(TimelineEvent.posted_internal_at.is_(None))
    for group in _groups(list(session.scalars(query.order_by(TimelineEvent.id)).all())):
        first, text = group[0], "\n".join(event.text for event in group)
        if customer_side:
            if not incident.customer_thread_ts:
                return
            key = f"event-{first.id}-customer"
            if first.kind != "opened":  # the customer card itself says this
                _post_once(rt, key, incident.customer_channel, incident.customer_thread_ts,
                           text)  # fmt: skip
            for event in group:
                event.posted_customer_at = rt.now()
        elif incident.card_ts:
            key = f"event-{first.id}-internal"
            _post_once(rt, key, incident.card_channel, incident.card_ts, text)
            for event in group:
                event.posted_internal_at = rt.now()
        elif not rt.settings.triage_channel:
            for event in group:
                event.posted_internal_at = rt.now()  # nowhere to post; kept in the timeline
            key = None
        else:
            continue
        session.commit()
        if key is not None:
            inflight.done(rt, key)


def _post_notifications(rt: Runtime, session: Session, incident: Incident) -> bool:
    """Direct messages (a user id as the channel opens the app DM) and channel posts.

    A direct message Slack refuses for good (``notify.PERSON_GONE``) is given up: marked, so it
    holds up neither the messages after it nor the customer's side and is not re-driven for
    ever, and said in the triage channel and on the timeline (the warning is posted here
    too). Returns whether one was given up (its timeline event is then owed)."""
    query = (
        select(Notification)
        .where(Notification.incident_id == incident.id, Notification.sent_at.is_(None))
        .order_by(Notification.id)
    )
    gave_up = False
    while pending := session.scalars(query).all():
        for note in pending:
            key = f"note-{note.id}"
            try:
                _post_once(rt, key, note.recipient, None, note.text, note_blocks(note))
            except SlackApiError as exc:
                if not undeliverable(session, rt, incident, note, slack_error(exc)):
                    raise
                gave_up = True
            note.sent_at = rt.now()
            session.commit()
            inflight.done(rt, key)
    return gave_up


def _post_once(
    rt: Runtime,
    key: str,
    channel: str | None,
    thread_ts: str | None,
    text: str,
    blocks: list[dict[str, Any]] | None = None,
) -> None:
    """Post unless an interrupted earlier attempt already did (see delivery/inflight)."""
    if not inflight.begin(rt, key, channel or "", thread_ts):
        return
    where = {"channel": channel} | ({"thread_ts": thread_ts} if thread_ts else {})
    shown = {"blocks": blocks} if blocks else {}
    call(rt.slack, "chat.postMessage", **where, text=text, **shown,
          metadata=inflight.metadata(key))  # fmt: skip
