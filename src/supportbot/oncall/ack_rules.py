"""When an acknowledgement expires, as pure arithmetic (no clock, no I/O).

An acknowledged incident that nobody works on is the usual way a Severity 1 gets lost. Per
severity, an acknowledgement expires ``after`` a set time without progress (a status change,
a note, a reply, time logged, a handover): its owner is reminded then, and if nothing happens
within ``grace`` of the reminder the incident is released (un-acknowledged) and the
escalation policy resumes. The times come from the rotation files' escalation policies
(``ack_expires_after``, ``ack_grace``), else the defaults below.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from supportbot.oncall.model import Rotation

# Defaults by severity: (expires after, grace). Severities 3 and 4 never expire by default.
DEFAULTS: dict[int, tuple[timedelta, timedelta]] = {
    1: (timedelta(minutes=30), timedelta(minutes=10)),
    2: (timedelta(hours=2), timedelta(minutes=30)),
}


@dataclass(frozen=True)
class AckRule:
    after: timedelta
    grace: timedelta


@dataclass(frozen=True)
class AckDue:
    stage: str  # "remind" | "release"
    at: datetime


def ack_rule(rotation: Rotation | None, severity: int) -> AckRule | None:
    """The rule for a severity: the policy's fields, else the defaults; None: never expires."""
    after, grace = DEFAULTS.get(severity, (None, None))
    if rotation is not None:
        key = f"sev{severity}"
        policy = rotation.escalation.get(key)  # type: ignore[call-overload]
        if policy is not None:
            if policy.ack_expires_after == "off":
                return None
            after = policy.ack_expires_after or after
            grace = policy.ack_grace or grace
    if after is None:
        return None
    return AckRule(after, grace or timedelta(minutes=10))


def ack_due(rule: AckRule, basis: datetime, reminded_at: datetime | None) -> AckDue:
    """What is owed next. ``basis``: the acknowledgement or the latest progress since;
    ``reminded_at``: when the owner was last reminded (a reminder before ``basis`` is void,
    because there was progress after it)."""
    if reminded_at is not None and reminded_at >= basis:
        return AckDue("release", reminded_at + rule.grace)
    return AckDue("remind", basis + rule.after)
