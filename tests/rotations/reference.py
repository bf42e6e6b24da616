"""An independent, deliberately plain reference for "who is on call", for brute-force tests.

It does not use the resolver, its tables or :mod:`supportbot.oncall.wallclock`. It walks
instants in order, like someone watching a wall clock in each team's office:

* The office clock never runs backwards: during a fall-back fold it is held at the highest
  reading seen so far (a running maximum), so a boundary is passed once, at its first
  occurrence; in a spring-forward gap the reading jumps, so a boundary inside the gap is
  passed at the jump.
* A region is on shift when that reading lies in its window on a working day that is not a
  holiday (a window crossing midnight belongs to the day it starts).
* The roster holder is read off the same reading: for a daily handoff at 08:00, before 08:00
  it is yesterday's person.
* Several regions on shift: the ``priority`` list, else the one seen coming on shift last,
  ties to file order. Nobody on shift: the fallback.

This is exact when every boundary and every DST transition falls on the scanning grid (all
the test data uses whole quarter-hours), and the scan starts two days early to warm up.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from supportbot.oncall.model import LEVELS, Level, Region, Roster, Rotation

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Expected = tuple[str | None, str | None, str | None]  # team, primary, secondary


@dataclass
class _Office:
    name: str
    zone: ZoneInfo
    region: Region | None
    rosters: Mapping[Level, Roster]
    reading: datetime | None = None  # running maximum of the local wall clock
    shift_day: date | None = None
    came_on_at: datetime | None = None
    holiday_years: dict[int, set[date]] = field(default_factory=dict)

    def watch(self, instant: datetime) -> None:
        now = instant.astimezone(self.zone).replace(tzinfo=None)
        self.reading = now if self.reading is None or now > self.reading else self.reading
        day = self.current_shift_day()
        if day is not None and day != self.shift_day:
            self.came_on_at = instant
        self.shift_day = day

    def is_working_day(self, day: date) -> bool:
        assert self.region is not None
        if WEEKDAYS[day.weekday()] not in self.region.working_days:
            return False
        calendar = self.region.holidays
        if calendar is None:
            return True
        if day.year not in self.holiday_years:
            found = holidays.country_holidays(
                calendar.country, subdiv=calendar.subdivision, years=day.year
            )
            self.holiday_years[day.year] = set(found)
        return day not in self.holiday_years[day.year]

    def current_shift_day(self) -> date | None:
        if self.region is None:
            return None
        assert self.reading is not None
        today, now = self.reading.date(), self.reading.time()
        start, end = self.region.shift.start, self.region.shift.end
        if start < end:
            return today if start <= now < end and self.is_working_day(today) else None
        if now >= start and self.is_working_day(today):
            return today
        yesterday = today - timedelta(days=1)
        if now < end and self.is_working_day(yesterday):
            return yesterday
        return None

    def holders(self, level: Level) -> tuple[str, str | None]:
        roster = self.rosters[level]
        index = rotation_index(roster, self.reading)  # type: ignore[arg-type]
        primary = roster.primary[index % len(roster.primary)]
        if roster.secondary is not None:
            return primary, roster.secondary[index % len(roster.secondary)]
        if len(roster.primary) > 1:
            return primary, roster.primary[(index + 1) % len(roster.primary)]
        return primary, None


def rotation_index(roster: Roster, reading: datetime) -> int:
    """How many handoffs the office clock has passed since the roster's first one."""
    handoff: time = roster.handoff_time
    if roster.rotation == "daily":
        day = reading.date() if reading.time() >= handoff else reading.date() - timedelta(days=1)
        return (day - roster.start).days
    if roster.rotation == "weekly":
        day = reading.date() if reading.time() >= handoff else reading.date() - timedelta(days=1)
        return (day - roster.start).days // 7
    # hourly, on the handoff minute of each hour
    hours = (reading.date() - roster.start).days * 24 + reading.hour - handoff.hour
    if reading.minute < handoff.minute:
        hours -= 1
    return hours


class Reference:
    def __init__(self, rotation: Rotation) -> None:
        self.rotation = rotation
        self.offices = [
            _Office(region.name, ZoneInfo(region.time_zone), region, region.rosters)
            for region in rotation.regions
        ]
        fallback = rotation.fallback
        self.fallback = (
            _Office(fallback.name, ZoneInfo(fallback.time_zone), None, fallback.rosters)
            if fallback
            else None
        )

    def scan(
        self, start: datetime, end: datetime, step: timedelta
    ) -> Iterator[tuple[datetime, dict[str, Expected]]]:
        """Expected answers at ``start, start + step, …`` before ``end``.

        The offices first watch the two days before ``start`` (at quarter-hours), so that they
        know which shifts are running and when each began."""
        moment = start - timedelta(days=2)
        watched = [*self.offices, *([self.fallback] if self.fallback else [])]
        while moment < end:
            for office in watched:
                office.watch(moment)
            if moment >= start:
                yield moment, {level: self.expected(level) for level in LEVELS}
            moment += step if moment >= start else min(timedelta(minutes=15), start - moment)

    def expected(self, level: Level) -> Expected:
        on_shift = [
            (position, office)
            for position, office in enumerate(self.offices)
            if office.shift_day is not None and level in office.rosters
        ]
        if on_shift:
            priority = self.rotation.priority
            if priority:
                _, office = min(on_shift, key=lambda item: priority.index(item[1].name))
            else:
                latest = max(office.came_on_at for _, office in on_shift)  # type: ignore[type-var]
                _, office = next(item for item in on_shift if item[1].came_on_at == latest)
            return (office.name, *office.holders(level))
        if self.fallback is not None and level in self.fallback.rosters:
            return (self.fallback.name, *self.fallback.holders(level))
        return (None, None, None)
