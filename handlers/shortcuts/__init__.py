"""The "Open incident" message shortcut: a form prefilled with the quoted message."""

from __future__ import annotations

import json
import logging

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from handlers._common import actor, open_form, payload, runtime
from handlers.payloads import MessageShortcut
from supportbot.incidents.access import form_customers
from supportbot.incidents.find import IncidentError
from supportbot.slack import cards

log = logging.getLogger(__name__)


def register(app: App) -> None:
    app.shortcut(cards.SHORTCUT_OPEN)(open_from_message)


def open_from_message(ack: Ack, respond: Respond, client: WebClient, context: BoltContext) -> None:
    ack()
    rt, who, shortcut = runtime(context), actor(context), payload(context, MessageShortcut)
    try:
        offered = form_customers(who, rt.contracts.customers)
    except IncidentError as exc:
        if shortcut.response_url is None:
            log.warning("refused a message shortcut with no response_url: %s", exc)
            return
        respond(text=f":no_entry: {exc}", response_type="ephemeral", replace_original=False)
        return
    message, channel = shortcut.message, shortcut.channel.id
    owner = rt.contracts.by_channel(channel)
    quoted = "\n".join(f"> {line}" for line in message.text.splitlines())
    view = cards.new_incident_modal(
        offered,
        title=message.text.splitlines()[0] if message.text.strip() else "",
        description=f"From <@{message.user or 'someone'}> in <#{channel}>:\n{quoted}",
        private_metadata=json.dumps({"channel": channel, "ts": message.ts}),
        preset_customer=owner.key if owner else None,
        internal=who.is_staff,
    )
    failed = open_form(client, shortcut.trigger_id, view)
    if failed and shortcut.response_url is not None:
        respond(text=failed, response_type="ephemeral", replace_original=False)
