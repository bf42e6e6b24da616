"""The words of a root cause analysis, from the incident's timeline. Pure: no I/O.

Two renderings: the internal template posted in the incident's thread when it is resolved
(every step: levels, pages, acknowledgements, customer updates), and the customer-safe
version posted to the customer's thread once staff approve it, built only from events the
customer already saw plus what the approver wrote (inert), never internal notes, levels or
pages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from supportbot.contracts.followups import WRITTEN_MAX
from supportbot.wording import clip, inert, local_time

__all__ = ["WRITTEN_MAX", "Entry", "Facts", "Unfit", "check_text", "customer_version", "template"]

# Timeline kinds worth a line in the internal template, and how each is labelled.
_INTERNAL = {
    "opened": "opened",
    "severity": "severity",
    "escalated": "level",
    "paging": "paging",
    "paged": "page",
    "update_escalated": "updates",
    "customer_update": "customer update",
    # From the attention work (merged separately): who held it and when it was let go.
    "handover": "handover",
    "ack_reminder": "ack expired",
    "page_held": "page held",
}
# What the customer may read again: they saw these events in their own thread.
_CUSTOMER = ("opened", "severity", "customer_update")
LINE_MAX = 240  # characters of one timeline line
LINES_MAX = 60  # lines of a timeline (a long incident keeps its first and last ones)


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str
    text: str
    visibility: str  # internal | customer


@dataclass(frozen=True)
class Facts:
    key: str
    title: str
    severity_label: str
    customer_name: str
    opened_at: datetime
    resolved_at: datetime
    summary: str
    due_at: datetime


def _label(entry: Entry) -> str | None:
    if entry.kind.startswith("status:"):
        return entry.kind.removeprefix("status:").replace("_", " ")
    return _INTERNAL.get(entry.kind)


_MENTION = re.compile(r"<([@#])([UWC][A-Z0-9]{2,})(?:\|[^<>]*)?>")


def quiet(text: str) -> str:
    """A timeline line quoted again: mentions become plain names (``@U123``), so a template
    quoting a whole incident pings nobody a second time."""
    return _MENTION.sub(lambda m: f"{m.group(1)}{m.group(2)}", text)


# How the customer's version names a person of the support team: their Slack ids are internal,
# and a quoted mention (``@U123``) would show the customer one instead of a name.
SUPPORT_TEAM = "the support team"


def customer_quiet(contacts: Collection[str]) -> Callable[[str], str]:
    """:func:`quiet` for the customer's version: the customer's own contacts are quoted as
    there, anyone else (only staff act on a customer's incident) is named as the team."""

    def quote(text: str) -> str:
        def one(m: re.Match[str]) -> str:
            if m.group(1) == "@" and m.group(2) not in contacts:
                return SUPPORT_TEAM
            return f"{m.group(1)}{m.group(2)}"

        return _MENTION.sub(one, text)

    return quote


def _line(entry: Entry, label: str, zone: ZoneInfo, quote: Callable[[str], str] = quiet) -> str:
    # Cut whole: the text is already escaped, and a split "&lt;" would read "&l…".
    first = clip(quote(" ".join(entry.text.split())), LINE_MAX)
    return f"• {local_time(entry.at, zone)} · _{label}_ · {first}"


def _trim(lines: list[str]) -> list[str]:
    if len(lines) <= LINES_MAX:
        return lines
    half = LINES_MAX // 2
    return [*lines[:half], f"• … {len(lines) - LINES_MAX} more …", *lines[-half:]]


def template(facts: Facts, entries: Sequence[Entry], zone: ZoneInfo) -> str:
    """The internal draft: every step the team took, and the parts still to write."""
    lines = [_line(e, label, zone) for e in entries if (label := _label(e)) is not None]
    minutes = int((facts.resolved_at - facts.opened_at).total_seconds() // 60)
    return "\n".join(
        [
            f":clipboard: *Root cause analysis (draft)*: {facts.key} {facts.severity_label}: "
            f"{inert(facts.title)}",
            f"*Customer*: {inert(facts.customer_name)} · *due* {local_time(facts.due_at, zone)}",
            f"*Open for*: {minutes // 60}h{minutes % 60:02d}m "
            f"({local_time(facts.opened_at, zone)} to {local_time(facts.resolved_at, zone)})",
            f"*Timeline* ({zone.key}):",
            *_trim(lines),
            f"*Resolution*: {inert(facts.summary)}",
            "*Impact*: _to write_",
            "*Root cause*: _to write_",
            "*Corrective actions*: _to write_",
            "When it is written, staff press *Approve RCA* on the card: the customer gets the "
            "root cause, the actions and the customer-visible timeline, never internal notes.",
        ]
    )


def customer_timeline(
    entries: Sequence[Entry], zone: ZoneInfo, contacts: Collection[str] = ()
) -> list[str]:
    """The lines of the timeline the customer already saw in their thread."""
    quote = customer_quiet(contacts)
    return _trim(
        [
            _line(e, label, zone, quote)
            for e in entries
            if e.visibility == "customer"
            and (e.kind in _CUSTOMER or e.kind.startswith("status:"))
            and (label := _label(e)) is not None
        ]
    )


def customer_version(
    facts: Facts,
    entries: Sequence[Entry],
    zone: ZoneInfo,
    root_cause: str,
    actions: str,
    contacts: Collection[str] = (),
) -> str:
    """What the customer reads: the approved analysis; everything typed is made inert.
    ``contacts``: the customer's designated contacts, the only people of theirs quoted."""
    parts = [
        f":clipboard: *Root cause analysis*: {facts.key} {inert(facts.title)}",
        f"*Timeline* ({zone.key}):",
        *customer_timeline(entries, zone, contacts),
        f"*Resolution*: {inert(facts.summary)}",
        f"*Root cause*: {inert(root_cause)}",
    ]
    if actions:
        parts.append(f"*Corrective actions*: {inert(actions)}")
    return "\n".join(parts)


class Unfit(ValueError):
    """Text that cannot be posted; ``field`` names the form field to show it on."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def check_text(field: str, text: str, limit: int, *, required: bool) -> str:
    """Typed text tidied (outer blanks gone), or :class:`Unfit` saying what is wrong."""
    tidy = text.strip()
    if required and not tidy:
        raise Unfit(field, "This cannot be empty: write what the customer should read")
    if len(tidy) > limit:
        raise Unfit(field, f"Too long: {len(tidy)} characters (the limit is {limit})")
    return tidy
