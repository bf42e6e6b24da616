"""Modal submissions."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App

from handlers._common import identity_from_body, post_later
from supportbot.desk import actions, intake
from supportbot.incidents.find import IncidentError
from supportbot.incidents.lifecycle import severity_label
from supportbot.runtime import Runtime
from supportbot.slack import cards


def _value(view: dict[str, Any], block: str) -> Any:
    state = view["state"]["values"].get(block, {}).get("value", {})
    if state.get("type") == "static_select":
        return (state.get("selected_option") or {}).get("value")
    return state.get("value")


def register(app: App, rt: Runtime) -> None:
    @app.view(cards.CALLBACK_NEW)
    def submit_new(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        who = identity_from_body(rt, body)
        meta = json.loads(view.get("private_metadata") or "{}")
        customer_key = _value(view, "customer") or "internal"
        customer = None if customer_key == "internal" else rt.contracts.by_key(customer_key)
        if customer_key != "internal" and customer is None:
            ack(
                response_action="errors",
                errors={"customer": f"Unknown customer {customer_key!r}; pick one from the list"},
            )
            return
        source = rt.contracts.by_channel(meta.get("channel") or "")
        if source is not None and customer is not None and customer.key != source.key:
            # Its title would be posted in the other customer's channel.
            ack(
                response_action="errors",
                errors={
                    "customer": f"This comes from {source.name}'s channel; choose "
                    f"{source.name} or Internal"
                },
            )
            return
        if who.actor.customer is not None and (
            customer is None or customer.key != who.actor.customer
        ):
            ack(
                response_action="errors",
                errors={"customer": "You can open requests only for your own organisation"},
            )
            return
        chosen = str(_value(view, "severity") or "")
        severity = int(chosen) if chosen.isdigit() else 0
        try:
            incident = intake.open_incident(
                rt,
                title=_value(view, "title") or "",
                description=_value(view, "description") or "",
                severity=severity,
                reporter=who.actor.user_id,
                customer=customer,
                source_channel=meta.get("channel"),
                source_ts=meta.get("ts"),
                via="form" if not meta.get("ts") else "message shortcut",
                receipt=f"view:{view['id']}",
            )
        except intake.DuplicateDelivery:
            ack()
            return
        except IncidentError as exc:
            ack(response_action="errors", errors={exc.field or "title": str(exc)})
            return
        ack()
        user = who.actor.user_id
        post_later(
            rt,
            "chat.postMessage",
            f"opened-{incident.key}-dm",
            channel=user,
            text=f"Opened *{incident.key}* as {severity_label(incident.severity)}: "
            f"{incident.title}",
        )

    @app.view(cards.CALLBACK_RESOLVE)
    def submit_resolve(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        who = identity_from_body(rt, body)
        try:
            actions.resolve(rt, view["private_metadata"], who.actor, _value(view, "summary") or "")
        except IncidentError as exc:
            ack(response_action="errors", errors={"summary": str(exc)})
            return
        ack()
