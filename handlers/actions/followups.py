"""The card's follow-up buttons: *Post customer update* and *Approve RCA* open their forms.

Each acks at once; a refusal (not staff, nothing owed, a stale card) is answered ephemerally
to the person who pressed, and no form opens.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.models.views import View

from handlers._common import actor, open_form, payload, runtime, tell
from handlers.payloads import BlockActions
from supportbot.followups import forms
from supportbot.incidents.access import Actor
from supportbot.incidents.find import IncidentError
from supportbot.runtime import Runtime

Form = Callable[[Runtime, str, Actor], View]


def _open(form: Form, respond: Respond, client: WebClient, context: BoltContext) -> None:
    press = payload(context, BlockActions)
    try:
        if press.trigger_id is None:
            raise IncidentError("Slack sent no trigger id, so the form cannot open")
        view = form(runtime(context), press.action.value or "", actor(context))
    except IncidentError as exc:
        tell(respond, press, f":no_entry: {exc}")
        return
    failed = open_form(client, press.trigger_id, view)
    if failed:
        tell(respond, press, failed)


def customer_update(ack: Ack, respond: Respond, client: WebClient, context: BoltContext) -> None:
    ack()
    _open(forms.update_form, respond, client, context)


def approve_rca(ack: Ack, respond: Respond, client: WebClient, context: BoltContext) -> None:
    ack()
    _open(forms.rca_form, respond, client, context)
