"""Incident card buttons. Each acks at once, then calls one typed action for the actor.

A refusal (not allowed, already done, a stale card) is answered ephemerally to the person
who pressed, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from handlers._common import actor, runtime
from supportbot.desk import actions
from supportbot.incidents.access import Action, authorise
from supportbot.incidents.find import IncidentError, get_incident
from supportbot.incidents.lifecycle import parse_severity
from supportbot.slack import cards


def _value(action: dict[str, Any]) -> str:
    return str(action.get("value") or "")


def _refuse(respond: Respond, exc: IncidentError) -> None:
    respond(text=f":no_entry: {exc}", response_type="ephemeral", replace_original=False)


def _act(respond: Respond, change: Callable[[], object]) -> None:
    try:
        change()
    except IncidentError as exc:
        _refuse(respond, exc)


def _severity(value: str) -> int:
    try:
        return parse_severity(value)
    except ValueError as exc:
        raise IncidentError(str(exc)) from exc


def acknowledge(ack: Ack, action: dict[str, Any], respond: Respond, context: BoltContext) -> None:
    ack()
    rt, who = runtime(context), actor(context)
    _act(respond, lambda: actions.acknowledge(rt, _value(action), who))


def assign_to_me(ack: Ack, action: dict[str, Any], respond: Respond, context: BoltContext) -> None:
    ack()
    rt, who = runtime(context), actor(context)
    _act(respond, lambda: actions.assign(rt, _value(action), who))


def wait_on_customer(
    ack: Ack, action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    ack()
    rt, who = runtime(context), actor(context)
    _act(respond, lambda: actions.wait_on_customer(rt, _value(action), who))


def set_severity(ack: Ack, action: dict[str, Any], respond: Respond, context: BoltContext) -> None:
    ack()
    rt, who = runtime(context), actor(context)
    # Selects carry no value of their own; the card's actions block id names the incident.
    incident_id = str(action.get("block_id") or "").removeprefix("incident-")
    chosen = str((action.get("selected_option") or {}).get("value") or "")
    _act(respond, lambda: actions.set_severity(rt, incident_id, who, _severity(chosen)))


def confirm_suggestion(
    ack: Ack, action: dict[str, Any], respond: Respond, context: BoltContext
) -> None:
    ack()
    rt, who = runtime(context), actor(context)
    incident_id, _, severity = _value(action).partition(":")
    _act(respond, lambda: actions.set_severity(rt, incident_id, who, _severity(severity)))


def escalate(ack: Ack, action: dict[str, Any], respond: Respond, context: BoltContext) -> None:
    ack()
    rt, who = runtime(context), actor(context)
    incident_id, _, seen = _value(action).partition(":")
    _act(respond, lambda: actions.escalate(rt, incident_id, who, seen_level=seen or None))


def resolve(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: Respond,
    client: WebClient,
    context: BoltContext,
) -> None:
    """Resolve asks for a summary first: open the modal, if this person may resolve."""
    ack()
    rt, who = runtime(context), actor(context)
    try:
        with rt.session() as session:
            incident = get_incident(session, _value(action))
            authorise(who, incident, Action.RESOLVE)
            view = cards.resolve_modal(incident)
    except IncidentError as exc:
        _refuse(respond, exc)
        return
    client.views_open(trigger_id=body["trigger_id"], view=view)
