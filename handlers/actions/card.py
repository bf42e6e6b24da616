"""Incident card buttons. Each acks at once, then applies the change through the service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from handlers._common import identity_from_body
from supportbot.desk import actions
from supportbot.incidents.access import Action, Actor, authorise
from supportbot.incidents.find import IncidentError, get_incident
from supportbot.incidents.lifecycle import parse_severity
from supportbot.runtime import Runtime
from supportbot.slack import cards

_SIMPLE: dict[str, Callable[[Runtime, str, Actor], object]] = {
    cards.ACTION_ACK: actions.acknowledge,
    cards.ACTION_ASSIGN_ME: actions.assign,
    cards.ACTION_WAITING: actions.wait_on_customer,
}


def register(app: App, rt: Runtime) -> None:
    for action_id, act in _SIMPLE.items():
        app.action(action_id)(_simple(rt, act))

    @app.action(cards.ACTION_SEVERITY)
    def severity(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        incident_id = _incident_from_block(action, body)
        severity = int(action["selected_option"]["value"])
        _apply(
            rt, body, respond, lambda actor: actions.set_severity(rt, incident_id, actor, severity)
        )

    @app.action(cards.ACTION_ESCALATE)
    def escalate(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        incident_id, _, seen_level = action["value"].partition(":")
        _apply(
            rt,
            body,
            respond,
            lambda actor: actions.escalate(rt, incident_id, actor, seen_level=seen_level or None),
        )

    @app.action(cards.ACTION_CONFIRM_SUGGESTION)
    def confirm(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        incident_id, _, severity = action["value"].partition(":")
        _apply(
            rt,
            body,
            respond,
            lambda actor: actions.set_severity(rt, incident_id, actor, int(severity)),
        )

    @app.action(cards.ACTION_RESOLVE)
    def resolve(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        who = identity_from_body(rt, body)
        try:
            with rt.session() as session:
                incident = get_incident(session, action["value"])
                authorise(who.actor, incident, Action.RESOLVE)
                view = cards.resolve_modal(incident)
        except IncidentError as exc:
            respond(text=f":no_entry: {exc}", response_type="ephemeral", replace_original=False)
            return
        client.views_open(trigger_id=body["trigger_id"], view=view)


def _simple(rt: Runtime, act: Callable[[Runtime, str, Actor], object]):  # type: ignore[no-untyped-def]
    def handler(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        _apply(rt, body, respond, lambda actor: act(rt, action["value"], actor))

    handler.__name__ = f"card_{act.__name__}"
    return handler


def _sev(value: str) -> int:
    try:
        return parse_severity(value)
    except ValueError as exc:
        raise IncidentError(str(exc)) from exc


def _incident_from_block(action: dict[str, Any], body: dict[str, Any]) -> str:
    # Selects carry no value of their own; the card's actions block id names the incident.
    return str(action.get("block_id", "")).removeprefix("incident-")


def _apply(
    rt: Runtime, body: dict[str, Any], respond: Respond, act: Callable[[Actor], object]
) -> None:
    who = identity_from_body(rt, body)
    try:
        act(who.actor)
    except IncidentError as exc:
        respond(text=f":no_entry: {exc}", response_type="ephemeral", replace_original=False)
