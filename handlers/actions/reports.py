"""The monthly report's Approve button: staff only, once."""

from __future__ import annotations

from slack_bolt import Ack, BoltContext, Respond

from handlers._common import actor, payload, runtime, tell
from handlers.payloads import BlockActions
from supportbot.digests import monthly
from supportbot.incidents.find import IncidentError


def approve(ack: Ack, respond: Respond, context: BoltContext) -> None:
    ack()
    press = payload(context, BlockActions)
    try:
        said = monthly.approve(runtime(context), actor(context), press.action.value or "")
    except IncidentError as exc:
        said = f":no_entry: {exc}"
    tell(respond, press, said)
