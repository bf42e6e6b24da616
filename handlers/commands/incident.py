"""``/incident``: open, list, note and reply."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient

from handlers._common import actor, open_form, payload, refuse_replay, replayed, runtime
from handlers.commands.work import WORK_KINDS, charged_line, deposit_refusal, work_answer
from handlers.payloads import Command
from supportbot.credits import service as credits
from supportbot.db.engine import REFUSED
from supportbot.desk import actions, intake
from supportbot.desk.handover import handover
from supportbot.desk.listing import incidents_for
from supportbot.incidents.access import Actor, form_customers, may_open_for, named_customer
from supportbot.incidents.commands import (
    CONTACT_USAGE,
    CREDIT_WORDS,
    USAGE,
    CommandError,
    ParsedCommand,
    parse_incident_command,
)
from supportbot.incidents.find import IncidentError
from supportbot.incidents.lifecycle import severity_label
from supportbot.prompt_ack import acks_last
from supportbot.runtime import Runtime
from supportbot.slack.cards import new_incident_modal
from supportbot.wording import inert

log = logging.getLogger(__name__)

# The database refused the opening (full disk, read-only file, locked past its timeout). Slack
# showed a bare 500 as "failed with the error", leaving whoever opened a Sev1 to guess whether
# anyone was paged.
NOT_STORED = (
    ":rotating_light: *Not opened*: the database refused to store it, so nobody was paged. "
    "Try again in a minute, and if it fails again reach the on-call another way."
)


@acks_last
def incident_command(ack: Ack, client: WebClient, context: BoltContext) -> None:
    ack(**answer(runtime(context), actor(context), payload(context, Command), client))


def answer(rt: Runtime, who: Actor, command: Command, client: WebClient) -> dict[str, Any]:
    """Everything here is quick (one transaction); Slack posts are queued by the service."""
    try:
        parsed = parse_incident_command(command.text)
    except CommandError as exc:
        if exc.reason is not None and not who.is_staff:
            # A customer's contact is shown what they may do, never the team's commands.
            return {"text": f":warning: {exc.reason}\n{CONTACT_USAGE}"}
        return {"text": f":warning: {exc}"}
    if parsed.kind != "open" and replayed(rt, command):  # an opening: by its receipt
        return {"response_type": "ephemeral", "text": refuse_replay(command.trigger_id)}
    if parsed.kind == "help":
        return {"text": USAGE if who.is_staff else CONTACT_USAGE}
    if parsed.kind == "modal":
        return _form(rt, who, command, client)
    if parsed.kind in WORK_KINDS:
        return work_answer(rt, who, parsed)
    if parsed.kind in CREDIT_WORDS:
        word = "waive" if parsed.kind == "credit_waive" else parsed.kind
        said = credits.answer(rt, who, word, parsed.summary)
        return {"response_type": "ephemeral", "text": said}
    try:
        if parsed.kind == "list":
            return {"text": _listing(rt, who)}
        if parsed.kind in ("note", "reply"):
            assert parsed.key is not None
            if parsed.kind == "note" and not who.is_staff:
                return {"text": ":no_entry: Internal notes are for the support team."}
            act = actions.note if parsed.kind == "note" else actions.reply
            incident = act(rt, parsed.key, who, parsed.summary)
            return {"text": f"Added to {incident.key}."}
        if parsed.kind in ("reopen", "close"):
            assert parsed.key is not None
            if parsed.kind == "reopen":
                incident = actions.reopen(rt, parsed.key, who, parsed.summary)
                return {"text": f"Reopened {incident.key}: its clocks run again."}
            incident = actions.close(rt, parsed.key, who)
            return {"text": f"Closed {incident.key}."}
        if parsed.kind == "handover":
            assert parsed.key is not None and parsed.person is not None
            if not who.is_staff:
                return {"text": ":no_entry: Handovers are for the support team."}
            incident = handover(rt, parsed.key, who, parsed.person, parsed.summary)
            return {"text": f"Handed {incident.key} over to <@{incident.assignee}>."}
        return _open(rt, who, command, parsed)
    except IncidentError as exc:
        return {"text": f":warning: {exc}"}


def _form(rt: Runtime, who: Actor, command: Command, client: WebClient) -> dict[str, Any]:
    """The new-incident form, naming only the customers this person may open for."""
    try:
        offered = form_customers(who, rt.contracts.customers)
    except IncidentError as exc:
        return {"text": f":no_entry: {exc}"}
    if command.trigger_id is None:
        return {"text": ":warning: Slack sent no trigger id, so the form cannot open."}
    owner = rt.contracts.by_channel(command.channel_id)
    view = new_incident_modal(
        offered,
        private_metadata=json.dumps({"channel": command.channel_id}),
        preset_customer=owner.key if owner else None,
        internal=who.is_staff,
    )
    failed = open_form(client, command.trigger_id, view)
    return {"text": failed} if failed else {}


def _listing(rt: Runtime, who: Actor) -> str:
    rows = incidents_for(rt, who)
    if not rows:
        return "No open incidents."
    return "\n".join(
        f"• *{i.key}* {severity_label(i.severity)} · {i.status.replace('_', ' ')} · "
        f"{inert(i.title)}"
        for i in rows
    )


def _open(rt: Runtime, who: Actor, command: Command, parsed: ParsedCommand) -> dict[str, Any]:
    channel = command.channel_id
    owner = rt.contracts.by_channel(channel)
    customer = owner
    try:
        if parsed.customer is not None:
            customer = named_customer(who, rt.contracts, parsed.customer)
    except IncidentError as exc:
        return {"text": f":warning: {exc}"}
    try:
        may_open_for(who, customer, owner)
    except IncidentError as exc:
        return {"text": f":no_entry: {exc}"}
    refused = deposit_refusal(rt, who, customer)
    if refused is not None:
        return refused
    severity = parsed.severity or 3
    trigger = command.trigger_id
    try:
        incident = intake.open_incident(
            rt,
            title=parsed.summary,
            severity=severity,
            reporter=who.user_id,
            customer=customer,
            source_channel=channel,
            via="/incident",
            # Slack never sends one trigger twice: stored with the incident, in its
            # transaction, a second arrival of these bytes opens nothing.
            receipt=f"trigger:{trigger}" if trigger else None,
        )
    except intake.DuplicateDelivery:
        return {"response_type": "ephemeral", "text": refuse_replay(trigger)}
    except REFUSED as exc:
        log.error("an opening was not stored (the database refused it): %s", exc.orig)
        return {"response_type": "ephemeral", "text": NOT_STORED}
    whose = f" for {customer.name}" if customer else ""
    text = f"Opened *{incident.key}*{whose} as {severity_label(severity)}: {inert(parsed.summary)}"
    return {"response_type": "ephemeral", "text": text + charged_line(rt, incident)}
