"""Messages in shared (Slack Connect) channels: intake and thread replies.

Slack retries events it thinks were not received; each message is keyed by channel and ts,
so a second delivery opens nothing and offers nothing twice.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext

from handlers._common import actor, post_later, runtime
from supportbot.contracts.triage import suggest
from supportbot.desk import actions, intake
from supportbot.incidents.access import Actor, may_open_for
from supportbot.incidents.find import IncidentError
from supportbot.incidents.lifecycle import DESCRIPTION_MAX, title_from_text
from supportbot.runtime import Runtime
from supportbot.slack.cards import offer_blocks

NOT_DESIGNATED = (
    "Thanks for reaching out! Support requests for {org} can be opened by its designated "
    "contacts. Please ask one of them to post here, and we'll pick it up right away."
)
UNLINKED = (
    "This channel isn't linked to a support contract yet, so I can't open a request from it. "
    "Please contact your account team."
)


def on_message(event: dict[str, Any], context: BoltContext) -> None:
    # Bolt has already acked; nothing here may be slow, and posts are queued.
    if event.get("subtype") or event.get("bot_id") or not event.get("user"):
        return
    handle_message(runtime(context), actor(context), event)


def handle_message(rt: Runtime, who: Actor, event: dict[str, Any]) -> None:
    channel, ts = event["channel"], event["ts"]
    text = event.get("text") or ""
    thread_ts = event.get("thread_ts")
    if thread_ts and thread_ts != ts:
        actions.thread_reply(rt, channel, thread_ts, who, text, receipt=f"msg:{channel}:{ts}")
        return
    if who.is_staff:
        return
    owner = rt.contracts.by_channel(channel)
    if owner is None:
        _once(rt, event, "chat.postEphemeral", "unlinked", user=who.user_id, text=UNLINKED)
        return
    try:
        may_open_for(who, owner, owner)
    except IncidentError:
        text = NOT_DESIGNATED.format(org=owner.name)
        _once(rt, event, "chat.postEphemeral", "undesignated", user=who.user_id, text=text)
        return
    hint = suggest(rt.triage, text)
    if hint is None or hint.severity != 1:
        offer_text, blocks = offer_blocks(ts, text)
        blocks_json = [b.to_dict() for b in blocks]
        _once(
            rt,
            event,
            "chat.postMessage",
            "offer",
            thread_ts=ts,
            text=offer_text,
            blocks=blocks_json,
        )
        return
    try:
        intake.open_incident(
            rt,
            title=title_from_text(text),
            description=text[:DESCRIPTION_MAX],
            severity=1,
            reporter=who.user_id,
            customer=owner,
            source_channel=channel,
            source_ts=ts,
            receipt=f"msg:{channel}:{ts}",
            via="shared channel",
        )
    except intake.DuplicateDelivery:
        return  # Slack delivered the message again: it is already open


def _once(rt: Runtime, event: dict[str, Any], method: str, what: str, **post: Any) -> None:
    """Answer a message once, however often Slack delivers it (keyed by channel and ts)."""
    channel, ts = event["channel"], event["ts"]
    if intake.claim_receipt(rt, f"msg:{channel}:{ts}"):
        post_later(rt, method, f"{what}-{channel}-{ts}", channel=channel, **post)
