"""Plan buttons: a designated contact approves or declines an estimate; a per-minute
customer without a deposit asks for their account manager."""

from __future__ import annotations

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from handlers._common import actor, open_form, payload, runtime, tell
from handlers.payloads import BlockActions
from supportbot.db.types import row_id
from supportbot.desk import tasks
from supportbot.desk.usage import ask_account_manager
from supportbot.incidents.access import Action, authorise
from supportbot.incidents.find import IncidentError, get_incident
from supportbot.slack.plan_blocks import log_time_modal


def _answer(respond: Respond, context: BoltContext, text: str) -> None:
    tell(respond, payload(context, BlockActions), text)


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


def log_time(ack: Ack, respond: Respond, client: WebClient, context: BoltContext) -> None:
    """The card's Log time button: the form, if this person may log time on the incident."""
    ack()
    rt, who, press = runtime(context), actor(context), payload(context, BlockActions)
    try:
        if press.trigger_id is None:
            raise IncidentError("Slack sent no trigger id, so the form cannot open")
        with rt.session() as session:
            incident = get_incident(session, press.action.value or "")
            authorise(who, incident, Action.LOG_TIME)
            view = log_time_modal(incident)
    except IncidentError as exc:
        _answer(respond, context, f":no_entry: {exc}")
        return
    failed = open_form(client, press.trigger_id, view)
    if failed:
        _answer(respond, context, failed)
