"""Deadlines of one incident, paused clocks and reminder times.

Everything here is a pure function of its arguments (no "now" is read), so the worker, the
reconciler, ``/sla INC-n`` and ``supportbot sla deadline`` all compute the same instants.
Pauses follow Zendesk: while an incident waits on the customer its resolution clock stops, and
time inside a pause does not count, whichever basis the clock runs on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from supportbot.contracts.tiers import (
    Coverage,
    Severity,
    SlaOverrides,
    Span,
    Target,
    TargetClock,
    Targets,
    Tier,
    targets_for,
)
from supportbot.hours.calendar import (
    BusinessCalendar,
    BusinessHours,
    TimeBasis,
    WallClock,
    aware_utc,
)

Pause = tuple[datetime, datetime | None]
WALL_CLOCK = WallClock()
# A target is met by an answer at or before its due instant, to the microsecond (as customers
# read a contract, and as mature tools judge it); the first late instant is the next one.
LATE_AFTER = timedelta(microseconds=1)


def is_late(due: datetime, at: datetime) -> bool:
    """Whether a clock stopped, or still running, at ``at`` missed a target due at ``due``.

    The one rule behind every verdict (the clock's state, the breach job, ``/sla``, the
    reports and the credits), so they never disagree at the due instant itself."""
    return at > due


def first_late_instant(due: datetime) -> datetime:
    """When a clock still running is breached: the breach job's instant, never ``due``
    itself, so an acknowledgement stamped at the due instant wins whichever runs first."""
    return due + LATE_AFTER


def basis_for(clock: TargetClock, calendar: BusinessCalendar) -> TimeBasis:
    """The time basis a target's clock runs on for this customer."""
    return WALL_CLOCK if clock is TargetClock.WALL else calendar


def target_basis(
    kind: str,
    tier: Tier | str,
    severity: Severity | int | str,
    coverage: Coverage | str,
    calendar: BusinessCalendar,
    overrides: SlaOverrides | None = None,
) -> TimeBasis:
    """The basis the ``kind`` (response or resolution) clock of such an incident runs on."""
    targets = targets_for(tier, severity, coverage, overrides)
    target = targets.response if kind == targets.response.name else targets.resolution
    return basis_for(target.clock, calendar)


@dataclass(frozen=True)
class Deadline:
    """One target resolved against a basis: when its clock starts and when it is due."""

    target: Target
    basis: TimeBasis
    opened_at: datetime
    duration: timedelta
    clock_starts: datetime
    due: datetime

    def due_with_pauses(self, pauses: Sequence[Pause]) -> datetime | None:
        return due_with_pauses(self.basis, self.opened_at, self.duration, pauses)

    def threshold_times(
        self, thresholds: Iterable[float], pauses: Sequence[Pause] = ()
    ) -> list[tuple[float, datetime]]:
        return threshold_times(self.basis, self.opened_at, self.duration, thresholds, pauses)

    def explain(self, zone: ZoneInfo) -> str:
        span = self.target.span
        length = span.human()
        if span.business_days:
            length += f" (= {_hours(self.duration)} at {_hours(self.basis.business_day_length())}"
            length += " a business day)"
        counted = "business time" if self.target.clock is TargetClock.BUSINESS else "elapsed time"
        text = (
            f"{self.target.name.title()} due {_when(self.due, zone)}: {length} of {counted} "
            f"({self.basis.describe()})"
        )
        if self.clock_starts != self.opened_at:
            text += f"; clock started at the next opening, {_when(self.clock_starts, zone)}"
        return f"{text}. Rule: {self.target.source}; {self.target.clock_rule}."


@dataclass(frozen=True)
class Deadlines:
    """Response and resolution deadlines of one incident, with how they were produced."""

    opened_at: datetime
    targets: Targets
    calendar: BusinessCalendar
    response: Deadline
    resolution: Deadline

    @property
    def response_due(self) -> datetime:
        return self.response.due

    @property
    def resolution_due(self) -> datetime:
        return self.resolution.due

    @property
    def response_basis(self) -> TimeBasis:
        return self.response.basis

    @property
    def resolution_basis(self) -> TimeBasis:
        return self.resolution.basis

    @property
    def thresholds(self) -> tuple[float, ...]:
        return self.targets.thresholds

    def explain(self, display_zone: str | ZoneInfo | None = None) -> str:
        """Plain text for ``/sla INC-n``: which calendar and rule produced each deadline.

        Times are shown in ``display_zone`` (the viewer's), by default the customer's zone,
        always with UTC alongside.
        """
        zone = _zone(display_zone or self.calendar.hours.timezone)
        targets = self.targets
        head = (
            f"{targets.tier.label} {targets.severity.label}, {targets.coverage.value} coverage; "
            f"opened {_when(self.opened_at, zone)}."
        )
        reminders = ", ".join(f"{fraction:.0%}" for fraction in targets.thresholds) or "none"
        return "\n".join(
            [
                head,
                self.response.explain(zone),
                self.resolution.explain(zone),
                f"Reminders at {reminders} of each target.",
            ]
        )


def compute_deadlines(
    opened_at: datetime,
    tier: Tier | str,
    severity: Severity | int | str,
    coverage: Coverage | str,
    business_hours: BusinessHours | BusinessCalendar,
    overrides: SlaOverrides | None = None,
) -> Deadlines:
    """Response and resolution deadlines for an incident opened at ``opened_at``.

    Pass a ``BusinessCalendar`` rather than ``BusinessHours`` when computing many incidents of
    one customer: it caches the customer's daily windows.
    """
    opened = aware_utc(opened_at, "opened_at")
    calendar = (
        business_hours
        if isinstance(business_hours, BusinessCalendar)
        else BusinessCalendar(business_hours)
    )
    targets = targets_for(tier, severity, coverage, overrides)
    built = []
    for target in (targets.response, targets.resolution):
        basis = basis_for(target.clock, calendar)
        duration = target.span.resolve(basis)
        built.append(
            Deadline(
                target=target,
                basis=basis,
                opened_at=opened,
                duration=duration,
                clock_starts=basis.next_opening(opened),
                due=basis.add(opened, duration),
            )
        )
    return Deadlines(opened, targets, calendar, built[0], built[1])


def _resolve(target: timedelta | Span, basis: TimeBasis) -> timedelta:
    duration = target.resolve(basis) if isinstance(target, Span) else target
    if duration <= timedelta(0):
        raise ValueError(f"a target must be positive, got {duration}")
    return duration


def normalize_pauses(opened_at: datetime, pauses: Iterable[Pause]) -> list[Pause]:
    """Pauses sorted, merged and clipped to the incident's life; an open pause ends the list.

    Overlapping or repeated pauses (say, from a replayed timeline) must not count twice.
    """
    cleaned: list[Pause] = []
    for start, end in pauses:
        start = aware_utc(start, "pause start")
        end = None if end is None else aware_utc(end, "pause end")
        if end is not None and end < start:
            raise ValueError(
                f"pause ends at {end.isoformat()}, before it starts at {start.isoformat()}"
            )
        if end is not None and end <= opened_at:
            continue
        cleaned.append((max(start, opened_at), end))
    cleaned.sort(key=lambda pause: pause[0])
    merged: list[Pause] = []
    for start, end in cleaned:
        if merged:
            last_start, last_end = merged[-1]
            if last_end is None:
                break
            if start <= last_end:
                merged[-1] = (last_start, None if end is None else max(last_end, end))
                continue
        merged.append((start, end))
    return merged


def due_with_pauses(
    basis: TimeBasis,
    opened_at: datetime,
    target: timedelta | Span,
    pauses: Sequence[Pause] = (),
) -> datetime | None:
    """When ``target`` of counted, unpaused time has run; None while a pause is still open."""
    opened = aware_utc(opened_at, "opened_at")
    remaining = _resolve(target, basis)
    cursor = opened
    for start, end in normalize_pauses(opened, pauses):
        if start > cursor:
            available = basis.between(cursor, start)
            if remaining <= available:
                return basis.add(cursor, remaining)
            remaining -= available
        if end is None:
            return None
        cursor = max(cursor, end)
    return basis.add(cursor, remaining)


def elapsed(
    basis: TimeBasis, opened_at: datetime, now: datetime, pauses: Sequence[Pause] = ()
) -> timedelta:
    """Counted time from ``opened_at`` to ``now``, without paused time."""
    opened, now = aware_utc(opened_at, "opened_at"), aware_utc(now, "now")
    if now <= opened:
        return timedelta(0)
    total = basis.between(opened, now)
    for start, end in normalize_pauses(opened, pauses):
        if start >= now:
            break
        total -= basis.between(start, now if end is None else min(end, now))
    return total


def fraction_used(
    basis: TimeBasis,
    opened_at: datetime,
    now: datetime,
    target: timedelta | Span,
    pauses: Sequence[Pause] = (),
) -> float:
    """How much of the target is spent: 0.5 at half time, above 1.0 after the breach."""
    return elapsed(basis, opened_at, now, pauses) / _resolve(target, basis)


def threshold_times(
    basis: TimeBasis,
    opened_at: datetime,
    target: timedelta | Span,
    thresholds: Iterable[float],
    pauses: Sequence[Pause] = (),
) -> list[tuple[float, datetime]]:
    """When each reminder fraction of the target is reached, in order.

    Fractions that fall behind an open pause cannot be scheduled yet and are left out; the
    caller reschedules when the pause ends.
    """
    total = _resolve(target, basis)
    result = []
    for fraction in sorted(set(thresholds)):
        if not 0 < fraction <= 1:
            raise ValueError(f"threshold {fraction} is outside (0, 1]")
        due = due_with_pauses(basis, opened_at, total * fraction, pauses)
        if due is not None:
            result.append((fraction, due))
    return result


def _zone(value: str | ZoneInfo) -> ZoneInfo:
    return value if isinstance(value, ZoneInfo) else ZoneInfo(value)


def _when(instant: datetime, zone: ZoneInfo) -> str:
    """ "Mon 2025-03-10 13:00 GMT (13:00 UTC)": local for people, UTC for logs."""
    local = instant.astimezone(zone)
    clock = "%H:%M:%S" if instant.second or instant.microsecond else "%H:%M"
    utc = instant.strftime(clock if local.date() == instant.date() else f"%Y-%m-%d {clock}")
    shown = f"{local.strftime(f'%a %Y-%m-%d {clock}')} {local.tzname()}"
    return shown if local.tzname() == "UTC" else f"{shown} ({utc} UTC)"


def _hours(value: timedelta) -> str:
    hours = value / timedelta(hours=1)
    return f"{hours:g} h"
