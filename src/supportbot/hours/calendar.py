"""Time bases for SLA clocks: the 24x7 wall clock and a customer's business hours.

SLA targets count either plain elapsed time or business time: local wall-clock hours on working
days, minus the customer's regional holidays. Every datetime going in or out is aware UTC; local
time (``zoneinfo``) is used only to decide which instants are open.

The rule, also for daylight-saving changes: an instant is open when its local wall-clock time
falls on an open local date (a listed weekday that is not a holiday) and within ``[start, end)``.
So a window is 09:00-17:00 local whatever the UTC offset, and at the rare window that touches a
transition:

* spring-forward gap: local times that never happen are not open. A window that starts in the
  gap opens at the transition; one that ends in the gap closes at the transition (it is shorter).
* fall-back fold: local times that happen twice are open both times. A window spanning the fold
  is longer; a window whose end falls inside the fold closes at the end's first occurrence and
  reopens for the repeated part before it, exactly as a minute-by-minute wall clock would say.

Windows are computed per local day (cached), so adding 15 business days walks ~21 days, never
minutes. Assumption: a zone changes its offset at most in one direction within one window,
which holds for every zone in tzdata since 1970.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import groupby
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

import holidays as holidays_lib
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from supportbot.hours.days import DAY_NAMES, check_zone, parse_days

_MAX_CLOSED_DAYS = 400  # a calendar closed this long is a configuration error, not a deadline
_WINDOW_CACHE_SIZE = 4096
Window = tuple[datetime, datetime]


def aware_utc(value: datetime, name: str = "datetime") -> datetime:
    """Return ``value`` in UTC; refuse naive values, which are DST bugs waiting to happen."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{name} {value.isoformat()} is naive; pass a timezone-aware UTC datetime, "
            "e.g. datetime(2025, 3, 7, 17, 30, tzinfo=UTC)"
        )
    return value.astimezone(UTC)


def _check_duration(duration: timedelta) -> None:
    if not isinstance(duration, timedelta):
        raise TypeError(f"duration must be a timedelta, got {type(duration).__name__}")
    if duration < timedelta(0):
        raise ValueError(f"duration must not be negative, got {duration}")


@lru_cache(maxsize=1024)
def holiday_dates(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """The closed dates of one calendar year; cached because every window asks."""
    return frozenset(holidays_lib.country_holidays(country, subdiv=subdivision, years=year))


class HolidayCalendar(BaseModel):
    """A regional holiday calendar from the ``holidays`` package, e.g. IE, or GB with SCT."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    country: str
    subdivision: str | None = None

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str) -> str:
        code = value.strip().upper()
        try:
            holidays_lib.country_holidays(code)
        except NotImplementedError:
            known = sorted(holidays_lib.list_supported_countries())
            close = difflib.get_close_matches(code, known, n=5) or ["GB", "IE", "US", "SG", "IN"]
            raise ValueError(
                f"unknown holiday country {value!r}: use an ISO 3166-1 alpha-2 code that the "
                f"`holidays` package supports, e.g. {', '.join(close)}"
            ) from None
        return code

    @field_validator("subdivision")
    @classmethod
    def _known_subdivision(cls, value: str | None, info: ValidationInfo) -> str | None:
        country = info.data.get("country")
        if value is None or country is None:
            return value
        for candidate in (value.strip(), value.strip().upper()):
            try:
                holidays_lib.country_holidays(country, subdiv=candidate)
            except NotImplementedError:
                continue
            return candidate
        valid = holidays_lib.list_supported_countries().get(country, [])
        if not valid:
            raise ValueError(
                f"holiday country {country} has no subdivisions; remove subdivision {value!r}"
            )
        shown = ", ".join(valid[:25]) + (", ..." if len(valid) > 25 else "")
        raise ValueError(
            f"unknown subdivision {value!r} for holiday country {country}: use one of {shown}"
        )

    def dates(self, year: int) -> frozenset[date]:
        return holiday_dates(self.country, self.subdivision, year)

    def describe(self) -> str:
        return self.country + (f"-{self.subdivision}" if self.subdivision else "")


class BusinessHours(BaseModel):
    """A customer's business hours: local wall-clock hours on working days, minus holidays."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timezone: str
    days: list[str] = Field(default_factory=lambda: list(DAY_NAMES[:5]))
    start: time = time(9, 0)
    end: time = time(17, 0)
    holidays: HolidayCalendar | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return check_zone(value)

    @field_validator("days")
    @classmethod
    def _known_days(cls, value: list[str]) -> list[str]:
        return parse_days(value)

    @field_validator("start", "end")
    @classmethod
    def _local_time(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("give a local wall-clock time without an offset; `timezone` sets it")
        return value

    @model_validator(mode="after")
    def _end_after_start(self) -> BusinessHours:
        if self.end <= self.start:
            raise ValueError(
                f"end {self.end:%H:%M} must be later than start {self.start:%H:%M}; "
                "windows that cross midnight are not supported"
            )
        return self

    def describe(self) -> str:
        text = f"business hours {_hhmm(self.start)}–{_hhmm(self.end)} {_day_ranges(self.days)}"
        text += f" {self.timezone}"
        return text + (f", holidays {self.holidays.describe()}" if self.holidays else "")


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def _day_ranges(days: list[str]) -> str:
    """Compress [mon, tue, wed, fri] to "Mon–Wed, Fri"."""
    indices = sorted(DAY_NAMES.index(day) for day in days)
    parts = []
    for _, run in groupby(enumerate(indices), key=lambda pair: pair[1] - pair[0]):
        names = [DAY_NAMES[index].title() for _, index in run]
        parts.append(names[0] if len(names) == 1 else f"{names[0]}–{names[-1]}")
    return ", ".join(parts)


@runtime_checkable
class TimeBasis(Protocol):
    """How an SLA clock counts time: wall clock or business hours."""

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant at which ``duration`` of counted time has passed since ``start``."""
        ...

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Counted time in ``[a, b)``; negative when ``b`` is before ``a``."""
        ...

    def next_opening(self, t: datetime) -> datetime:
        """When the clock next runs: ``t`` itself when it is running at ``t``."""
        ...

    def business_day_length(self) -> timedelta:
        """What "one business day" means on this basis."""
        ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class WallClock:
    """24x7: plain arithmetic in UTC. A business day is a calendar day of 24 hours here."""

    def add(self, start: datetime, duration: timedelta) -> datetime:
        _check_duration(duration)
        return aware_utc(start, "start") + duration

    def between(self, a: datetime, b: datetime) -> timedelta:
        return aware_utc(b, "b") - aware_utc(a, "a")

    def is_open(self, t: datetime) -> bool:
        aware_utc(t, "t")
        return True

    def next_opening(self, t: datetime) -> datetime:
        return aware_utc(t, "t")

    def business_day_length(self) -> timedelta:
        return timedelta(days=1)

    def describe(self) -> str:
        return "24x7 wall clock"


class BusinessCalendar:
    """Business time on a customer's hours; see the module docstring for the DST rule."""

    def __init__(self, hours: BusinessHours) -> None:
        self.hours = hours
        self._zone = ZoneInfo(hours.timezone)
        self._weekdays = frozenset(DAY_NAMES.index(day) for day in hours.days)
        self._windows: dict[date, tuple[Window, ...]] = {}

    def __repr__(self) -> str:
        return f"BusinessCalendar({self.describe()!r})"

    def describe(self) -> str:
        return self.hours.describe()

    def business_day_length(self) -> timedelta:
        """The nominal length of a day's window (end - start), whatever DST does that day."""
        return datetime.combine(date.min, self.hours.end) - datetime.combine(
            date.min, self.hours.start
        )

    def is_open_day(self, day: date) -> bool:
        """A listed weekday that is not a holiday."""
        if day.weekday() not in self._weekdays:
            return False
        calendar = self.hours.holidays
        return calendar is None or day not in calendar.dates(day.year)

    def is_open(self, t: datetime) -> bool:
        local = aware_utc(t, "t").astimezone(self._zone)
        return self.is_open_day(local.date()) and self.hours.start <= local.time() < self.hours.end

    def windows(self, day: date) -> tuple[Window, ...]:
        """The open UTC intervals of one local date: usually one, none on closed days."""
        cached = self._windows.get(day)
        if cached is None:
            cached = self._compute_windows(day) if self.is_open_day(day) else ()
            if len(self._windows) >= _WINDOW_CACHE_SIZE:
                self._windows.clear()
            self._windows[day] = cached
        return cached

    def next_opening(self, t: datetime) -> datetime:
        for start, _ in self._iter_windows(aware_utc(t, "t")):
            return start
        raise AssertionError("unreachable: _iter_windows never ends")  # pragma: no cover

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """Count ``duration`` of business time from ``start``; a closed start waits for opening.

        The result is the end of the last counted instant, so 8 hours from 09:00 is 17:00 the
        same day, not 09:00 the next.
        """
        _check_duration(duration)
        cursor = aware_utc(start, "start")
        if not duration:
            return cursor
        remaining = duration
        for window_start, window_end in self._iter_windows(cursor):
            span = window_end - window_start
            if remaining <= span:
                return window_start + remaining
            remaining -= span
        raise AssertionError("unreachable: _iter_windows never ends")  # pragma: no cover

    def between(self, a: datetime, b: datetime) -> timedelta:
        a, b = aware_utc(a, "a"), aware_utc(b, "b")
        if b < a:
            return -self.between(b, a)
        total = timedelta(0)
        if a == b:
            return total
        for window_start, window_end in self._iter_windows(a):
            if window_start >= b:
                break
            total += min(window_end, b) - window_start
        return total

    def _iter_windows(self, t: datetime) -> Iterator[Window]:
        """Open windows from ``t`` onwards, the first clipped to start at ``t``."""
        # Start a day early: instants just after local midnight can belong to the day before
        # when a fold crosses midnight.
        day = t.astimezone(self._zone).date() - timedelta(days=1)
        closed_run = 0
        while True:
            windows = self.windows(day)
            for window_start, window_end in windows:
                if window_end > t:
                    yield max(window_start, t), window_end
            closed_run = 0 if windows else closed_run + 1
            if closed_run > _MAX_CLOSED_DAYS:
                raise ValueError(
                    f"{self.describe()} has no open time for {_MAX_CLOSED_DAYS} days after "
                    f"{t.isoformat()}; check its days and holidays"
                )
            day += timedelta(days=1)

    def _compute_windows(self, day: date) -> tuple[Window, ...]:
        """UTC instants whose local time lies in [start, end) on ``day``, exact to the µs.

        Between consecutive offset changes local time is UTC + offset, so each piece of the
        window is an interval; an ordinary day has one piece and costs a few conversions.
        """
        local_start = datetime.combine(day, self.hours.start)
        local_end = datetime.combine(day, self.hours.end)
        candidates = [
            moment.replace(tzinfo=self._zone, fold=fold).astimezone(UTC)
            for moment in (local_start, local_end)
            for fold in (0, 1)
        ]
        low, high = min(candidates), max(candidates)
        pieces: list[Window] = []
        segment_start = low
        while segment_start < high:
            offset = self._offset(segment_start)
            segment_end = self._offset_change(segment_start, high, offset)
            piece_start = max(segment_start, (local_start - offset).replace(tzinfo=UTC))
            piece_end = min(segment_end, (local_end - offset).replace(tzinfo=UTC))
            if piece_start < piece_end:
                if pieces and pieces[-1][1] == piece_start:
                    pieces[-1] = (pieces[-1][0], piece_end)
                else:
                    pieces.append((piece_start, piece_end))
            segment_start = segment_end
        return tuple(pieces)

    def _offset(self, instant: datetime) -> timedelta:
        offset = instant.astimezone(self._zone).utcoffset()
        assert offset is not None  # a ZoneInfo always has an offset for an aware instant
        return offset

    def _offset_change(self, low: datetime, high: datetime, offset: timedelta) -> datetime:
        """First instant in (low, high] with a different offset, or ``high`` if none."""
        if self._offset(high) == offset:
            return high
        step = timedelta(microseconds=1)
        while high - low > step:
            middle = low + (high - low) // 2
            if self._offset(middle) == offset:
                low = middle
            else:
                high = middle
        return high
