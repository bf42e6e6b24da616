"""The plain records the formulas work on, and report periods in a customer's zone."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import NamedTuple
from zoneinfo import ZoneInfo

from supportbot.hours.calendar import TimeBasis, WallClock

UTC_ZONE = "UTC"


class ClockRecord(NamedTuple):
    """One SLA clock row as it stands (``sla_clocks``): due already accounts for business
    hours and pauses, exactly as the clock counted them. A tuple: a month has tens of
    thousands of them, and a tuple is built several times faster than a frozen dataclass."""

    kind: str  # response | resolution
    target_seconds: int
    due_at: datetime | None  # None while a pause is still open
    stopped_at: datetime | None
    state: str  # running | paused | met | breached
    breached_at: datetime | None = None


class SeveritySpan(NamedTuple):
    """A severity an incident had, from ``since`` until the next one (or for good)."""

    since: datetime
    severity: int
    response_basis: TimeBasis


@dataclass(frozen=True)
class IncidentRecord:
    """An incident with what its timeline says about it."""

    key: str
    customer: str | None
    tier: str  # the customer's tier, or "internal"
    zone: str  # the customer's time zone (UTC for internal incidents)
    severity: int
    opened_at: datetime
    first_response_at: datetime | None = None
    acknowledged_at: datetime | None = None  # the first ``status:acknowledged`` event
    resolved_at: datetime | None = None
    level: str = "L1"
    escalations_by_breach: int = 0
    escalations_by_policy: int = 0  # L3 engaged by the Sev1 policy
    escalations_by_hand: int = 0
    staff_replies: int = 0
    clocks: tuple[ClockRecord, ...] = ()
    # The basis the contract's response target runs on (wall clock or business calendar).
    response_basis: TimeBasis = WallClock()
    csat: int | None = None  # the customer's 1–5 rating, if they gave one
    # Waiting on the customer before the first response (a request held for their approval
    # of an extra charge): not counted against the response (the last may still be open).
    held: tuple[tuple[datetime, datetime | None], ...] = ()
    # The severities it had before its first response when it changed before then, in order:
    # (from, severity, that severity's response basis). Empty: ``severity`` throughout.
    severities: tuple[SeveritySpan, ...] = ()

    def severity_spans(self) -> tuple[SeveritySpan, ...]:
        """Each severity from the instant it applied, the first from the opening."""
        return self.severities or (
            SeveritySpan(self.opened_at, self.severity, self.response_basis),
        )

    def clock(self, kind: str) -> ClockRecord | None:
        return next((c for c in self.clocks if c.kind == kind), None)


class PeriodKind(StrEnum):
    DAY = "day"
    WEEK = "week"  # Monday to Monday
    MONTH = "month"


@dataclass(frozen=True)
class Period:
    """A calendar period, named by its first local day; its instants depend on the zone."""

    kind: PeriodKind
    first_day: date

    @property
    def label(self) -> str:
        if self.kind is PeriodKind.MONTH:
            return self.first_day.strftime("%Y-%m")
        if self.kind is PeriodKind.WEEK:
            year, week, _ = self.first_day.isocalendar()
            return f"{year}-W{week:02d}"
        return self.first_day.isoformat()

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        if self.kind is PeriodKind.MONTH:
            return Period(self.kind, (self.first_day - timedelta(days=1)).replace(day=1))
        step = timedelta(days=7 if self.kind is PeriodKind.WEEK else 1)
        return Period(self.kind, self.first_day - step)

    def next_first_day(self) -> date:
        if self.kind is PeriodKind.DAY:
            return self.first_day + timedelta(days=1)
        if self.kind is PeriodKind.WEEK:
            return self.first_day + timedelta(days=7)
        year, month = self.first_day.year, self.first_day.month
        return date(year + month // 12, month % 12 + 1, 1)

    def bounds(self, zone: str) -> tuple[datetime, datetime]:
        """[start, end) in aware UTC: local midnight of the first day to that of the next."""
        return _bounds(self, zone)

    def _compute_bounds(self, zone: str) -> tuple[datetime, datetime]:
        tz = ZoneInfo(zone)
        start = datetime.combine(self.first_day, time(0), tz).astimezone(UTC)
        end = datetime.combine(self.next_first_day(), time(0), tz).astimezone(UTC)
        return start, end

    def widest_bounds(self) -> tuple[datetime, datetime]:
        """Bounds covering the period in every zone (UTC-12 to UTC+14), for loading rows."""
        start, end = self.bounds(UTC_ZONE)
        return start - timedelta(hours=14), end + timedelta(hours=12)


@functools.lru_cache(maxsize=4096)
def _bounds(period: Period, zone: str) -> tuple[datetime, datetime]:
    """Cached: the figures ask for the same period's bounds in one zone thousands of times."""
    return period._compute_bounds(zone)


MONTH = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)
WEEK = re.compile(r"^(\d{4})-W(\d{2})$", re.ASCII)
DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$", re.ASCII)
# From 1970 to 9998: a period's end (the next period's first day, in any zone) must be a date.
FIRST_YEAR, LAST_YEAR = 1970, 9998
SHAPES = {
    PeriodKind.MONTH: "YYYY-MM, e.g. 2026-03",
    PeriodKind.WEEK: "YYYY-Www (an ISO week, Monday to Monday), e.g. 2026-W48",
    PeriodKind.DAY: "YYYY-MM-DD, e.g. 2026-11-30",
}


def parse_period(kind: PeriodKind, text: str) -> Period:
    """``2026-03``, ``2026-W48`` or ``2026-11-30`` (by ``kind``) → that period; anything else
    raises ValueError saying what was wrong and how to write it."""
    pattern = {PeriodKind.MONTH: MONTH, PeriodKind.WEEK: WEEK, PeriodKind.DAY: DAY}[kind]
    match = pattern.match(text.strip())
    if not match:
        raise ValueError(f"{shown(text)} is not a {kind.value}; write it as {SHAPES[kind]}")
    year, number, *day = (int(part) for part in match.groups())
    problem = _out_of_range(kind, year, number, day[0] if day else 1)
    if problem:
        raise ValueError(f"{shown(text)} is not a {kind.value}: {problem}")
    if kind is PeriodKind.WEEK:
        return Period(kind, date.fromisocalendar(year, number, 1))
    return Period(kind, date(year, number, day[0] if day else 1))


def shown(text: str, limit: int = 40) -> str:
    """``text`` quoted for an error message, its start only when long: the message stays one
    readable line whatever was typed or pasted."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + f"… ({len(text)} characters)"


def _out_of_range(kind: PeriodKind, year: int, number: int, day: int) -> str | None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return f"the year must be from {FIRST_YEAR} to {LAST_YEAR}"
    if kind is PeriodKind.WEEK:
        weeks = date(year, 12, 28).isocalendar()[1]  # 28 December is always in the last week
        return None if 1 <= number <= weeks else f"{year} has ISO weeks W01 to W{weeks}"
    if not 1 <= number <= 12:
        return "the month must be from 01 to 12"
    days = (date(year + number // 12, number % 12 + 1, 1) - timedelta(days=1)).day
    return None if 1 <= day <= days else f"{date(year, number, 1):%B %Y} has {days} days"


def parse_month(text: str) -> Period:
    """``2026-03`` → that month; anything else raises ValueError with what was wrong."""
    try:
        return parse_period(PeriodKind.MONTH, text)
    except ValueError:
        raise ValueError(
            f"--month {text!r} is not a month; write it as {SHAPES[PeriodKind.MONTH]}"
        ) from None


def period_of(kind: PeriodKind, instant: datetime, zone: str) -> Period:
    """The period containing ``instant`` in ``zone``."""
    local = instant.astimezone(ZoneInfo(zone)).date()
    if kind is PeriodKind.DAY:
        return Period(kind, local)
    if kind is PeriodKind.WEEK:
        return Period(kind, local - timedelta(days=local.weekday()))
    return Period(kind, local.replace(day=1))


def within(instant: datetime | None, bounds: tuple[datetime, datetime]) -> bool:
    return instant is not None and bounds[0] <= instant < bounds[1]
