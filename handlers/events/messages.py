"""Messages in shared (Slack Connect) channels: intake and thread replies.

Slack retries events it thinks were not received; each message is keyed by channel and ts,
so a second delivery opens nothing and offers nothing twice.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from handlers._common import post_later
from supportbot.contracts.triage import suggest
from supportbot.desk import actions, intake
from supportbot.incidents.access import identify
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


def register(app: App, rt: Runtime) -> None:
    @app.event("message")
    def on_message(event: dict[str, Any], body: dict[str, Any]) -> None:
        # Bolt has already acked; nothing here may be slow, and posts are queued.
        if event.get("subtype") or event.get("bot_id") or not event.get("user"):
            return
        handle_message(rt, event, body.get("team_id"))


def handle_message(rt: Runtime, event: dict[str, Any], team_id: str | None) -> None:
    channel, ts, user = event["channel"], event["ts"], event["user"]
    text = event.get("text") or ""
    who = identify(
        rt.contracts, user, channel_id=channel, user_team=event.get("user_team"), home_team=team_id
    )
    thread_ts = event.get("thread_ts")
    if thread_ts and thread_ts != ts:
        actions.thread_reply(rt, channel, thread_ts, who.actor, text, receipt=f"msg:{channel}:{ts}")
        return
    owner = rt.contracts.by_channel(channel)
    if who.actor.is_staff:
        return
    if owner is None:
        if intake.claim_receipt(rt, f"msg:{channel}:{ts}"):
            post_later(
                rt,
                "chat.postEphemeral",
                f"unlinked-{channel}-{ts}",
                channel=channel,
                user=user,
                text=UNLINKED,
            )
        return
    if not who.designated or who.actor.customer != owner.key:
        if intake.claim_receipt(rt, f"msg:{channel}:{ts}"):
            post_later(
                rt,
                "chat.postEphemeral",
                f"undesignated-{channel}-{ts}",
                channel=channel,
                user=user,
                text=NOT_DESIGNATED.format(org=owner.name),
            )
        return
    hint = suggest(rt.triage, text)
    if hint is not None and hint.severity == 1:
        try:
            intake.open_incident(
                rt,
                title=title_from_text(text),
                description=text[:DESCRIPTION_MAX],
                severity=1,
                reporter=user,
                customer=owner,
                source_channel=channel,
                source_ts=ts,
                receipt=f"msg:{channel}:{ts}",
                via="shared channel",
            )
        except intake.DuplicateDelivery:
            return
        return
    if intake.claim_receipt(rt, f"msg:{channel}:{ts}"):
        offer_text, blocks = offer_blocks(ts, text)
        post_later(
            rt,
            "chat.postMessage",
            f"offer-{channel}-{ts}",
            channel=channel,
            thread_ts=ts,
            text=offer_text,
            blocks=[b.to_dict() for b in blocks],
        )
