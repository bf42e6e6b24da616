"""``/incident``: open, list, note and reply."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from supportbot.desk import actions, intake
from supportbot.desk.listing import incidents_for
from supportbot.incidents.access import identify
from supportbot.incidents.commands import USAGE, CommandError, parse_incident_command
from supportbot.incidents.find import IncidentError
from supportbot.incidents.lifecycle import severity_label
from supportbot.runtime import Runtime
from supportbot.slack.cards import new_incident_modal

log = logging.getLogger(__name__)


def register(app: App, rt: Runtime) -> None:
    @app.command("/incident")
    def incident_command(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        ack(**answer(rt, command, client))


def answer(rt: Runtime, command: dict[str, Any], client: WebClient) -> dict[str, Any]:
    """Everything here is quick (one transaction); Slack posts are queued by the service."""
    try:
        parsed = parse_incident_command(command.get("text", ""))
    except CommandError as exc:
        return {"text": f":warning: {exc}"}
    channel = command.get("channel_id", "")
    who = identify(rt.contracts, command.get("user_id", ""), channel_id=channel)
    if parsed.kind == "help":
        return {"text": USAGE}
    if parsed.kind == "modal":
        owner = rt.contracts.by_channel(channel)
        view = new_incident_modal(
            rt.contracts.customers,
            private_metadata=json.dumps({"channel": channel}),
            preset_customer=owner.key if owner else None,
        )
        client.views_open(trigger_id=command["trigger_id"], view=view)
        return {}
    try:
        if parsed.kind == "list":
            rows = incidents_for(rt, who.actor)
            if not rows:
                return {"text": "No open incidents."}
            return {
                "text": "\n".join(
                    f"• *{i.key}* {severity_label(i.severity)} · {i.status.replace('_', ' ')} · "
                    f"{i.title}"
                    for i in rows
                )
            }
        if parsed.kind in ("note", "reply"):
            assert parsed.key is not None
            if parsed.kind == "note" and not who.actor.is_staff:
                return {"text": ":no_entry: Internal notes are for the support team."}
            act = actions.note if parsed.kind == "note" else actions.reply
            incident = act(rt, parsed.key, who.actor, parsed.summary)
            return {"text": f"Added to {incident.key}."}
        return _open(rt, command, parsed.severity or 3, parsed.summary, parsed.customer, who)
    except IncidentError as exc:
        return {"text": f":warning: {exc}"}


def _open(
    rt: Runtime,
    command: dict[str, Any],
    severity: int,
    summary: str,
    customer_key: str | None,
    who: Any,
) -> dict[str, Any]:
    channel = command.get("channel_id", "")
    owner = rt.contracts.by_channel(channel)
    if customer_key is not None:
        named = rt.contracts.lookup(customer_key)
        if named is None:
            known = ", ".join(c.key for c in rt.contracts.customers) or "none configured"
            return {
                "text": f":warning: Unknown customer `{customer_key}`. Known customers: {known}."
            }
        if owner is not None and named.key != owner.key:
            return {
                "text": f":warning: This channel belongs to {owner.name}; open "
                f"{named.name}'s incident in their channel or without a channel."
            }
        owner = named
    if who.actor.customer is not None and (owner is None or owner.key != who.actor.customer):
        return {
            "text": ":no_entry: You can open requests only for your own organisation, "
            "in its shared channel."
        }
    incident = intake.open_incident(
        rt,
        title=summary,
        severity=severity,
        reporter=command.get("user_id", ""),
        customer=owner,
        source_channel=channel,
        via="/incident",
    )
    whose = f" for {owner.name}" if owner else ""
    return {
        "response_type": "ephemeral",
        "text": f"Opened *{incident.key}*{whose} as {severity_label(severity)}: {summary}",
    }
