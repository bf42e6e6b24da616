"""The CSAT buttons and the comment form: parse, call ``supportbot.csat.answers``, answer."""

from __future__ import annotations

import json

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.models.views import View

from handlers._common import actor, open_form, payload, runtime, tell
from handlers.payloads import BlockActions, ViewSubmission
from supportbot.csat import answers
from supportbot.incidents.find import IncidentError


def rate(ack: Ack, respond: Respond, context: BoltContext) -> None:
    ack()
    press = payload(context, BlockActions)
    try:
        score = answers.rate(runtime(context), actor(context), press.action.value or "")
    except IncidentError as exc:
        tell(respond, press, f":no_entry: {exc}")
        return
    tell(respond, press, f"Thank you for rating us {score}/5.")


def open_comment(ack: Ack, respond: Respond, client: WebClient, context: BoltContext) -> None:
    ack()
    press = payload(context, BlockActions)
    try:
        if press.trigger_id is None:
            raise IncidentError("Slack sent no trigger id, so the form cannot open")
        view = answers.comment_view(runtime(context), actor(context), press.action.value or "")
    except IncidentError as exc:
        tell(respond, press, f":no_entry: {exc}")
        return
    failed = open_form(client, press.trigger_id, View(**view))
    if failed:
        tell(respond, press, failed)


def submit_comment(ack: Ack, context: BoltContext) -> None:
    view = payload(context, ViewSubmission).view
    try:
        meta = json.loads(view.private_metadata or "{}")
        survey = str(meta.get("survey", "")) if isinstance(meta, dict) else ""
    except ValueError:
        survey = ""
    try:
        answers.comment(runtime(context), actor(context), survey, view.value("comment"))
    except IncidentError as exc:
        ack(response_action="errors", errors={"comment": str(exc)})
        return
    ack()
