"""The "Open incident" message shortcut: a form prefilled with the quoted message."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from handlers._common import runtime
from supportbot.slack import cards


def register(app: App) -> None:
    app.shortcut(cards.SHORTCUT_OPEN)(open_from_message)


def open_from_message(
    ack: Ack, shortcut: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    rt = runtime(context)
    message = shortcut.get("message") or {}
    channel = (shortcut.get("channel") or {}).get("id", "")
    author = message.get("user", "someone")
    owner = rt.contracts.by_channel(channel)
    quoted = "\n".join(f"> {line}" for line in (message.get("text") or "").splitlines())
    view = cards.new_incident_modal(
        rt.contracts.customers,
        title=(message.get("text") or "").splitlines()[0] if message.get("text") else "",
        description=f"From <@{author}> in <#{channel}>:\n{quoted}",
        private_metadata=json.dumps({"channel": channel, "ts": message.get("ts")}),
        preset_customer=owner.key if owner else None,
    )
    client.views_open(trigger_id=shortcut["trigger_id"], view=view)
