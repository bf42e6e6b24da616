"""Modal submissions: the new-incident form and the resolution summary."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext

from handlers._common import actor, payload, post_later, runtime
from handlers.actions import csat
from handlers.payloads import ViewSubmission
from handlers.views import followups
from supportbot.csat import blocks as csat_blocks
from supportbot.desk import actions, intake, usage, work
from supportbot.incidents.access import form_customer, may_open_for
from supportbot.incidents.find import IncidentError
from supportbot.incidents.lifecycle import severity_label
from supportbot.plans.charging import DurationError, parse_minutes
from supportbot.slack import cards, followup_blocks, plan_blocks
from supportbot.wording import inert


def register(app: App) -> None:
    app.view(cards.CALLBACK_NEW)(submit_new)
    app.view(cards.CALLBACK_RESOLVE)(submit_resolve)
    app.view(followup_blocks.CALLBACK_UPDATE)(followups.submit_update)
    app.view(followup_blocks.CALLBACK_RCA)(followups.submit_rca)
    app.view(plan_blocks.CALLBACK_LOG_TIME)(submit_log_time)
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
        usage.check_deposit(rt, who, customer)  # a per-minute customer without a deposit
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
        actions.resolve(
            rt, view.private_metadata, who, view.value("summary"), receipt=f"view:{view.id}"
        )
    except IncidentError as exc:
        _field_error(ack, "summary", str(exc))
        return
    ack()


def submit_log_time(ack: Ack, context: BoltContext) -> None:
    """The Log time form: the duration is checked like ``/incident time``; the person who
    logged hears what it did (and the balance) by direct message."""
    rt, who = runtime(context), actor(context)
    view = payload(context, ViewSubmission).view
    try:
        minutes = parse_minutes(view.value("duration"))
    except DurationError as exc:
        _field_error(ack, "duration", str(exc))
        return
    try:
        done = work.log_time(
            rt, view.private_metadata, who, minutes, view.value("note"), receipt=f"view:{view.id}"
        )
    except IncidentError as exc:
        _field_error(ack, "duration", str(exc))
        return
    ack()
    if done.incident is None:
        return  # the same form delivered again: logged and answered the first time
    post_later(rt, "chat.postMessage", f"logged-{done.incident.key}-{view.id}",
               channel=who.user_id, text=done.text)  # fmt: skip
