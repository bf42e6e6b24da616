"""Messages in shared (Slack Connect) channels: intake and thread replies.

Slack retries events it thinks were not received; each message is keyed by channel and ts,
so a second delivery opens nothing and offers nothing twice.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import BoltContext

from handlers._common import actor, payload, post_later, runtime
from handlers.payloads import EventCallback, MessageEvent
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


# Subtypes a person's own new message arrives with: a reply also sent to the channel ("Also
# send to #channel"), and a message with a file or screenshot attached. Every other subtype
# (edits, deletions, joins, bots' messages...) is not someone writing to support.
WRITTEN = frozenset({"thread_broadcast", "file_share"})


def on_message(context: BoltContext) -> None:
    # Bolt has already acked; nothing here may be slow, and posts are queued.
    message = payload(context, EventCallback).message()
    if message is None or message.bot_id or not message.user:
        return
    if message.subtype is not None and message.subtype not in WRITTEN:
        return
    handle_message(runtime(context), actor(context), message)


def handle_message(rt: Runtime, who: Actor, message: MessageEvent) -> None:
    channel, ts, text = message.channel, message.ts, message.text or ""
    if message.thread_ts and message.thread_ts != ts:
        receipt = f"msg:{channel}:{ts}"
        actions.thread_reply(rt, channel, message.thread_ts, who, text, receipt=receipt)
        return
    if who.is_staff:
        return
    owner = rt.contracts.by_channel(channel)
    if owner is None:
        _once(rt, message, "chat.postEphemeral", "unlinked", user=who.user_id, text=UNLINKED)
        return
    try:
        may_open_for(who, owner, owner)
    except IncidentError:
        text = NOT_DESIGNATED.format(org=owner.name)
        _once(rt, message, "chat.postEphemeral", "undesignated", user=who.user_id, text=text)
        return
    hint = suggest(rt.triage, text)
    if hint is None or hint.severity != 1:
        offer_text, blocks = offer_blocks(ts, text)
        blocks_json = [b.to_dict() for b in blocks]
        _once(
            rt, message, "chat.postMessage", "offer", thread_ts=ts, text=offer_text,
            blocks=blocks_json,
        )  # fmt: skip
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


def _once(rt: Runtime, message: MessageEvent, method: str, what: str, **post: Any) -> None:
    """Answer a message once, however often Slack delivers it (keyed by channel and ts)."""
    channel, ts = message.channel, message.ts
    if intake.claim_receipt(rt, f"msg:{channel}:{ts}"):
        post_later(rt, method, f"{what}-{channel}-{ts}", channel=channel, **post)
