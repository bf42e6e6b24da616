"""Block Kit for plans: the balance line on the card, the estimate sent to a customer's
designated contacts with Approve / Decline, and the no-deposit answer of a per-minute
customer. Customer-safe: balances and estimates, never internal notes."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from supportbot.db.ledger import LedgerEntry, TaskEstimate
from supportbot.db.models import Incident
from supportbot.incidents.lifecycle import ACTIVE
from supportbot.plans import ledger
from supportbot.plans.balance import deposit_text
from supportbot.plans.charging import hours_text
from supportbot.runtime import Runtime
from supportbot.slack import kit
from supportbot.wording import inert, mention

ACTION_ESTIMATE_APPROVE = "plan_estimate_approve"
ACTION_ESTIMATE_DECLINE = "plan_estimate_decline"
ACTION_NOTIFY_MANAGER = "plan_notify_manager"
ACTION_LOG_TIME = "plan_log_time"
CALLBACK_LOG_TIME = "plan_log_time_form"


def balance_lines(rt: Runtime, session: Session, incident: Incident) -> list[str]:
    """The incident's customer's plans and what is left of each, now."""
    customer = rt.contracts.by_key(incident.customer) if incident.customer else None
    if customer is None:
        return []
    return [b.text() for b in ledger.balances(session, customer, rt.now())]


def plan_blocks(rt: Runtime, session: Session, incident: Incident) -> list[kit.Block]:
    """The internal card's plan section: balances, the task estimates with their answer and
    the time used, and a Log time button while the incident is worked."""
    blocks = customer_plan_blocks(rt, session, incident)
    if not blocks:
        return []
    tasks = task_lines(session, incident)
    if tasks:
        blocks.append(kit.context(["\n".join(tasks)]))
    if incident.status in {s.value for s in ACTIVE}:
        button = kit.button("Log time", action_id=ACTION_LOG_TIME, value=str(incident.id))
        blocks.append(kit.actions([button], block_id=f"plan-{incident.id}"))
    return blocks


_ANSWERS = {"pending": "waiting for approval", "approved": "approved", "declined": "declined"}


def customer_plan_blocks(rt: Runtime, session: Session, incident: Incident) -> list[kit.Block]:
    """The customer card's plan line: their balances only (no buttons, no names)."""
    lines = balance_lines(rt, session, incident)
    if not lines:
        return []
    text = " · ".join(f":receipt: {line}" for line in lines)
    return [kit.context([text])]


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


def log_time_modal(incident: Incident) -> View:
    return View(
        type="modal",
        callback_id=CALLBACK_LOG_TIME,
        private_metadata=str(incident.id),
        title="Log time",
        submit="Log",
        close="Cancel",
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=f"*{incident.key}* {inert(incident.title)}")),
            InputBlock(
                block_id="duration",
                label="Time spent",
                hint="45m, 2h or 2h40m",
                element=PlainTextInputElement(action_id="value", max_length=20),
            ),
            InputBlock(
                block_id="note",
                label="Note",
                optional=True,
                element=PlainTextInputElement(action_id="value", max_length=300),
            ),
        ],
    )


def estimate_request(
    incident: Incident, estimate_id: int, minutes: int, note: str, balance: str
) -> tuple[str, list[Block]]:
    """The message a designated contact gets: the task, its estimate, what is left."""
    what = f" — {inert(note)}" if note else ""
    text = (
        f"Estimate for {incident.key} ({inert(incident.title)}): {hours_text(minutes)} of "
        f"prepaid hours{what}. {balance}"
    )
    value = str(estimate_id)
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=f"*{text}*\nWork starts once you approve.")),
        ActionsBlock(
            block_id=f"estimate-{estimate_id}",
            elements=[
                ButtonElement(
                    text="Approve", action_id=ACTION_ESTIMATE_APPROVE, value=value, style="primary"
                ),
                ButtonElement(text="Decline", action_id=ACTION_ESTIMATE_DECLINE, value=value),
            ],
        ),
    ]
    return text, blocks


def no_deposit(customer_name: str, customer_key: str) -> tuple[str, list[Block]]:
    """A per-minute customer without a deposit: why nothing opened, and a button."""
    text = deposit_text(customer_name)
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=text)),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Notify my account manager",
                    action_id=ACTION_NOTIFY_MANAGER,
                    value=customer_key,
                    style="primary",
                )
            ]
        ),
    ]
    return text, blocks
