"""Modal submissions: the new-incident form and the resolution summary."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext

from handlers._common import actor, payload, post_later, runtime
from handlers.actions import csat
from handlers.payloads import ViewSubmission
from supportbot.csat import blocks as csat_blocks
from supportbot.desk import actions, intake
from supportbot.incidents.access import form_customer, may_open_for
from supportbot.incidents.find import IncidentError
from supportbot.incidents.lifecycle import severity_label
from supportbot.slack import cards
from supportbot.wording import inert


def register(app: App) -> None:
    app.view(cards.CALLBACK_NEW)(submit_new)
    app.view(cards.CALLBACK_RESOLVE)(submit_resolve)
    app.view(csat_blocks.CALLBACK_COMMENT)(csat.submit_comment)


def _field_error(ack: Ack, field: str, message: str) -> None:
    ack(response_action="errors", errors={field: message})


def submit_new(ack: Ack, context: BoltContext) -> None:
    rt, who = runtime(context), actor(context)
    view = payload(context, ViewSubmission).view
    meta = view.metadata()
    chosen = view.value("severity")
    try:
        customer = form_customer(who, rt.contracts, view.value("customer") or "internal")
        may_open_for(who, customer, rt.contracts.by_channel(meta.get("channel") or ""))
        incident = intake.open_incident(
            rt,
            title=view.value("title"),
            description=view.value("description"),
            severity=int(chosen) if chosen in ("1", "2", "3", "4") else 0,
            reporter=who.user_id,
            customer=customer,
            source_channel=meta.get("channel"),
            source_ts=meta.get("ts"),
            via="form" if not meta.get("ts") else "message shortcut",
            receipt=f"view:{view.id}",
        )
    except intake.DuplicateDelivery:
        ack()
        return
    except IncidentError as exc:
        _field_error(ack, exc.field or "title", str(exc))
        return
    ack()
    post_later(
        rt,
        "chat.postMessage",
        f"opened-{incident.key}-dm",
        channel=who.user_id,
        text=f"Opened *{incident.key}* as {severity_label(incident.severity)}: "
        f"{inert(incident.title)}",
    )


def submit_resolve(ack: Ack, context: BoltContext) -> None:
    rt, who = runtime(context), actor(context)
    view = payload(context, ViewSubmission).view
    try:
        actions.resolve(rt, view.private_metadata, who, view.value("summary"))
    except IncidentError as exc:
        _field_error(ack, "summary", str(exc))
        return
    ack()
