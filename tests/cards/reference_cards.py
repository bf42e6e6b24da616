"""The cards as slack_sdk's models drew them before the cards became plain dicts (issue 9, P1):
the reference the dicts drawn by ``supportbot.slack`` are compared with, byte for byte.

Frozen copies of ``slack/cards.py`` and of the card assembly in ``slack/sync.py`` as they
were; the sections are in :mod:`.reference_sections`. Keep them as they are: they are the
reference, not code to maintain.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    HeaderBlock,
    InteractiveElement,
    MarkdownTextObject,
    Option,
    OptionGroup,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from sqlalchemy.orm import Session

from supportbot.contracts.customers import Customer
from supportbot.db.models import Incident
from supportbot.incidents.lifecycle import (
    LEVEL_NAMES,
    SEVERITY_HELP,
    SEVERITY_NAMES,
    Status,
    severity_label,
)
from supportbot.oncall.choices import Choice, escalation_choices, holders_now
from supportbot.runtime import Runtime
from supportbot.slack.cards import (
    ACTION_ACK,
    ACTION_ASSIGN_ME,
    ACTION_CONFIRM_SUGGESTION,
    ACTION_ESCALATE,
    ACTION_ESCALATE_TO,
    ACTION_REOPEN,
    ACTION_RESOLVE,
    ACTION_SEVERITY,
    ACTION_WAITING,
)
from supportbot.wording import inert, inert_within, mention
from tests.cards import reference_sections as sections

_EMOJI = {
    1: ":red_circle:",
    2: ":large_orange_circle:",
    3: ":large_yellow_circle:",
    4: ":white_circle:",
}


def internal_payload(rt: Runtime, session: Session, incident: Incident) -> tuple[str, list[Any]]:
    """What ``slack.sync._sync`` sent for the triage card."""
    customer = rt.contracts.by_key(incident.customer) if incident.customer else None
    extra = [
        *sections.clock_blocks(rt, session, incident),
        *sections.attention_blocks(rt, session, incident),
        *sections.alert_blocks(session, incident),
    ]
    extra += sections.followup_blocks(rt, session, incident)
    extra += sections.plan_blocks(rt, session, incident)
    choices = escalation_choices(holders_now(rt, session, incident, rt.now()), incident.level)
    text, blocks = internal_card(incident, customer, extra, choices)
    return text, [b.to_dict() for b in blocks]


def customer_payload(rt: Runtime, session: Session, incident: Incident) -> tuple[str, list[Any]]:
    """What ``slack.sync._sync_customer_card`` sent for the customer's card."""
    text, blocks = customer_card(incident, sections.customer_blocks(rt, session, incident))
    blocks += sections.customer_plan_blocks(rt, session, incident)
    return text, [b.to_dict() for b in blocks]


def severity_options() -> list[Option]:
    return [
        Option(
            value=str(s),
            text=f"Sev{s} {SEVERITY_NAMES[s]}",
            description=SEVERITY_HELP[s].split(":", 1)[1].strip()[:75],
        )
        for s in (1, 2, 3, 4)
    ]


def _status_line(incident: Incident) -> str:
    return Status(incident.status).label


def internal_card(
    incident: Incident,
    customer: Customer | None,
    extra: Sequence[Block] = (),
    escalate_to: Sequence[Choice] = (),
) -> tuple[str, list[Block]]:
    who = customer.name if customer else "internal"
    assignee = f"<@{incident.assignee}>" if incident.assignee else "_unassigned_"
    heading = f"{incident.key} {severity_label(incident.severity)}: {incident.title}"
    text = f"{incident.key} {severity_label(incident.severity)}: {inert(incident.title)}"
    fields = [
        MarkdownTextObject(
            text=f"*Severity*\n{_EMOJI[incident.severity]} {severity_label(incident.severity)}"
        ),
        MarkdownTextObject(text=f"*Status*\n{_status_line(incident)}"),
        MarkdownTextObject(text=f"*Customer*\n{who}"),
        MarkdownTextObject(text=f"*Assignee*\n{assignee}"),
        MarkdownTextObject(text=f"*Level*\n{LEVEL_NAMES[incident.level]}"),
        MarkdownTextObject(text=f"*Reporter*\n{mention(incident.reporter)}"),
    ]
    blocks: list[Block] = [
        HeaderBlock(text=PlainTextObject(text=heading[:150])),
        SectionBlock(fields=fields),
    ]
    if incident.description:
        description = inert_within(incident.description, 2900)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=description)))
    blocks.extend(extra)
    active = incident.status not in (Status.RESOLVED.value, Status.CLOSED.value)
    if incident.suggested_severity and active:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=f":bulb: Triage suggests *{severity_label(incident.suggested_severity)}*"
                ),
                accessory=ButtonElement(
                    text="Confirm",
                    action_id=ACTION_CONFIRM_SUGGESTION,
                    value=f"{incident.id}:{incident.suggested_severity}",
                ),
            )
        )
    if active:
        elements = [*_buttons(incident), *_escalate_to(incident, escalate_to)]
        blocks.append(ActionsBlock(block_id=f"incident-{incident.id}", elements=elements))
    else:
        summary = inert_within(incident.resolution_summary or "", 1900, keep_mentions=True)
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f":white_check_mark: {_status_line(incident)}. {summary}"[:2000]
                    )
                ]
            )
        )
        if incident.status == Status.RESOLVED.value:  # the Reopen button (added later)
            reopen = ButtonElement(
                text="Reopen",
                action_id=ACTION_REOPEN,
                value=str(incident.id),
                confirm=ConfirmObject(
                    title="Reopen?",
                    text=f"Reopen {incident.key}? Its resolution clock runs again from where "
                    "it stopped.",
                    confirm="Reopen",
                    deny="Cancel",
                ),
            )
            blocks.append(ActionsBlock(block_id=f"incident-{incident.id}", elements=[reopen]))
    return text, blocks


def _buttons(incident: Incident) -> list[InteractiveElement]:
    value = str(incident.id)
    buttons: list[InteractiveElement] = []
    if incident.status == Status.OPEN.value:
        buttons.append(
            ButtonElement(text="Acknowledge", action_id=ACTION_ACK, value=value, style="primary")
        )
    buttons += [
        ButtonElement(text="Assign to me", action_id=ACTION_ASSIGN_ME, value=value),
        StaticSelectElement(
            placeholder="Severity",
            action_id=ACTION_SEVERITY,
            options=severity_options(),
        ),
    ]
    if incident.level != "MGMT":
        buttons.append(
            ButtonElement(
                text="Escalate",
                action_id=ACTION_ESCALATE,
                value=f"{value}:{incident.level}",
                confirm=ConfirmObject(
                    title="Escalate?",
                    text="Escalate to the next level?",
                    confirm="Escalate",
                    deny="Cancel",
                ),
            )
        )
    if incident.status != Status.WAITING.value and incident.customer:
        buttons.append(
            ButtonElement(text="Waiting on customer", action_id=ACTION_WAITING, value=value)
        )
    buttons.append(
        ButtonElement(text="Resolve", action_id=ACTION_RESOLVE, value=value, style="danger")
    )
    return buttons


def _escalate_to(incident: Incident, choices: Sequence[Choice]) -> list[InteractiveElement]:
    groups: dict[str, list[Option]] = {}
    for choice in choices:
        value = f"{incident.level}>{choice.value}"
        groups.setdefault(choice.group, []).append(Option(value=value, text=choice.label[:75]))
    if not groups:
        return []
    return [
        StaticSelectElement(
            placeholder="Escalate to…",
            action_id=ACTION_ESCALATE_TO,
            option_groups=[OptionGroup(label=g, options=o[:100]) for g, o in groups.items()],
        )
    ]


def customer_card(incident: Incident, extra: Sequence[Block] = ()) -> tuple[str, list[Block]]:
    text = f"{incident.key}: {inert(incident.title)}"
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=f"*{incident.key}* {inert(incident.title)}\n"
                f"{_EMOJI[incident.severity]} {severity_label(incident.severity)} · "
                f"*{_status_line(incident)}*"
            )
        ),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="Updates on this request appear in this thread. Reply here to add details."
                )
            ]
        ),
        *extra,
    ]
    return text, blocks
