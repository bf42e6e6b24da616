""" "Open a request", offered in a shared channel's thread to a designated contact."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, BoltContext, Respond

from handlers._common import actor, runtime
from supportbot.contracts.triage import suggest
from supportbot.desk import intake
from supportbot.incidents.access import may_open_for
from supportbot.incidents.find import IncidentError
from supportbot.incidents.lifecycle import title_from_text


def _ephemeral(respond: Respond, text: str) -> None:
    respond(text=text, response_type="ephemeral", replace_original=False)


def open_request(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    ack()
    rt, who = runtime(context), actor(context)
    channel = str((body.get("channel") or {}).get("id") or "")
    owner = rt.contracts.by_channel(channel)
    offered = json.loads(action["value"])
    try:
        # The offer belongs to the channel's organisation: only its contacts may take it.
        may_open_for(who, owner, owner)
        if owner is None:
            raise IncidentError("This channel isn't linked to a support contract.")
        incident = intake.open_incident(
            rt,
            title=title_from_text(offered["text"]),
            description=offered["text"],
            severity=hint.severity if (hint := suggest(rt.triage, offered["text"])) else 3,
            reporter=who.user_id,
            customer=owner,
            source_channel=channel,
            source_ts=offered["ts"],
            receipt=f"offer:{channel}:{offered['ts']}",
            via="shared channel",
        )
    except intake.DuplicateDelivery as dup:
        _ephemeral(respond, f"A request is already open for this message (INC-{dup.incident_id}).")
        return
    except IncidentError as exc:
        _ephemeral(respond, f":warning: {exc}")
        return
    respond(
        text=f"Opened *{incident.key}*. The team will reply in this thread.", replace_original=True
    )
