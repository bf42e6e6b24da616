"""Parsing ``/incident`` text. Pure: the handler only forwards what this returns."""

from __future__ import annotations

import re
from dataclasses import dataclass

from supportbot.incidents.lifecycle import parse_severity

USAGE = (
    "Usage:\n"
    "• `/incident` opens a form\n"
    "• `/incident sev1 <summary>` (sev1–sev4) opens one at once; add `customer:<key>` to "
    "open it for a customer\n"
    "• `/incident list` shows open incidents\n"
    "• `/incident note INC-42 <text>` adds an internal note\n"
    "• `/incident reply INC-42 <text>` replies to the customer\n"
    "• `/incident maintenance|outage|waive …` SLA credits (`/incident maintenance` for help)\n"
    "• `/incident help`"
)

MAX_COMMAND_TEXT = 4000
CREDIT_WORDS = ("maintenance", "outage", "waive")
_CUSTOMER = re.compile(r"(?:^|\s)customer:(\S+)")


class CommandError(ValueError):
    pass


@dataclass(frozen=True)
class ParsedCommand:
    kind: str  # "modal" | "open" | "list" | "help" | "note" | "reply" | a CREDIT_WORDS
    severity: int | None = None
    summary: str = ""
    customer: str | None = None
    key: str | None = None


def parse_incident_command(text: str) -> ParsedCommand:
    text = (text or "").strip()
    if len(text) > MAX_COMMAND_TEXT:
        raise CommandError(
            f"that is {len(text)} characters; keep commands under "
            f"{MAX_COMMAND_TEXT}. Use `/incident` for the form."
        )
    if not text:
        return ParsedCommand("modal")
    head, *tail = text.split(None, 1)  # any whitespace: Slack keeps tabs and newlines
    rest = tail[0] if tail else ""
    word = head.lower()
    if word in ("help", "-h", "--help"):
        return ParsedCommand("help")
    if word == "list":
        return ParsedCommand("list")
    if word in CREDIT_WORDS:  # parsed by supportbot.credits.commands
        return ParsedCommand(word, summary=rest)
    if word in ("note", "reply"):
        key, *more = rest.split(None, 1) or [""]
        body = more[0] if more else ""
        if not key or not body.strip():
            raise CommandError(
                f"`/incident {word}` needs an incident id and text, e.g. "
                f"`/incident {word} INC-42 checked the logs`"
            )
        return ParsedCommand(word, key=key, summary=body.strip())
    try:
        severity = parse_severity(word)
    except ValueError:
        raise CommandError(f"I don't know `{head}`.\n{USAGE}") from None
    customer = None
    match = _CUSTOMER.search(rest)
    if match:
        customer = match.group(1)
        rest = rest[: match.start()] + rest[match.end() :]
    summary = " ".join(rest.split())
    if not summary:
        raise CommandError(
            f"`/incident {head}` needs a summary, e.g. "
            f"`/incident {head} checkout returns 500 for all users`"
        )
    return ParsedCommand("open", severity=severity, summary=summary, customer=customer)
