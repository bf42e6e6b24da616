"""The card's sections as slack_sdk's models drew them before they became plain dicts
(issue 9, P1): frozen copies of ``slack/{clock,attention,alert,followup,plan}_blocks.py`` as
they were, with their queries, for :mod:`.reference_cards`. Keep them as they are."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    InteractiveElement,
    MarkdownTextObject,
    SectionBlock,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from supportbot.db.attention import DeferredPage
from supportbot.db.followups import FollowupTimer, RootCause
from supportbot.db.ledger import LedgerEntry, TaskEstimate
from supportbot.db.models import Alert, Incident, Notification, SlaClock, TimelineEvent
from supportbot.incidents.lifecycle import ACTIVE, LEVEL_NAMES, Status
from supportbot.oncall import lookup
from supportbot.oncall.ack_state import due_of, watch_of
from supportbot.plans import ledger
from supportbot.plans.charging import hours_text
from supportbot.runtime import Runtime
from supportbot.slack.cards import ACTION_ESCALATE
from supportbot.slack.followup_blocks import ACTION_RCA, ACTION_UPDATE
from supportbot.slack.plan_blocks import ACTION_LOG_TIME
from supportbot.wording import inert, local_time, mention, time_left

_STATE = {
    "running": ":hourglass_flowing_sand: running",
    "paused": ":double_vertical_bar: paused",
    "met": ":white_check_mark: met",
    "breached": ":rotating_light: breached",
}


def clock_lines(rt: Runtime, session: Session, incident: Incident, now: datetime) -> list[str]:
    """One line per clock, times in the on-shift region's zone (else the customer's)."""
    clocks = session.scalars(
        select(SlaClock).where(SlaClock.incident_id == incident.id).order_by(SlaClock.kind.desc())
    ).all()
    zone = lookup.display_zone(rt, session, now, incident.customer)
    lines = []
    for clock in clocks:
        state = _STATE.get(clock.state, clock.state)
        if clock.due_at is None:
            lines.append(f"*{clock.kind.title()}*: {state}")
            continue
        due = local_time(clock.due_at, zone)
        if clock.state in ("running", "paused") or (
            clock.state == "breached" and clock.stopped_at is None
        ):
            remaining = time_left(clock.due_at, now)
            remaining = (
                f"overdue by {remaining[1:]}"
                if remaining.startswith("-")
                else (f"{remaining} left")
            )
            lines.append(f"*{clock.kind.title()}*: due {due} · {remaining} · {state}")
        else:
            lines.append(f"*{clock.kind.title()}*: due {due} · {state}")
    return lines


def clock_blocks(rt: Runtime, session: Session, incident: Incident) -> list[Block]:
    lines = clock_lines(rt, session, incident, rt.now())
    if not lines:
        return [
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text="No contract SLA (internal incident)"
                        if incident.customer is None
                        else "SLA clocks are being computed"
                    )
                ]
            )
        ]
    return [ContextBlock(elements=[MarkdownTextObject(text=line) for line in lines])]


def attention_lines(rt: Runtime, session: Session, incident: Incident) -> list[str]:
    return [*_ack_lines(rt, session, incident), *_held_lines(session, incident)]


def _held_lines(session: Session, incident: Incident) -> list[str]:
    """Pages quiet hours or the contract's clock held back or sent elsewhere: which, why."""
    rows = session.scalars(
        select(DeferredPage)
        .where(DeferredPage.incident_id == incident.id)
        .order_by(DeferredPage.id.desc())
        .limit(3)
    ).all()
    lines = []
    for row in reversed(rows):
        kind, _, rest = row.target.partition(":")
        whom = rest.partition(":")[0] if kind == "person" else rest.replace("MGMT", "management")
        if row.state == "pending":
            lines.append(f":zzz: Sev{incident.severity} page to {whom} held: {row.reason}")
        elif row.state == "redirected":
            lines.append(f":zzz: Sev{incident.severity} page to {whom}: {row.reason}")
    return lines


def _ack_lines(rt: Runtime, session: Session, incident: Incident) -> list[str]:
    watch = watch_of(session, incident.id)
    if watch is None:
        return []
    now = rt.now()
    if watch.state == "released" and incident.status == "open" and watch.reason:
        return [f":rewind: Un-acknowledged: {watch.reason}."]
    due = due_of(rt, session, incident, watch)
    if due is None:
        return []
    # The triage channel reads times in the on-shift region's zone, as the SLA clocks do.
    at = local_time(due.at, lookup.display_zone(rt, session, now, incident.customer))
    if due.stage == "remind":
        return [f":hourglass_flowing_sand: Ack by <@{watch.owner}> expires {at} without progress"]
    return [f":hourglass: Ack by <@{watch.owner}> expired; released {at} unless there is progress"]


def attention_blocks(rt: Runtime, session: Session, incident: Incident) -> list[Block]:
    lines = attention_lines(rt, session, incident)
    if not lines:
        return []
    return [ContextBlock(elements=[MarkdownTextObject(text=line) for line in lines])]


SHOWN = 5  # firing alerts listed on the card; the rest are counted


def alert_blocks(session: Session, incident: Incident) -> list[Block]:
    query = (
        select(Alert.status, func.count())
        .where(Alert.incident_id == incident.id)
        .group_by(Alert.status)
    )
    counts = {status: int(n) for status, n in session.execute(query)}
    if not counts:
        return []
    firing, resolved = counts.get("firing", 0), counts.get("resolved", 0)
    rows = session.scalars(
        select(Alert)
        .where(Alert.incident_id == incident.id, Alert.status == "firing")
        .order_by(Alert.severity, Alert.id)
        .limit(SHOWN)
    ).all()
    lines = [f"*Alerts*: {firing} firing, {resolved} resolved"]
    for row in rows:
        links = [f"<{url}|{label}>" for url, label in
                 ((row.generator_url, "source"), (row.runbook_url, "runbook")) if url]  # fmt: skip
        tail = f" ({' · '.join(links)})" if links else ""
        lines.append(f"• Sev{row.severity} {inert(row.summary[:200])}{tail}")
    if firing > SHOWN:
        lines.append(f"… and {firing - SHOWN} more firing")
    text = "\n".join(lines)[:2900]
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text))]
    if not rows and resolved:
        note = ":white_check_mark: Every alert has resolved."
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=note)]))
    return blocks


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


def customer_blocks(rt: Runtime, session: Session, incident: Incident) -> list[Block]:
    """On the customer's card: when the next update is due, in the customer's zone."""
    update = _pending_update(session, incident)
    customer = rt.contracts.by_key(incident.customer) if incident.customer else None
    if update is None or customer is None:
        return []
    due = local_time(update.due_at, ZoneInfo(customer.timezone))
    return [ContextBlock(elements=[MarkdownTextObject(text=f":memo: Next update by *{due}*")])]


def followup_blocks(rt: Runtime, session: Session, incident: Incident) -> list[Block]:
    now = rt.now()
    zone = lookup.display_zone(rt, session, now, incident.customer)
    value = str(incident.id)
    lines: list[str] = []
    buttons: list[InteractiveElement] = []
    update = _pending_update(session, incident)
    if update is not None:
        lines.append(
            f":memo: *Customer update* due {local_time(update.due_at, zone)} "
            f"({time_left(update.due_at, now)})"
        )
        buttons.append(ButtonElement(text="Post customer update", action_id=ACTION_UPDATE,
                                     value=value))  # fmt: skip
    rca = session.scalar(select(RootCause).where(RootCause.incident_id == incident.id))
    if rca is not None and rca.state == "due":
        lines.append(f":clipboard: *RCA* due {local_time(rca.due_at, zone)}")
        buttons.append(ButtonElement(text="Approve RCA", action_id=ACTION_RCA, value=value))
    elif rca is not None:
        lines.append(
            f":clipboard: *RCA* approved by {mention(rca.approved_by or '?')} "
            f"{local_time(rca.approved_at, zone)}, posted to the customer"
        )
    blocks: list[Block] = []
    forecast = _latest_forecast(session, incident)
    if forecast is not None and Status(incident.status) in ACTIVE:
        level = forecast.kind.removeprefix(FORECAST)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=forecast.text[:2900])))
        if level == incident.level and level in LEVEL_NAMES and level != "MGMT":
            buttons.append(
                ButtonElement(
                    text="Escalate now (forecast)",
                    action_id=ACTION_ESCALATE,
                    value=f"{incident.id}:{incident.level}",
                    style="danger",
                )
            )
    if lines:
        blocks.insert(0, ContextBlock(elements=[MarkdownTextObject(text=t) for t in lines]))
    if buttons:
        blocks.append(ActionsBlock(block_id=f"followups-{incident.id}", elements=buttons))
    return blocks


_BUTTONS = {ACTION_UPDATE: "Post customer update", ACTION_RCA: "Approve RCA"}


def note_blocks(note: Notification) -> list[dict[str, Any]] | None:
    """A direct message with its button (a reminder's way to the form), or None: text only."""
    label = _BUTTONS.get(note.button or "")
    if label is None:
        return None
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=note.text[:2900])),
        ActionsBlock(
            block_id=f"note-{note.id}",
            elements=[
                ButtonElement(
                    text=label, action_id=note.button, value=str(note.incident_id), style="primary"
                )
            ],  # fmt: skip
        ),
    ]
    return [b.to_dict() for b in blocks]


def balance_lines(rt: Runtime, session: Session, incident: Incident) -> list[str]:
    """The incident's customer's plans and what is left of each, now."""
    customer = rt.contracts.by_key(incident.customer) if incident.customer else None
    if customer is None:
        return []
    return [b.text() for b in ledger.balances(session, customer, rt.now())]


def plan_blocks(rt: Runtime, session: Session, incident: Incident) -> list[Block]:
    """The internal card's plan section: balances, the task estimates with their answer and
    the time used, and a Log time button while the incident is worked."""
    blocks = customer_plan_blocks(rt, session, incident)
    if not blocks:
        return []
    tasks = task_lines(session, incident)
    if tasks:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text="\n".join(tasks))]))
    if incident.status in {s.value for s in ACTIVE}:
        button = ButtonElement(text="Log time", action_id=ACTION_LOG_TIME, value=str(incident.id))
        blocks.append(ActionsBlock(block_id=f"plan-{incident.id}", elements=[button]))
    return blocks


_ANSWERS = {"pending": "waiting for approval", "approved": "approved", "declined": "declined"}


def customer_plan_blocks(rt: Runtime, session: Session, incident: Incident) -> list[Block]:
    """The customer card's plan line: their balances only (no buttons, no names)."""
    lines = balance_lines(rt, session, incident)
    if not lines:
        return []
    text = " · ".join(f":receipt: {line}" for line in lines)
    return [ContextBlock(elements=[MarkdownTextObject(text=text)])]


def task_lines(session: Session, incident: Incident) -> list[str]:
    estimates = session.scalars(
        select(TaskEstimate)
        .where(TaskEstimate.incident_id == incident.id)
        .order_by(TaskEstimate.id)
    ).all()
    lines = []
    for task in estimates:
        used = session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.quantity), 0)).where(
                LedgerEntry.task_id == task.id
            )
        )
        by = f" by {mention(task.decided_by)}" if task.decided_by else ""
        lines.append(
            f":memo: Estimate {hours_text(task.minutes)}: {_ANSWERS.get(task.state, task.state)}"
            f"{by}; {hours_text(int(used or 0))} used"
        )
    return lines
