"""Incident card buttons. Each acks at once, then applies the change through the service."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from handlers._common import identity_from_body
from supportbot.incidents import service
from supportbot.runtime import Runtime
from supportbot.slack import cards

_SIMPLE = {
    cards.ACTION_ACK: "acknowledge",
    cards.ACTION_ASSIGN_ME: "assign",
    cards.ACTION_WAITING: "waiting",
}


def register(app: App, rt: Runtime) -> None:
    for action_id, verb in _SIMPLE.items():
        app.action(action_id)(_simple(rt, verb))

    @app.action(cards.ACTION_SEVERITY)
    def severity(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        incident_id = _incident_from_block(action, body)
        _apply(
            rt, body, respond, incident_id, "severity", severity=action["selected_option"]["value"]
        )

    @app.action(cards.ACTION_ESCALATE)
    def escalate(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        incident_id, _, seen_level = action["value"].partition(":")
        _apply(rt, body, respond, incident_id, "escalate", from_level=seen_level or None)

    @app.action(cards.ACTION_CONFIRM_SUGGESTION)
    def confirm(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        incident_id, _, severity = action["value"].partition(":")
        _apply(rt, body, respond, incident_id, "severity", severity=severity)

    @app.action(cards.ACTION_RESOLVE)
    def resolve(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()
        who = identity_from_body(rt, body)
        try:
            with rt.session() as session:
                incident = service.get_incident(session, action["value"])
                service.check_allowed(incident, who.actor, "resolve")
                view = cards.resolve_modal(incident)
        except service.IncidentError as exc:
            respond(text=f":no_entry: {exc}", response_type="ephemeral", replace_original=False)
            return
        client.views_open(trigger_id=body["trigger_id"], view=view)


def _simple(rt: Runtime, verb: str):  # type: ignore[no-untyped-def]
    def handler(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        _apply(rt, body, respond, action["value"], verb)

    handler.__name__ = f"card_{verb}"
    return handler


def _incident_from_block(action: dict[str, Any], body: dict[str, Any]) -> str:
    # Selects carry no value of their own; the card's actions block id names the incident.
    return str(action.get("block_id", "")).removeprefix("incident-")


def _apply(
    rt: Runtime, body: dict[str, Any], respond: Respond, incident_id: str, verb: str, **args: object
) -> None:
    who = identity_from_body(rt, body)
    try:
        service.change(rt, incident_id, who.actor, verb, **args)
    except service.IncidentError as exc:
        respond(text=f":no_entry: {exc}", response_type="ephemeral", replace_original=False)
