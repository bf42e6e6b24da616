"""Block Kit for plans: the balance line on the card, the estimate sent to a customer's
designated contacts with Approve / Decline, and the no-deposit answer of a per-minute
customer. Customer-safe: balances and estimates, never internal notes."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)
from sqlalchemy.orm import Session

from supportbot.db.models import Incident
from supportbot.plans import ledger
from supportbot.plans.balance import deposit_text
from supportbot.plans.charging import hours_text
from supportbot.runtime import Runtime
from supportbot.wording import inert

ACTION_ESTIMATE_APPROVE = "plan_estimate_approve"
ACTION_ESTIMATE_DECLINE = "plan_estimate_decline"
ACTION_NOTIFY_MANAGER = "plan_notify_manager"


def balance_lines(rt: Runtime, session: Session, incident: Incident) -> list[str]:
    """The incident's customer's plans and what is left of each, now."""
    customer = rt.contracts.by_key(incident.customer) if incident.customer else None
    if customer is None:
        return []
    return [b.text() for b in ledger.balances(session, customer, rt.now())]


def plan_blocks(rt: Runtime, session: Session, incident: Incident) -> list[Block]:
    lines = balance_lines(rt, session, incident)
    if not lines:
        return []
    text = " · ".join(f":receipt: {line}" for line in lines)
    return [ContextBlock(elements=[MarkdownTextObject(text=text)])]


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
