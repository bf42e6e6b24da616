"""Plan buttons: a designated contact approves or declines an estimate; a per-minute
customer without a deposit asks for their account manager."""

from __future__ import annotations

from slack_bolt import Ack, BoltContext, Respond

from handlers._common import actor, payload, runtime
from handlers.payloads import BlockActions
from supportbot.db.types import row_id
from supportbot.desk import tasks
from supportbot.desk.usage import ask_account_manager
from supportbot.incidents.find import IncidentError


def _answer(respond: Respond, context: BoltContext, text: str) -> None:
    if payload(context, BlockActions).response_url is not None:
        respond(text=text, response_type="ephemeral", replace_original=False)


def _decide(ack: Ack, respond: Respond, context: BoltContext, *, approve: bool) -> None:
    ack()
    rt, who = runtime(context), actor(context)
    estimate_id = row_id(payload(context, BlockActions).action.value or "")
    try:
        if estimate_id is None:
            raise IncidentError("That estimate does not exist")
        done = tasks.decide(rt, estimate_id, who, approve=approve)
    except IncidentError as exc:
        _answer(respond, context, f":no_entry: {exc}")
        return
    _answer(respond, context, done.text)


def approve_estimate(ack: Ack, respond: Respond, context: BoltContext) -> None:
    _decide(ack, respond, context, approve=True)


def decline_estimate(ack: Ack, respond: Respond, context: BoltContext) -> None:
    _decide(ack, respond, context, approve=False)


def notify_manager(ack: Ack, respond: Respond, context: BoltContext) -> None:
    ack()
    rt, who = runtime(context), actor(context)
    key = payload(context, BlockActions).action.value or ""
    try:
        text = ask_account_manager(rt, who, key)
    except IncidentError as exc:
        _answer(respond, context, f":no_entry: {exc}")
        return
    _answer(respond, context, text)
