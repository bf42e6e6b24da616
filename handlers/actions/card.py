"""Incident card buttons. Each acks at once, then calls one typed action for the actor.

A refusal (not allowed, already done, a stale card) is answered ephemerally to the person
who pressed, and changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from handlers._common import actor, open_form, payload, runtime
from handlers.payloads import BlockActions
from supportbot.desk import actions
from supportbot.desk.change import refuse_if_finished
from supportbot.desk.escalate_to import escalate_to as escalate_to_choice
from supportbot.incidents.access import Action, authorise
from supportbot.incidents.find import IncidentError, get_incident
from supportbot.incidents.lifecycle import parse_severity
from supportbot.slack import cards

log = logging.getLogger(__name__)


def _press(context: BoltContext) -> BlockActions:
    return payload(context, BlockActions)


def _value(context: BoltContext) -> str:
    return _press(context).action.value or ""


def _refuse(respond: Respond, context: BoltContext, exc: IncidentError) -> None:
    if _press(context).response_url is None:
        # Nowhere to answer (Slack always sends one for a message's buttons): log it.
        log.warning("refused a card action with no response_url: %s", exc)
        return
    respond(text=f":no_entry: {exc}", response_type="ephemeral", replace_original=False)


def _act(respond: Respond, context: BoltContext, change: Callable[[], object]) -> None:
    try:
        change()
    except IncidentError as exc:
        _refuse(respond, context, exc)


def _severity(value: str) -> int:
    try:
        return parse_severity(value)
    except ValueError as exc:
        raise IncidentError(str(exc)) from exc


def acknowledge(ack: Ack, respond: Respond, context: BoltContext) -> None:
    ack()
    rt, who = runtime(context), actor(context)
    _act(respond, context, lambda: actions.acknowledge(rt, _value(context), who))


def assign_to_me(ack: Ack, respond: Respond, context: BoltContext) -> None:
    ack()
    rt, who = runtime(context), actor(context)
    _act(respond, context, lambda: actions.assign(rt, _value(context), who))


def wait_on_customer(ack: Ack, respond: Respond, context: BoltContext) -> None:
    ack()
    rt, who = runtime(context), actor(context)
    _act(respond, context, lambda: actions.wait_on_customer(rt, _value(context), who))


def set_severity(ack: Ack, respond: Respond, context: BoltContext) -> None:
    ack()
    rt, who, pressed = runtime(context), actor(context), _press(context).action
    # Selects carry no value of their own; the card's actions block id names the incident.
    incident_id = (pressed.block_id or "").removeprefix("incident-")
    chosen = pressed.selected_option.value if pressed.selected_option else ""
    _act(respond, context, lambda: actions.set_severity(rt, incident_id, who, _severity(chosen)))


def confirm_suggestion(ack: Ack, respond: Respond, context: BoltContext) -> None:
    ack()
    rt, who = runtime(context), actor(context)
    incident_id, _, severity = _value(context).partition(":")
    _act(respond, context, lambda: actions.set_severity(rt, incident_id, who, _severity(severity)))


def reopen(ack: Ack, respond: Respond, context: BoltContext) -> None:
    """Reopen on a resolved card: as `/incident reopen` without a reason."""
    ack()
    rt, who = runtime(context), actor(context)
    _act(respond, context, lambda: actions.reopen(rt, _value(context), who))


def escalate(ack: Ack, respond: Respond, context: BoltContext) -> None:
    ack()
    rt, who = runtime(context), actor(context)
    incident_id, _, seen = _value(context).partition(":")
    _act(respond, context, lambda: actions.escalate(rt, incident_id, who, seen_level=seen or None))


def resolve(ack: Ack, respond: Respond, client: WebClient, context: BoltContext) -> None:
    """Resolve asks for a summary first: open the modal, if this person may resolve."""
    ack()
    rt, who, press = runtime(context), actor(context), _press(context)
    try:
        if press.trigger_id is None:
            raise IncidentError("Slack sent no trigger id, so the form cannot open")
        with rt.session() as session:
            incident = get_incident(session, _value(context))
            authorise(who, incident, Action.RESOLVE)
            # A stale card: say so now, not after a summary was typed into a form that
            # cannot resolve it.
            refuse_if_finished(incident)
            view = cards.resolve_modal(incident)
    except IncidentError as exc:
        _refuse(respond, context, exc)
        return
    failed = open_form(client, press.trigger_id, view)
    if failed and press.response_url is not None:
        respond(text=failed, response_type="ephemeral", replace_original=False)


def escalate_to(ack: Ack, respond: Respond, context: BoltContext) -> None:
    """*Escalate to…*: a level or a person on call, chosen on the card."""
    ack()
    rt, who, pressed = runtime(context), actor(context), _press(context).action
    incident_id = (pressed.block_id or "").removeprefix("incident-")
    chosen = pressed.selected_option.value if pressed.selected_option else ""
    seen, _, choice = chosen.rpartition(">")
    _act(
        respond,
        context,
        lambda: escalate_to_choice(rt, incident_id, who, choice, seen_level=seen or None),
    )
