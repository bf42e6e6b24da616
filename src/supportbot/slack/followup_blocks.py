"""The follow-ups section of the incident card, and the forms behind its buttons (issue 13).

On the internal card: when the next customer update is due (with *Post customer update*),
the RCA's due date (with *Approve RCA*), and the breach forecast once posted (with one-click
escalation: the card's own Escalate action, carrying the level the forecast was made at).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ContextBlock,
    DividerBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View
from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot.contracts.followups import UPDATE_MAX, WRITTEN_MAX
from supportbot.db.followups import FollowupTimer, RootCause
from supportbot.db.models import Incident, Notification, TimelineEvent
from supportbot.incidents.lifecycle import ACTIVE, LEVEL_NAMES, Status
from supportbot.runtime import Runtime
from supportbot.slack import kit
from supportbot.slack.cards import ACTION_ESCALATE
from supportbot.slack.moment import Moment
from supportbot.wording import inert, local_time, mention, time_left

ACTION_UPDATE = "inc_customer_update"
ACTION_RCA = "inc_rca_approve"
CALLBACK_UPDATE = "incident_customer_update"
CALLBACK_RCA = "incident_rca_approve"
FORECAST = "forecast:"  # timeline kind prefix; the level the forecast was made at follows


def _latest_forecast(session: Session, incident: Incident) -> TimelineEvent | None:
    return session.scalar(
        select(TimelineEvent)
        .where(TimelineEvent.incident_id == incident.id, TimelineEvent.kind.like(f"{FORECAST}%"))
        .order_by(TimelineEvent.id.desc())
        .limit(1)
    )


def _pending_update(session: Session, incident: Incident) -> FollowupTimer | None:
    return session.scalar(
        select(FollowupTimer).where(
            FollowupTimer.incident_id == incident.id,
            FollowupTimer.kind == "update",
            FollowupTimer.state == "pending",
        )
    )


def customer_blocks(rt: Runtime, session: Session, incident: Incident) -> list[kit.Block]:
    """On the customer's card: when the next update is due, in the customer's zone."""
    update = _pending_update(session, incident)
    customer = rt.contracts.by_key(incident.customer) if incident.customer else None
    if update is None or customer is None:
        return []
    due = local_time(update.due_at, ZoneInfo(customer.timezone))
    return [kit.context([f":memo: Next update by *{due}*"])]


def followup_blocks(session: Session, incident: Incident, moment: Moment) -> list[kit.Block]:
    now = moment.now
    value = str(incident.id)
    lines: list[str] = []
    buttons: list[kit.Block] = []
    update = _pending_update(session, incident)
    if update is not None:
        lines.append(
            f":memo: *Customer update* due {local_time(update.due_at, moment.zone)} "
            f"({time_left(update.due_at, now)})"
        )
        buttons.append(kit.button("Post customer update", action_id=ACTION_UPDATE, value=value))
    rca = session.scalar(select(RootCause).where(RootCause.incident_id == incident.id))
    if rca is not None and rca.state == "due":
        lines.append(f":clipboard: *RCA* due {local_time(rca.due_at, moment.zone)}")
        buttons.append(kit.button("Approve RCA", action_id=ACTION_RCA, value=value))
    elif rca is not None and rca.state == "on_hold":
        lines.append(":clipboard: *RCA* on hold while the incident is reopened: due again after "
                     "it is resolved again")  # fmt: skip
    elif rca is not None:
        lines.append(
            f":clipboard: *RCA* approved by {mention(rca.approved_by or '?')} "
            f"{local_time(rca.approved_at, moment.zone)}, posted to the customer"
        )
    blocks: list[kit.Block] = []
    forecast = _latest_forecast(session, incident)
    if forecast is not None and Status(incident.status) in ACTIVE:
        level = forecast.kind.removeprefix(FORECAST)
        blocks.append(kit.section(forecast.text[:2900]))
        if level == incident.level and level in LEVEL_NAMES and level != "MGMT":
            buttons.append(
                kit.button(
                    "Escalate now (forecast)",
                    action_id=ACTION_ESCALATE,
                    value=f"{incident.id}:{incident.level}",
                    style="danger",
                )
            )
    if lines:
        blocks.insert(0, kit.context(lines))
    if buttons:
        blocks.append(kit.actions(buttons, block_id=f"followups-{incident.id}"))
    return blocks


_BUTTONS = {ACTION_UPDATE: "Post customer update", ACTION_RCA: "Approve RCA"}


def note_blocks(note: Notification) -> list[dict[str, Any]] | None:
    """A direct message with its button (a reminder's way to the form), or None: text only."""
    label = _BUTTONS.get(note.button or "")
    if label is None:
        return None
    button = kit.button(label, action_id=note.button or "", value=str(note.incident_id),
                        style="primary")  # fmt: skip
    return [kit.section(note.text[:2900]), kit.actions([button], block_id=f"note-{note.id}")]


def update_modal(incident: Incident) -> View:
    return View(
        type="modal",
        callback_id=CALLBACK_UPDATE,
        private_metadata=str(incident.id),
        title="Customer update",
        submit="Post",
        close="Cancel",
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=f"*{incident.key}* {inert(incident.title)}")),
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text="Posted as you write it to the customer's thread: what is known, "
                        "what is being done, what they should do. No internal details."
                    )
                ]
            ),
            DividerBlock(),
            InputBlock(
                block_id="update",
                label="Update for the customer",
                element=PlainTextInputElement(
                    action_id="value", multiline=True, max_length=UPDATE_MAX
                ),  # fmt: skip
            ),
        ],
    )


def rca_modal(incident: Incident, customer_timeline: list[str]) -> View:
    shown = "\n".join(customer_timeline)[:2900] or "_no customer-visible events_"
    return View(
        type="modal",
        callback_id=CALLBACK_RCA,
        private_metadata=str(incident.id),
        title="Approve the RCA",
        submit="Approve and post",
        close="Cancel",
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=f"*{incident.key}* {inert(incident.title)}")),
            ContextBlock(elements=[MarkdownTextObject(text="The customer sees this timeline:")]),
            SectionBlock(text=MarkdownTextObject(text=shown)),
            DividerBlock(),
            InputBlock(
                block_id="root_cause",
                label="Root cause (customer-safe)",
                element=PlainTextInputElement(
                    action_id="value", multiline=True, max_length=WRITTEN_MAX
                ),  # fmt: skip
            ),
            InputBlock(
                block_id="actions",
                label="Corrective actions",
                optional=True,
                element=PlainTextInputElement(
                    action_id="value", multiline=True, max_length=WRITTEN_MAX
                ),  # fmt: skip
            ),
        ],
    )
