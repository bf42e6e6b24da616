"""Incident cards in Slack: posted once, updated only when what they show changed, and
posted again when Slack says the card is gone (deleted by hand)."""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from supportbot import metrics
from supportbot.db.models import Incident
from supportbot.delivery import inflight
from supportbot.incidents.timeline import add_event
from supportbot.runtime import Runtime
from supportbot.slack.calls import call

log = logging.getLogger(__name__)

# How long the digest of a card's last update is kept (a card rarely changes after a day).
CARD_DIGEST_SECONDS = 86_400
# Slack's answers to a card's update that say the card can no longer be updated (deleted in
# Slack by hand): it is posted again.
CARD_GONE = frozenset({"message_not_found", "cant_update_message"})


def card_gone(rt: Runtime, session: Session, incident: Incident, which: str, error: str) -> None:
    """A card Slack can no longer update (deleted by hand): logged, counted and said on the
    timeline; the caller forgets its ``ts``, so that it is posted again."""
    log.warning("%s: its %s is gone from Slack (%s); posting it again", incident.key, which, error)
    metrics.SLACK_CARDS_REPOSTED.labels(error).inc()
    text = f":warning: {incident.key}'s {which} was gone from Slack (`{error}`); posted again."
    add_event(session, rt, incident, "supportbot", "card_reposted", text)


def post_card(
    rt: Runtime,
    key: str,
    channel: str,
    thread_ts: str | None,
    text: str,
    payload: list[dict[str, Any]],
) -> tuple[str, str]:
    """Post a card once, even across a worker killed between Slack's reply and the commit
    of its ``ts``: the card an interrupted attempt posted is found and kept, not posted again
    (:mod:`~supportbot.delivery.inflight`). Returns the card's channel and ``ts``."""
    found = inflight.earlier(rt, key, channel, thread_ts)
    if found is not None:
        update_card(rt, channel, found, text, payload)  # it shows what it showed then
        return channel, found
    where = {"thread_ts": thread_ts} if thread_ts else {}
    data = call(rt.slack, "chat.postMessage", channel=channel, text=text, blocks=payload,
                 metadata=inflight.metadata(key), **where)  # fmt: skip
    _remember_card(rt, data["channel"], data["ts"], text, payload)
    return data["channel"], data["ts"]


def update_card(
    rt: Runtime, channel: str, ts: str, text: str, payload: list[dict[str, Any]]
) -> str | None:
    """Update a card in place, unless it already shows exactly this (a sync owed by a change
    that did not alter the card, such as a page going out). The digest of what was last
    shown lives in Redis: losing it costs one identical update, never a missed one.
    Returns Slack's error if the card is gone (:data:`CARD_GONE`), else None."""
    if rt.redis.get(_card_key(channel, ts)) == _digest(text, payload).encode():
        return None
    try:
        call(rt.slack, "chat.update", channel=channel, ts=ts, text=text, blocks=payload)
    except SlackApiError as exc:
        if slack_error(exc) in CARD_GONE:
            return slack_error(exc)
        raise
    _remember_card(rt, channel, ts, text, payload)
    return None


def slack_error(exc: SlackApiError) -> str:
    return str(exc.response.get("error") or "")


def _card_key(channel: str, ts: str) -> str:
    return f"supportbot:card:{channel}:{ts}"


def _digest(text: str, payload: list[dict[str, Any]]) -> str:
    return hashlib.sha256(json.dumps([text, payload], sort_keys=True).encode()).hexdigest()


def _remember_card(
    rt: Runtime, channel: str, ts: str, text: str, payload: list[dict[str, Any]]
) -> None:
    rt.redis.set(_card_key(channel, ts), _digest(text, payload), ex=CARD_DIGEST_SECONDS)
