"""Post a card, a timeline event or a notification to Slack once, even across a crash mid-post.

A worker killed while Slack holds its reply, or a connection that drops after Slack took the
message, leaves a row that says "not posted" and a message that may be in Slack. Before each
post the row's post is marked in flight in Redis, and the message carries its key as Slack
message metadata. A later attempt that finds the mark still there looks for that key in the
thread (or the DM) before posting again; the mark is cleared once the row says posted.

The mark holds when the attempt began. The look-up walks the channel's history back to that
instant (less a margin for the clocks of this host and Slack), however many messages came
after it: a retry that runs after a backlog (a worker killed during a Monday-morning burst)
still finds the card it made hundreds of cards ago.

Redis only holds the mark: if it is flushed as well, the post is repeated at worst (at least
once), never lost.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Protocol

from redis import Redis
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from supportbot import metrics


class Runtime(Protocol):
    """What posting once needs of the runtime (delivery sits below :mod:`supportbot.runtime`)."""

    @property
    def redis(self) -> Redis: ...

    @property
    def slack(self) -> WebClient: ...


log = logging.getLogger(__name__)

METADATA_TYPE = "supportbot_post"
MARK_SECONDS = 24 * 3600  # longer than any outage the reconciler would re-drive after
_PAGE = 200
# How far before the attempt's start the look-up still reads: the clocks of this host and of
# Slack may disagree by this much.
CLOCK_MARGIN_SECONDS = 600
# Pages of history read at most for one look-up (a mark that does not say when it began, or
# a channel far busier than any backlog): a bound on the calls, at Slack's tier-3 limit.
MAX_PAGES = 25


def _mark(post_key: str) -> str:
    return f"supportbot:slack-post:{post_key}"


def metadata(post_key: str) -> dict[str, Any]:
    return {"event_type": METADATA_TYPE, "event_payload": {"post": post_key}}


def begin(rt: Runtime, post_key: str, channel: str, thread_ts: str | None) -> bool:
    """True if the post should be made now; False if an interrupted attempt already made it."""
    return earlier(rt, post_key, channel, thread_ts) is None


def earlier(rt: Runtime, post_key: str, channel: str, thread_ts: str | None) -> str | None:
    """The ``ts`` of the message an interrupted earlier attempt already posted, or None when
    the post should be made now (the mark is then set: a later attempt looks first)."""
    mark = _mark(post_key)
    if rt.redis.set(mark, f"{time.time():.6f}", nx=True, ex=MARK_SECONDS):
        return None
    # An earlier attempt started and never finished: it may have reached Slack.
    try:
        found, outcome = _in_slack(rt, post_key, channel, thread_ts, _began(rt.redis.get(mark)))
    except SlackApiError as exc:
        # Cannot look (a missing history scope, a channel gone): posting twice beats never.
        log.warning("cannot check Slack for %s (%s); posting it again", post_key,
                    exc.response.get("error"))  # fmt: skip
        found, outcome = None, "unchecked"
    metrics.SLACK_POST_LOOKUPS.labels(outcome).inc()
    if found is not None:
        log.warning(
            "%s was already in Slack from an interrupted attempt; not posted again", post_key
        )
    return found


def post(rt: Runtime, post_key: str, message: dict[str, Any]) -> str:
    """``chat.postMessage`` once per key for a job that records the ``ts`` it gets: returns
    the ``ts`` (of the message an interrupted attempt already made, if one did). The caller
    records it, commits, then calls :func:`done`."""
    channel, thread_ts = str(message["channel"]), message.get("thread_ts")
    found = earlier(rt, post_key, channel, thread_ts)
    if found is not None:
        return found
    try:
        response = rt.slack.api_call(
            "chat.postMessage", json=message | {"metadata": metadata(post_key)}
        )
    except Exception:
        metrics.SLACK_CALLS.labels("chat.postMessage", "error").inc()
        raise  # RQ retries; the retry looks in Slack first
    metrics.SLACK_CALLS.labels("chat.postMessage", "ok").inc()
    return str(response["ts"])


def done(rt: Runtime, *post_keys: str) -> None:
    """The rows now say posted (committed): their marks are no longer needed."""
    rt.redis.delete(*(_mark(key) for key in post_keys))


def _carries(message: dict[str, Any], post_key: str) -> bool:
    meta = message.get("metadata") or {}
    payload = meta.get("event_payload") or {}
    return meta.get("event_type") == METADATA_TYPE and payload.get("post") == post_key


def _began(value: bytes | str | None) -> float | None:
    """When the interrupted attempt began (epoch seconds), or None for a mark that does not
    say (one set before marks held it)."""
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _in_slack(
    rt: Runtime, post_key: str, channel: str, thread_ts: str | None, began: float | None
) -> tuple[str | None, str]:
    """The ``ts`` of the message carrying ``post_key`` if there is one, and the look-up's
    outcome: ``found``, ``absent`` or ``gave_up`` (not within MAX_PAGES of history). Each
    response is iterated page by page: slack_sdk follows Slack's cursors."""
    if thread_ts:  # a thread is read oldest first: walk it to the end
        replies = rt.slack.conversations_replies(
            channel=channel, ts=thread_ts, include_all_metadata=True, limit=_PAGE
        )
        for page in replies:
            found = _carrying(page.get("messages") or [], post_key)
            if found is not None:
                return found, "found"
        return None, "absent"
    if channel[:1] in ("U", "W"):  # a user id: the post went to the app's DM with them
        opened = rt.slack.conversations_open(users=channel)
        channel = (opened.get("channel") or {}).get("id") or channel
    # History is newest first: walk back until the messages are older than the attempt.
    since = None if began is None else began - CLOCK_MARGIN_SECONDS
    history = rt.slack.conversations_history(
        channel=channel, include_all_metadata=True, limit=_PAGE
    )
    for read, page in enumerate(history, start=1):
        messages = page.get("messages") or []
        found = _carrying(messages, post_key)
        if found is not None:
            return found, "found"
        if since is not None and messages and float(messages[-1]["ts"]) < since:
            break  # past the attempt's start: it did not get there
        if read == MAX_PAGES and (page.get("response_metadata") or {}).get("next_cursor"):
            log.warning("%s: not found in the last %d messages of %s", post_key,
                        MAX_PAGES * _PAGE, channel)  # fmt: skip
            return None, "gave_up"
    return None, "absent"


def _carrying(messages: list[dict[str, Any]], post_key: str) -> str | None:
    return next((str(m["ts"]) for m in messages if _carries(m, post_key)), None)
