"""Statuses, levels and which changes are allowed. Pure: no I/O."""

from __future__ import annotations

import re
from enum import StrEnum


class Status(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    INVESTIGATING = "investigating"
    WAITING = "waiting_on_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


ACTIVE = (Status.OPEN, Status.ACKNOWLEDGED, Status.INVESTIGATING, Status.WAITING)
ACTIVE_VALUES = tuple(status.value for status in ACTIVE)  # as stored, for queries

# Forward along the lifecycle, plus the loops real incidents take (a customer reply moves a
# waiting incident back to investigating; a resolved one can be reopened).
_ALLOWED: dict[Status, set[Status]] = {
    Status.OPEN: {Status.ACKNOWLEDGED, Status.INVESTIGATING, Status.WAITING, Status.RESOLVED},
    # Back to open: an acknowledgement that expired without progress (supportbot.attention).
    Status.ACKNOWLEDGED: {Status.INVESTIGATING, Status.WAITING, Status.RESOLVED, Status.OPEN},
    Status.INVESTIGATING: {Status.WAITING, Status.RESOLVED, Status.OPEN},
    Status.WAITING: {Status.INVESTIGATING, Status.RESOLVED},
    # Open again: an alert that fires again within its hold-down, when nobody had answered.
    Status.RESOLVED: {Status.CLOSED, Status.INVESTIGATING, Status.OPEN},
    Status.CLOSED: set(),
}

LEVELS = ("L1", "L2", "L3", "MGMT")
LEVEL_NAMES = {"L1": "L1", "L2": "L2", "L3": "L3", "MGMT": "management"}

SEVERITY_NAMES = {1: "Critical", 2: "High", 3: "Medium", 4: "Low"}
SEVERITY_HELP = {
    1: "Critical: production down or unusable for everyone, no workaround.",
    2: "High: a major function is impaired or degraded; a workaround may exist.",
    3: "Medium: a partial, non-critical loss of function; a workaround exists.",
    4: "Low: a question, a cosmetic problem or a feature request.",
}

TITLE_MAX = 150
DESCRIPTION_MAX = 3000


def title_from_text(text: str) -> str:
    """A title for a request raised from a chat message: its first non-blank line."""
    for line in text.splitlines():
        if line.strip():
            return " ".join(line.split())[:TITLE_MAX]
    return "Support request"


class TransitionError(ValueError):
    """A change that the lifecycle does not allow; the message is shown to the user."""


def check_transition(current: str, target: Status) -> None:
    now = Status(current)
    if target not in _ALLOWED[now]:
        raise TransitionError(f"cannot move from {now.label.lower()} to {target.label.lower()}")


def next_level(level: str) -> str:
    index = LEVELS.index(level)
    if index == len(LEVELS) - 1:
        raise TransitionError("already at management, the top of the escalation matrix")
    return LEVELS[index + 1]


_SEV = re.compile(r"^(?:sev|s|p)?([1-4])$", re.IGNORECASE)


def parse_severity(text: str) -> int:
    match = _SEV.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a severity; use sev1, sev2, sev3 or sev4")
    return int(match.group(1))


def severity_label(severity: int) -> str:
    return f"Sev{severity} {SEVERITY_NAMES[severity]}"


SEVERITY_CHANGED = "severity"  # the timeline event's kind; its text is severity_change_text's
_CHANGE = re.compile(r"changed severity Sev([1-4]) [A-Za-z]+ → Sev([1-4]) [A-Za-z]+$")


def severity_change_text(who: str, before: int, after: int) -> str:
    return f"{who} changed severity {severity_label(before)} → {severity_label(after)}"


def parse_severity_change(text: str) -> tuple[int, int] | None:
    """The severities before and after, from a ``severity`` event's text (the timeline keeps
    no other record of them, and every such event, old ones too, was written by
    :func:`severity_change_text`); None if the text is not one."""
    match = _CHANGE.search(text)
    return (int(match.group(1)), int(match.group(2))) if match else None


# ``Incident.source_channel`` of an incident imported from another tool (``supportbot import
# incidents``; ``source_ts`` holds its external id): history only, never carded, paged or timed.
IMPORTED_SOURCE = "import"
