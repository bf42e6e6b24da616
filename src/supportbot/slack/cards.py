"""Block Kit for incident cards and modals.

Two renderings of one incident: the internal card (buttons, assignee, triage hints) and the
customer card, which shows only what is safe to show outside the company. Cards are drawn on
every sync, as plain dicts (:mod:`.kit`); modals and the offer message use slack_sdk's models.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from supportbot.contracts.customers import Customer
from supportbot.db.models import Incident
from supportbot.incidents.lifecycle import (
    DESCRIPTION_MAX,
    LEVEL_NAMES,
    SEVERITY_HELP,
    SEVERITY_NAMES,
    TITLE_MAX,
    Status,
    severity_label,
)
from supportbot.oncall.choices import Choice
from supportbot.slack import kit
from supportbot.wording import inert, inert_within, mention, undirected

ACTION_ACK = "inc_ack"
ACTION_ASSIGN_ME = "inc_assign_me"
ACTION_SEVERITY = "inc_severity"
ACTION_CONFIRM_SUGGESTION = "inc_confirm_suggestion"
ACTION_ESCALATE = "inc_escalate"
ACTION_ESCALATE_TO = "inc_escalate_to"  # a chosen level or person on call (issue 13)
ACTION_WAITING = "inc_waiting"
ACTION_RESOLVE = "inc_resolve"
ACTION_REOPEN = "inc_reopen"  # on a resolved card: the way back, as `/incident reopen`
ACTION_OPEN_REQUEST = "inc_open_request"
CALLBACK_NEW = "incident_new"
CALLBACK_RESOLVE = "incident_resolve"
SHORTCUT_OPEN = "open_incident"

_EMOJI = {
    1: ":red_circle:",
    2: ":large_orange_circle:",
    3: ":large_yellow_circle:",
    4: ":white_circle:",
}


def _severity_choices() -> list[tuple[str, str, str]]:
    """Each severity's value, label and description (at most 75 characters, Slack's limit)."""
    return [
        (str(s), f"Sev{s} {SEVERITY_NAMES[s]}", SEVERITY_HELP[s].split(":", 1)[1].strip()[:75])
        for s in (1, 2, 3, 4)
    ]


def severity_options() -> list[Option]:
    """For the new-incident modal (a model, as modals are)."""
    return [Option(value=v, text=t, description=d) for v, t, d in _severity_choices()]


def _severity_select() -> kit.Block:
    options = [kit.option(v, t, d) for v, t, d in _severity_choices()]
    return kit.static_select("Severity", action_id=ACTION_SEVERITY, options=options)


def _status_line(incident: Incident) -> str:
    return Status(incident.status).label


def internal_card(
    incident: Incident,
    customer: Customer | None,
    extra: Sequence[kit.Block] = (),
    escalate_to: Sequence[Choice] = (),
) -> tuple[str, list[kit.Block]]:
    """The triage-channel card; ``extra`` carries sections added by later layers (SLA clocks)."""
    who = customer.name if customer else "internal"
    assignee = f"<@{incident.assignee}>" if incident.assignee else "_unassigned_"
    heading = f"{incident.key} {severity_label(incident.severity)}: {undirected(incident.title)}"
    text = f"{incident.key} {severity_label(incident.severity)}: {inert(incident.title)}"
    fields = [
        f"*Severity*\n{_EMOJI[incident.severity]} {severity_label(incident.severity)}",
        f"*Status*\n{_status_line(incident)}",
        f"*Customer*\n{who}",
        f"*Assignee*\n{assignee}",
        f"*Level*\n{LEVEL_NAMES[incident.level]}",
        f"*Reporter*\n{mention(incident.reporter)}",
    ]
    blocks = [
        kit.header(heading[:150]),  # plain text: shown as typed
        kit.section(fields=fields),
    ]
    if incident.description:
        blocks.append(kit.section(inert_within(incident.description, 2900)))
    blocks.extend(extra)
    active = incident.status not in (Status.RESOLVED.value, Status.CLOSED.value)
    if incident.suggested_severity and active:
        suggested = severity_label(incident.suggested_severity)
        confirm = kit.button("Confirm", action_id=ACTION_CONFIRM_SUGGESTION,
                             value=f"{incident.id}:{incident.suggested_severity}")  # fmt: skip
        blocks.append(kit.section(f":bulb: Triage suggests *{suggested}*", accessory=confirm))
    if active:
        elements = [*_buttons(incident), *_escalate_to(incident, escalate_to)]
        blocks.append(kit.actions(elements, block_id=f"incident-{incident.id}"))
    else:
        summary = inert_within(incident.resolution_summary or "", 1900, keep_mentions=True)
        blocks.append(
            kit.context([f":white_check_mark: {_status_line(incident)}. {summary}"[:2000]])
        )
        if incident.status == Status.RESOLVED.value:  # a closed incident is final
            blocks.append(kit.actions([_reopen(incident)], block_id=f"incident-{incident.id}"))
    return text, blocks


def _reopen(incident: Incident) -> kit.Block:
    return kit.button(
        "Reopen",
        action_id=ACTION_REOPEN,
        value=str(incident.id),
        confirm=kit.confirm(
            title="Reopen?",
            text=f"Reopen {incident.key}? Its resolution clock runs again from where it stopped.",
            confirm="Reopen",
            deny="Cancel",
        ),
    )


def _buttons(incident: Incident) -> list[kit.Block]:
    value = str(incident.id)
    buttons: list[kit.Block] = []
    if incident.status == Status.OPEN.value:
        buttons.append(
            kit.button("Acknowledge", action_id=ACTION_ACK, value=value, style="primary")
        )
    buttons += [
        kit.button("Assign to me", action_id=ACTION_ASSIGN_ME, value=value),
        _severity_select(),
    ]
    if incident.level != "MGMT":
        buttons.append(
            kit.button(
                "Escalate",
                action_id=ACTION_ESCALATE,
                # The level the presser saw: of two presses on one card, only one escalates.
                value=f"{value}:{incident.level}",
                confirm=kit.confirm(
                    title="Escalate?",
                    text="Escalate to the next level?",
                    confirm="Escalate",
                    deny="Cancel",
                ),
            )
        )
    if incident.status != Status.WAITING.value and incident.customer:
        buttons.append(kit.button("Waiting on customer", action_id=ACTION_WAITING, value=value))
    buttons.append(kit.button("Resolve", action_id=ACTION_RESOLVE, value=value, style="danger"))
    return buttons


def _escalate_to(incident: Incident, choices: Sequence[Choice]) -> list[kit.Block]:
    """*Escalate to…*: each option carries the level the presser saw, so a choice made on a
    card older than the incident's last escalation is refused rather than applied twice."""
    groups: dict[str, list[kit.Block]] = {}
    for choice in choices:
        value = f"{incident.level}>{choice.value}"
        groups.setdefault(choice.group, []).append(kit.option(value, choice.label[:75]))
    if not groups:
        return []
    option_groups = [kit.option_group(g, o[:100]) for g, o in groups.items()]
    return [kit.static_select("Escalate to…", action_id=ACTION_ESCALATE_TO,
                              option_groups=option_groups)]  # fmt: skip


def customer_card(
    incident: Incident, extra: Sequence[kit.Block] = ()
) -> tuple[str, list[kit.Block]]:
    """What the customer sees: id, title, severity and status. No assignee, level or notes.
    ``extra``: customer-safe lines added by later layers (when the next update is due)."""
    text = f"{incident.key}: {inert(incident.title)}"
    blocks = [
        kit.section(
            f"*{incident.key}* {inert(incident.title)}\n"
            f"{_EMOJI[incident.severity]} {severity_label(incident.severity)} · "
            f"*{_status_line(incident)}*"
        ),
        kit.context(["Updates on this request appear in this thread. Reply here to add details."]),
        *extra,
    ]
    return text, blocks


BUTTON_VALUE_MAX = 2000  # Slack's limit on a button's value


def offer_value(message_ts: str, message_text: str) -> str:
    """The offer button carries the message it offers for, trimmed to fit Slack's limit."""
    cut = len(message_text)
    while True:
        value = json.dumps({"ts": message_ts, "text": message_text[:cut]}, ensure_ascii=False)
        if len(value) <= BUTTON_VALUE_MAX:
            return value
        # Escaped quotes and newlines make the JSON longer than the text; shrink in proportion.
        cut = max(0, min(cut - 1, cut * BUTTON_VALUE_MAX // len(value) - 1))


def offer_blocks(message_ts: str, message_text: str) -> tuple[str, list[Block]]:
    text = "Would you like to open a support request for this?"
    return text, [
        SectionBlock(text=MarkdownTextObject(text=text)),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Open a request",
                    action_id=ACTION_OPEN_REQUEST,
                    value=offer_value(message_ts, message_text),
                    style="primary",
                )
            ]
        ),
    ]


def new_incident_modal(
    customers: Sequence[Customer],
    *,
    title: str = "",
    description: str = "",
    private_metadata: str = "",
    preset_customer: str | None = None,
    internal: bool = True,
) -> View:
    """``customers``: only those the person may open for; ``internal``: offer no customer."""
    customer_options = [Option(value="internal", text="Internal (no customer)")] if internal else []
    customer_options += [Option(value=c.key, text=c.name[:75]) for c in customers[:99]]
    preset = next((o for o in customer_options if o.value == preset_customer), customer_options[0])
    return View(
        type="modal",
        callback_id=CALLBACK_NEW,
        private_metadata=private_metadata,
        title="Open an incident",
        submit="Open",
        close="Cancel",
        blocks=[
            InputBlock(
                block_id="title",
                label="Title",
                element=PlainTextInputElement(
                    action_id="value", initial_value=title[:TITLE_MAX] or None, max_length=TITLE_MAX
                ),
            ),
            InputBlock(
                block_id="description",
                label="Description",
                optional=True,
                element=PlainTextInputElement(
                    action_id="value",
                    multiline=True,
                    max_length=DESCRIPTION_MAX,
                    initial_value=description[:DESCRIPTION_MAX] or None,
                ),
            ),
            InputBlock(
                block_id="customer",
                label="Customer",
                element=StaticSelectElement(
                    action_id="value", options=customer_options, initial_option=preset
                ),
            ),
            InputBlock(
                block_id="severity",
                label="Severity",
                hint="\n".join(SEVERITY_HELP.values())[:2000],
                element=StaticSelectElement(action_id="value", options=severity_options()),
            ),
        ],
    )


def resolve_modal(incident: Incident) -> View:
    return View(
        type="modal",
        callback_id=CALLBACK_RESOLVE,
        private_metadata=str(incident.id),
        title="Resolve incident",
        submit="Resolve",
        close="Cancel",
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=f"*{incident.key}* {inert(incident.title)}")),
            DividerBlock(),
            InputBlock(
                block_id="summary",
                label="Resolution summary",
                element=PlainTextInputElement(
                    action_id="value", multiline=True, max_length=DESCRIPTION_MAX
                ),
            ),
        ],
    )
