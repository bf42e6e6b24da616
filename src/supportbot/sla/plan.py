"""What an incident's SLA clocks say now, and which timers should exist. Pure: no I/O.

Everything is derived from facts about the incident (opened, severity, first response,
resolution, waiting intervals) and its contract, so a change of any fact is handled the same
way: recompute, then reconcile the stored timers with the plan (GoAlert's reconcile style).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from supportbot.contracts.tiers import SlaOverrides
from supportbot.hours.calendar import BusinessCalendar
from supportbot.sla.deadlines import (
    Deadline,
    Pause,
    compute_deadlines,
    due_with_pauses,
    first_late_instant,
    is_late,
)

BREACH = 100
ENGAGE_L3 = "engage_l3"
ENGAGE_L3_AFTER = timedelta(minutes=15)


@dataclass(frozen=True)
class Facts:
    opened_at: datetime
    severity: int
    level: str
    active: bool
    first_response_at: datetime | None
    resolved_at: datetime | None
    pauses: Sequence[Pause] = ()  # waiting-on-customer intervals; the last may be open


@dataclass(frozen=True)
class Contract:
    tier: str
    coverage: str
    calendar: BusinessCalendar
    overrides: SlaOverrides = field(default_factory=SlaOverrides)


@dataclass(frozen=True)
class ClockPlan:
    kind: str  # response | resolution
    target: timedelta
    basis: str
    due: datetime | None  # None while paused
    state: str  # running | paused | met | breached
    stopped_at: datetime | None
    timers: tuple[tuple[int, datetime], ...]  # (percent, due) still owed
    deadline: Deadline


@dataclass(frozen=True)
class Plan:
    clocks: tuple[ClockPlan, ...]
    timers: dict[tuple[str, int], datetime]  # (clock, percent) -> due


def plan(facts: Facts, contract: Contract | None, now: datetime) -> Plan:
    clocks: list[ClockPlan] = []
    timers: dict[tuple[str, int], datetime] = {}
    if contract is not None:
        deadlines = compute_deadlines(
            facts.opened_at,
            contract.tier,
            facts.severity,
            contract.coverage,
            contract.calendar,
            contract.overrides,
        )
        fractions = [*deadlines.thresholds, 1.0]
        # The response clock stops only at the first response, whatever the status: only a
        # request opened waiting on the customer (held for an exhausted balance) is paused
        # from its opening, not late for an answer the customer's own approval holds up.
        held = [p for p in facts.pauses if p[0] <= facts.opened_at]
        response = _clock(deadlines.response, facts.first_response_at, held, fractions, now)
        resolution = _clock(deadlines.resolution, facts.resolved_at, facts.pauses, fractions, now)
        for clock in (response, resolution):
            clocks.append(clock)
            timers.update({(clock.kind, pct): due for pct, due in clock.timers})
    if facts.severity == 1 and facts.active and facts.level in ("L1", "L2"):
        # Seed policy: L3 engages every critical incident within 15 minutes of opening,
        # whoever acknowledged it, and whatever the contract.
        timers[(ENGAGE_L3, BREACH)] = facts.opened_at + ENGAGE_L3_AFTER
    return Plan(tuple(clocks), timers)


def _clock(
    deadline: Deadline,
    stopped_at: datetime | None,
    pauses: Sequence[Pause],
    fractions: list[float],
    now: datetime,
) -> ClockPlan:
    kind = deadline.target.name
    if stopped_at is not None:
        # Time after the stop never counts; pauses before it still do not.
        closed = [(a, b if b is not None else stopped_at) for a, b in pauses if a < stopped_at]
        due = due_with_pauses(deadline.basis, deadline.opened_at, deadline.duration, closed)
        state = "met" if due is not None and not is_late(due, stopped_at) else "breached"
        return ClockPlan(
            kind, deadline.duration, deadline.basis.describe(), due, state, stopped_at, (), deadline
        )
    due = due_with_pauses(deadline.basis, deadline.opened_at, deadline.duration, pauses)
    if due is None:
        return ClockPlan(
            kind, deadline.duration, deadline.basis.describe(), None, "paused", None, (), deadline
        )
    owed = tuple(
        _owed(fraction, at) for fraction, at in deadline.threshold_times(fractions, pauses)
    )
    state = "breached" if is_late(due, now) else "running"
    return ClockPlan(
        kind, deadline.duration, deadline.basis.describe(), due, state, None, owed, deadline
    )


def _owed(fraction: float, at: datetime) -> tuple[int, datetime]:
    """A reminder is owed at its fraction's instant; the breach at the first late instant
    (the due instant itself still meets the target)."""
    pct = round(fraction * 100)
    return pct, first_late_instant(at) if pct >= BREACH else at


def collapse_overdue(
    wanted: dict[tuple[str, int], datetime], now: datetime
) -> tuple[dict[tuple[str, int], datetime], set[tuple[str, int]]]:
    """Of the timers already overdue for one clock, only the highest still fires.

    After a severity change shortens a target, the 50 % and 75 % reminders may both be in the
    past; posting three reminders at once is noise, so the lower ones are skipped.
    """
    kept = dict(wanted)
    skipped: set[tuple[str, int]] = set()
    by_clock: dict[str, list[int]] = {}
    for (clock, pct), due in wanted.items():
        if due <= now:
            by_clock.setdefault(clock, []).append(pct)
    for clock, pcts in by_clock.items():
        for pct in sorted(pcts)[:-1]:
            kept.pop((clock, pct))
            skipped.add((clock, pct))
    return kept, skipped
