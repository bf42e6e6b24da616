""" "Open a request", offered in a shared channel's thread to a designated contact."""

from __future__ import annotations

from pydantic import ValidationError
from slack_bolt import Ack, BoltContext, Respond

from handlers._common import actor, payload, runtime, tell
from handlers.commands.work import deposit_refusal
from handlers.payloads import BlockActions, Offered
from supportbot.contracts.triage import suggest
from supportbot.desk import intake
from supportbot.incidents.access import may_open_for
from supportbot.incidents.find import IncidentError
from supportbot.incidents.lifecycle import title_from_text


def open_request(ack: Ack, respond: Respond, context: BoltContext) -> None:
    ack()
    rt, who, press = runtime(context), actor(context), payload(context, BlockActions)
    channel = press.channel.id if press.channel else ""
    owner = rt.contracts.by_channel(channel)
    try:
        offered = Offered.model_validate_json(press.action.value or "")
        # The offer belongs to the channel's organisation: only its contacts may take it.
        may_open_for(who, owner, owner)
        if owner is None:
            raise IncidentError("This channel isn't linked to a support contract.")
        refused = deposit_refusal(rt, who, owner)  # a per-minute customer without a deposit
        if refused is not None:
            if press.response_url is not None:
                respond(**refused, replace_original=False)
            return
        incident = intake.open_incident(
            rt,
            title=title_from_text(offered.text),
            description=offered.text,
            severity=hint.severity if (hint := suggest(rt.triage, offered.text)) else 3,
            reporter=who.user_id,
            customer=owner,
            source_channel=channel,
            source_ts=offered.ts,
            receipt=f"offer:{channel}:{offered.ts}",
            via="shared channel",
        )
    except ValidationError:
        tell(respond, press, ":warning: This offer could not be read; please post again.")
        return
    except intake.DuplicateDelivery as dup:
        text = f"A request is already open for this message (INC-{dup.incident_id})."
        tell(respond, press, text)
        return
    except IncidentError as exc:
        tell(respond, press, f":warning: {exc}")
        return
    if press.response_url is not None:
        opened = f"Opened *{incident.key}*. The team will reply in this thread."
        respond(text=opened, replace_original=True)
