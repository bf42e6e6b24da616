""" "Open a request", offered in a shared channel's thread to a designated contact."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App, Respond

from handlers._common import identity_from_body
from supportbot.contracts.triage import suggest
from supportbot.desk import intake
from supportbot.incidents.find import IncidentError
from supportbot.incidents.lifecycle import title_from_text
from supportbot.runtime import Runtime
from supportbot.slack import cards


def register(app: App, rt: Runtime) -> None:
    @app.action(cards.ACTION_OPEN_REQUEST)
    def open_request(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        ack()
        who = identity_from_body(rt, body)
        channel = (body.get("channel") or {}).get("id", "")
        owner = rt.contracts.by_channel(channel)
        if owner is None or not who.designated or who.actor.customer != owner.key:
            respond(
                text="Only this organisation's designated contacts can open requests. "
                "Please ask one of them, or reply here and we will follow up.",
                response_type="ephemeral",
                replace_original=False,
            )
            return
        offered = json.loads(action["value"])
        hint = suggest(rt.triage, offered["text"])
        try:
            incident = intake.open_incident(
                rt,
                title=title_from_text(offered["text"]),
                description=offered["text"],
                severity=hint.severity if hint else 3,
                reporter=who.actor.user_id,
                customer=owner,
                source_channel=channel,
                source_ts=offered["ts"],
                receipt=f"offer:{channel}:{offered['ts']}",
                via="shared channel",
            )
        except intake.DuplicateDelivery as dup:
            respond(
                text=f"A request is already open for this message (INC-{dup.incident_id}).",
                response_type="ephemeral",
                replace_original=False,
            )
            return
        except IncidentError as exc:
            respond(text=f":warning: {exc}", response_type="ephemeral", replace_original=False)
            return
        respond(
            text=f"Opened *{incident.key}*. The team will reply in this thread.",
            replace_original=True,
        )
