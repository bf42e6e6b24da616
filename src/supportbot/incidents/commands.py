"""Parsing ``/incident`` text. Pure: the handler only forwards what this returns."""

from __future__ import annotations

import re
from dataclasses import dataclass

from supportbot.incidents.lifecycle import parse_severity
from supportbot.plans.charging import DurationError, parse_minutes, split_duration
from supportbot.wording import inert

USAGE = (
    "Usage:\n"
    "• `/incident` opens a form\n"
    "• `/incident sev1 <summary>` (sev1–sev4) opens one at once; add `customer:<key>` to "
    "open it for a customer\n"
    "• `/incident list` shows open incidents\n"
    "• `/incident note INC-42 <text>` adds an internal note\n"
    "• `/incident reply INC-42 <text>` replies to the customer\n"
    "• `/incident handover INC-42 @person [note]` hands it over (assigns; pages for Sev1)\n"
    "• `/incident reopen INC-42 [why]` reopens a resolved incident; `/incident close INC-42` "
    "closes a resolved one\n"
    "• `/incident time INC-42 45m [note]`, `/incident appointment INC-42 2h40m [note]`, "
    "`/incident timer start|stop INC-42` log work against the customer's plan\n"
    "• `/incident estimate INC-42 6h [note]` asks the customer's contacts to approve a task; "
    "`/incident waive INC-42 <reason>` waives its charges; `/incident approve INC-42` (a "
    "designated contact) approves a held request\n"
    "• `/incident maintenance acme 2026-12-05 02:00 2h [note]` declares a maintenance window "
    "(`/incident maintenance list [customer]`, `/incident maintenance cancel 3`); "
    "`/incident outage INC-42 [off]` counts a Sev1 as downtime\n"
    "• `/incident waive credit INC-42 <reason>`, `/incident waive availability acme 2026-11 "
    "<reason>` waive SLA credits\n"
    "• `/incident help`"
)

# What a customer's designated contact may do with `/incident` (everything else is the
# support team's: they were shown it, and refused when they tried).
CONTACT_USAGE = (
    "Usage:\n"
    "• `/incident` opens a form\n"
    "• `/incident sev1 <summary>` (sev1–sev4) opens a request at once\n"
    "• `/incident list` shows your organisation's open requests\n"
    "• `/incident reply INC-42 <text>` adds to a request (or reply in its thread)\n"
    "• `/incident approve INC-42` approves an estimate or a request held for an extra charge\n"
    "• `/incident help`"
)

MAX_COMMAND_TEXT = 4000
# Parsed by supportbot.credits.commands; `waive credit …` and `waive availability …` are
# credit waivers too (kind "credit_waive"), plain `waive INC-n` waives a plan charge.
CREDIT_WORDS = ("maintenance", "outage", "credit_waive")
_CUSTOMER = re.compile(r"(?:^|\s)customer:(\S+)")


class CommandError(ValueError):
    """What was wrong with the text. ``reason``, when set, is the message without the
    support team's usage it ends with: a customer's contact is shown their own usage."""

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class ParsedCommand:
    kind: str  # "modal" | "open" | "list" | "help" | "note" | "reply" | "handover" | "reopen"
    # | "close" | work | credit
    severity: int | None = None
    summary: str = ""
    customer: str | None = None
    key: str | None = None
    person: str | None = None  # handover: whom to, as typed (a mention, an id, a key)
    minutes: int | None = None  # time, appointment, estimate


def parse_incident_command(text: str) -> ParsedCommand:
    try:
        return _parse(text)
    except CommandError as exc:
        head = (text or "").split(None, 1)[:1]
        word = head[0].lower() if head else ""
        if exc.reason is None and word in STAFF_WORDS:
            reason = f"`/incident {word}` is for the support team."
            raise CommandError(str(exc), reason=reason) from None
        raise


def _parse(text: str) -> ParsedCommand:
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
    if word == "waive" and [w.lower() for w in rest.split(None, 1)[:1]] in (
        ["credit"],
        ["availability"],
    ):
        return _credit_waiver(rest)
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
    if word == "handover":
        return _handover(rest)
    if word in ("reopen", "close"):
        return _reopen_or_close(word, rest)
    if word in WORK:
        return parse_work(word, rest)
    try:
        severity = parse_severity(word)
    except ValueError:
        shown = inert(head[:40] + ("…" if len(head) > 40 else ""))
        reason = f"I don't know `{shown}`."
        raise CommandError(f"{reason}\n{USAGE}", reason=reason) from None
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


def _handover(rest: str) -> ParsedCommand:
    """``handover INC-42 @person [note]``: the note is optional, the person is not."""
    words = rest.split(None, 2)
    key, person = (words + ["", ""])[:2]
    note = words[2] if len(words) > 2 else ""
    if not key or not person:
        raise CommandError(
            "`/incident handover` needs an incident id and a person, e.g. "
            "`/incident handover INC-42 @dana failover done, watching the replicas`"
        )
    return ParsedCommand("handover", key=key, person=person, summary=note.strip())


def _reopen_or_close(word: str, rest: str) -> ParsedCommand:
    """``reopen INC-42 [why]`` or ``close INC-42``: closing takes no text, and a second word
    would only be ignored, so it is refused."""
    key, *more = rest.split(None, 1) or [""]
    why = more[0].strip() if more else ""
    if not key or (word == "close" and why):
        if word == "reopen":
            needs, example = "an incident id and, if you like, why", "INC-42 the fix did not hold"
        else:
            needs, example = "an incident id only", "INC-42"
        raise CommandError(f"`/incident {word}` needs {needs}, e.g. `/incident {word} {example}`")
    return ParsedCommand(word, key=key, summary=why)


def _credit_waiver(rest: str) -> ParsedCommand:
    """``waive credit INC-42 <reason>`` or ``waive availability acme 2026-11 <reason>``: the
    credits parser reads ``INC-42 <reason>`` and ``availability …`` as its ``waive``."""
    # Any white space, any case: Slack keeps the tabs and newlines people type.
    first, *more = rest.split(None, 1)
    if first.lower() == "credit":
        return ParsedCommand("credit_waive", summary=more[0].strip() if more else "")
    return ParsedCommand("credit_waive", summary=" ".join(["availability", *more]))


# Work against the customer's plan (supportbot.desk.work): word → what follows the id.
WORK = {
    "time": "a duration and an optional note, e.g. `/incident time INC-42 45m checked logs`",
    "appointment": "a duration, e.g. `/incident appointment INC-42 2h40m on-site visit`",
    "estimate": "a duration, e.g. `/incident estimate INC-42 6h upgrade the cluster`",
    "timer": "`start` or `stop` and an id, e.g. `/incident timer start INC-42`",
    "waive": "a waiver reason from the contract, e.g. `/incident waive INC-42 product defect`",
    "approve": "nothing more, e.g. `/incident approve INC-42`",
}

# Words only the support team may use: a customer who mistypes one is told so, and shown
# their own usage, never how the team's command is written.
STAFF_WORDS = frozenset({"note", "handover", "reopen", "close", *WORK} - {"approve"})


def parse_work(word: str, rest: str) -> ParsedCommand:
    words = rest.split(None, 2)
    usage = f"`/incident {word}` needs an incident id and {WORK[word]}"
    if word == "timer":
        if len(words) != 2 or words[0].lower() not in ("start", "stop"):
            raise CommandError(usage)
        return ParsedCommand(f"timer_{words[0].lower()}", key=words[1])
    if not words:
        raise CommandError(usage)
    key, more = words[0], " ".join(words[1:])
    if word == "approve":
        if more.strip():  # a reason or a second id would be ignored: say so instead
            raise CommandError(usage)
        return ParsedCommand("approve", key=key)
    if word == "waive":
        if not more.strip():
            raise CommandError(usage)
        return ParsedCommand("waive", key=key, summary=" ".join(more.split()))
    if len(words) < 2:
        raise CommandError(usage)
    duration, note = split_duration(rest.split(None, 1)[1])
    try:
        minutes = parse_minutes(duration, estimate=word == "estimate")
    except DurationError as exc:
        raise CommandError(f"{exc}. {usage}") from None
    return ParsedCommand(word, key=key, summary=note, minutes=minutes)
