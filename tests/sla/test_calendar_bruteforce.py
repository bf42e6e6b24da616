"""BusinessCalendar against a plain minute-by-minute reference, across zones, years and DST.

The reference knows nothing about windows or offsets: it converts each UTC minute to local time
and asks "is this minute open?". Start instants and durations are a seeded random sample, half
of them in the weeks around each zone's DST changes, with business hours that often straddle
the change. Scale up with ``SLA_BRUTE_FORCE_SAMPLES=500 pytest tests/sla``.
"""

from __future__ import annotations

import os
import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from supportbot.hours.calendar import BusinessCalendar, BusinessHours
from supportbot.hours.days import DAY_NAMES

SAMPLES = int(os.environ.get("SLA_BRUTE_FORCE_SAMPLES", "32"))
YEARS = range(2024, 2028)
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)

CASES = [
    ("Europe/Dublin", "IE", None),
    ("America/New_York", "US", "NY"),
    ("Asia/Singapore", "SG", None),
    ("Asia/Kolkata", "IN", None),
    ("Australia/Lord_Howe", "AU", "NSW"),
    ("America/St_Johns", "CA", "NL"),
    ("Pacific/Chatham", "NZ", "CIT"),
    ("Europe/London", "GB", "SCT"),
]


class Reference:
    """Minute-by-minute business time, written as plainly as possible."""

    def __init__(self, hours: BusinessHours) -> None:
        self.zone = ZoneInfo(hours.timezone)
        self.weekdays = {DAY_NAMES.index(day) for day in hours.days}
        self.start, self.end = hours.start, hours.end
        cal = hours.holidays
        self.holidays = (
            holidays.country_holidays(cal.country, subdiv=cal.subdivision) if cal else {}
        )
        self.open_days: dict[date, bool] = {}

    def is_open(self, instant: datetime) -> bool:
        local = instant.astimezone(self.zone)
        day = local.date()
        if day not in self.open_days:
            self.open_days[day] = day.weekday() in self.weekdays and day not in self.holidays
        return self.open_days[day] and self.start <= local.time() < self.end

    def add_minutes(self, start: datetime, minutes: int) -> datetime:
        instant, counted = start, 0
        while counted < minutes:
            if self.is_open(instant):
                counted += 1
            instant += MINUTE
        return instant

    def minutes_between(self, a: datetime, b: datetime) -> int:
        count, instant = 0, a
        while instant < b:
            count += self.is_open(instant)
            instant += MINUTE
        return count

    def next_opening(self, instant: datetime) -> datetime:
        while not self.is_open(instant):
            instant += MINUTE
        return instant

    def add_seconds(self, start: datetime, seconds: int) -> datetime:
        """Second by second while open; a closed minute is skipped whole (hours are on minutes)."""
        instant, counted = start, 0
        while counted < seconds:
            if self.is_open(instant):
                counted += 1
                instant += SECOND
            else:
                instant = instant.replace(second=0) + MINUTE
        return instant


def dst_changes(zone_name: str) -> list[datetime]:
    """Midnights (UTC) of days whose UTC offset differs from the day before."""
    zone, found = ZoneInfo(zone_name), []
    day = datetime(YEARS[0], 1, 1, tzinfo=UTC)
    previous = day.astimezone(zone).utcoffset()
    while day.year <= YEARS[-1]:
        day += timedelta(days=1)
        offset = day.astimezone(zone).utcoffset()
        if offset != previous:
            found.append(day)
        previous = offset
    return found


def random_hours(rng: random.Random, zone: str, country: str, subdivision: str | None):
    """Default hours, hours over the small hours (where DST changes happen), or anything."""
    kind = rng.random()
    if kind < 0.3:
        start, end, days = time(9), time(17), list(DAY_NAMES[:5])
    elif kind < 0.7:  # every day, opening or closing in the hours where offsets change
        first = rng.randrange(0, 4 * 60, 15)
        last = rng.randrange(first + 15, 6 * 60, 15)
        start, end, days = time(*divmod(first, 60)), time(*divmod(last, 60)), list(DAY_NAMES)
    else:
        first = rng.randrange(0, 23 * 60)
        last = rng.randrange(first + 1, 24 * 60)
        start, end = time(*divmod(first, 60)), time(*divmod(last, 60))
        days = rng.sample(DAY_NAMES, rng.randint(2, 7))
    calendar = {"country": country, "subdivision": subdivision} if rng.random() < 0.8 else None
    return BusinessHours(timezone=zone, days=days, start=start, end=end, holidays=calendar)


def random_start(rng: random.Random, changes: list[datetime]) -> datetime:
    if changes and rng.random() < 0.5:
        return rng.choice(changes) + timedelta(minutes=rng.randrange(-2 * 1440, 1440))
    first = datetime(YEARS[0], 1, 1, tzinfo=UTC)
    return first + timedelta(minutes=rng.randrange(len(YEARS) * 365 * 1440))


def random_minutes(rng: random.Random, hours: BusinessHours) -> int:
    day = int(BusinessCalendar(hours).business_day_length() / MINUTE)
    roll = rng.random()
    if roll < 0.5:
        return rng.randint(1, day)
    if roll < 0.9:
        return rng.randint(day, 5 * day)
    return rng.randint(5 * day, 15 * day)


@pytest.mark.parametrize(("zone", "country", "subdivision"), CASES)
def test_add_and_between_match_minute_by_minute(zone, country, subdivision):
    rng = random.Random(f"add-{zone}")
    changes = dst_changes(zone)
    for _ in range(SAMPLES):
        hours = random_hours(rng, zone, country, subdivision)
        calendar, reference = BusinessCalendar(hours), Reference(hours)
        start = random_start(rng, changes)
        minutes = rng.choice([random_minutes(rng, hours), rng.randint(1, 90)])
        expected = reference.add_minutes(start, minutes)
        context = f"{hours.describe()} from {start.isoformat()} + {minutes} min"
        assert calendar.add(start, minutes * MINUTE) == expected, context
        assert calendar.between(start, expected) == minutes * MINUTE, context

        other = start + timedelta(minutes=rng.randrange(0, 6 * 1440))
        counted = reference.minutes_between(start, other)
        assert calendar.between(start, other) == counted * MINUTE, f"{context} to {other}"
        assert calendar.between(other, start) == -counted * MINUTE

        assert calendar.next_opening(start) == reference.next_opening(start), context


@pytest.mark.parametrize(("zone", "country", "subdivision"), CASES)
def test_windows_on_every_dst_change_day_match_reference(zone, country, subdivision):
    """Every offset change of 2024-2027, with hours that open or close in the changing hour."""
    rng = random.Random(f"windows-{zone}")
    changes = dst_changes(zone) or [datetime(2025, 1, 1, tzinfo=UTC)]
    for change in changes:
        low, high = change - timedelta(days=2), change + timedelta(days=1)
        for _ in range(3):
            first = rng.randrange(0, 4 * 60, 15)
            last = rng.randrange(first + 15, 6 * 60, 15)
            hours = BusinessHours(
                timezone=zone,
                days=list(DAY_NAMES),
                start=time(*divmod(first, 60)),
                end=time(*divmod(last, 60)),
            )
            calendar, reference = BusinessCalendar(hours), Reference(hours)
            expected, instant = set(), low
            while instant < high:
                if reference.is_open(instant):
                    expected.add(instant)
                instant += MINUTE
            actual = set()
            day = low.astimezone(ZoneInfo(zone)).date() - timedelta(days=1)
            while day <= high.astimezone(ZoneInfo(zone)).date():
                for window_start, window_end in calendar.windows(day):
                    instant = window_start
                    while instant < window_end:
                        if low <= instant < high:
                            actual.add(instant)
                        instant += MINUTE
                day += timedelta(days=1)
            assert actual == expected, f"{hours.describe()} around {change.date()}"


@pytest.mark.parametrize(("zone", "country", "subdivision"), CASES)
def test_is_open_matches_reference_around_dst_changes(zone, country, subdivision):
    rng = random.Random(f"open-{zone}")
    changes = dst_changes(zone) or [datetime(2025, 1, 1, tzinfo=UTC)]
    for _ in range(max(1, SAMPLES // 4)):
        hours = random_hours(rng, zone, country, subdivision)
        calendar, reference = BusinessCalendar(hours), Reference(hours)
        change = rng.choice(changes)
        instant = change - timedelta(days=1)
        while instant < change + timedelta(days=2):
            assert calendar.is_open(instant) == reference.is_open(instant), instant
            instant += timedelta(minutes=7)


@pytest.mark.parametrize(("zone", "country", "subdivision"), CASES)
def test_add_is_exact_to_the_second(zone, country, subdivision):
    rng = random.Random(f"seconds-{zone}")
    changes = dst_changes(zone)
    for _ in range(max(1, SAMPLES // 3)):
        hours = random_hours(rng, zone, country, subdivision)
        calendar, reference = BusinessCalendar(hours), Reference(hours)
        start = random_start(rng, changes) + timedelta(seconds=rng.randrange(60))
        seconds = rng.randint(1, 3 * 3600)
        expected = reference.add_seconds(start, seconds)
        context = f"{hours.describe()} from {start.isoformat()} + {seconds} s"
        assert calendar.add(start, seconds * SECOND) == expected, context
        assert calendar.between(start, expected) == seconds * SECOND, context
