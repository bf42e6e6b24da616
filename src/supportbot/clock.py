"""The one clock.

Every "now" in supportbot comes from here so that tests, the demo and benchmarks can travel
in time. All values are timezone-aware UTC.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time, as aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class TravelClock:
    """A clock tests move by hand; it never moves by itself unless ``ticking`` is set.

    With ``ticking=True`` it runs at real speed from the instant it was set, which is what a
    scenario with a real worker and real HTTP servers needs.
    """

    def __init__(self, start: datetime, *, ticking: bool = False) -> None:
        self._lock = threading.Lock()
        self._ticking = ticking
        self._set(start)

    def _set(self, at: datetime) -> None:
        require_aware(at)
        self._base = at.astimezone(UTC)
        self._real_base = datetime.now(UTC)

    def now(self) -> datetime:
        with self._lock:
            if self._ticking:
                return self._base + (datetime.now(UTC) - self._real_base)
            return self._base

    def set(self, at: datetime) -> None:
        with self._lock:
            self._set(at)

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._set(self.now_unlocked() + delta)
            return self._base

    def now_unlocked(self) -> datetime:
        if self._ticking:
            return self._base + (datetime.now(UTC) - self._real_base)
        return self._base


def require_aware(value: datetime) -> datetime:
    """Refuse naive datetimes: a naive time in a pager is a bug waiting for a DST change."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()} given; use an aware UTC time")
    return value


def as_utc(value: datetime) -> datetime:
    """Normalise an aware datetime to UTC; naive values from SQLite are UTC by construction."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


_clock: Clock = SystemClock()


def get_clock() -> Clock:
    return _clock


def set_clock(clock: Clock) -> Clock:
    """Install a clock for this process and return the previous one."""
    global _clock
    previous, _clock = _clock, clock
    return previous


def now() -> datetime:
    return _clock.now()
