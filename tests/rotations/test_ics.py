"""A person's shifts and the iCalendar feed built from them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from supportbot.oncall import Override, Resolver, build_ics, load_rotation, person_shifts
from tests.rotations.synthetic import EXAMPLE_DIR


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    return Resolver(load_rotation(EXAMPLE_DIR))


def test_person_shifts_in_one_week(resolver: Resolver) -> None:
    shifts = person_shifts(resolver, "ana", utc(2025, 3, 3), utc(2025, 3, 10))
    assert [(s.level, s.slot, s.team, s.start, s.end) for s in shifts] == [
        # 3 March: carla primary, ana next in the list → secondary until Singapore opens
        ("L1", "secondary", "Americas", utc(2025, 3, 3, 14), utc(2025, 3, 4)),
        ("L1", "primary", "Americas", utc(2025, 3, 4, 14), utc(2025, 3, 5)),
        ("L1", "secondary", "Americas", utc(2025, 3, 6, 14), utc(2025, 3, 7)),
        ("L1", "primary", "Americas", utc(2025, 3, 7, 14), utc(2025, 3, 8, 2)),  # Friday
    ]
    assert all(s.source == "roster" and s.person == "ana" for s in shifts)


def test_shifts_are_clipped_and_include_overrides(resolver: Resolver) -> None:
    cover = Override("ana", "L3", utc(2025, 3, 8, 12), utc(2025, 3, 8, 18))
    shifts = person_shifts(resolver, "ana", utc(2025, 3, 4, 20), utc(2025, 3, 9), overrides=[cover])
    assert shifts[0].start == utc(2025, 3, 4, 20)
    assert (shifts[-1].level, shifts[-1].source, shifts[-1].team) == (
        "L3",
        "override",
        "Global weekend",
    )
    assert (shifts[-1].start, shifts[-1].end) == (cover.start, cover.end)


def test_fallback_shifts_are_merged_over_the_weekend(resolver: Resolver) -> None:
    shifts = person_shifts(resolver, "diego", utc(2025, 3, 7, 12), utc(2025, 3, 10, 12))
    weekend = [s for s in shifts if s.source == "fallback"]
    assert [(s.level, s.slot, s.start, s.end) for s in weekend] == [
        ("L1", "primary", utc(2025, 3, 8, 2), utc(2025, 3, 10)),
    ]


def test_unknown_person(resolver: Resolver) -> None:
    with pytest.raises(KeyError, match="zed"):
        person_shifts(resolver, "zed", utc(2025, 3, 3), utc(2025, 3, 10))


def test_ics_feed_is_valid_and_stable(resolver: Resolver) -> None:
    start, end = utc(2025, 3, 3), utc(2025, 3, 10)
    body = build_ics(resolver, "ana", start, end)
    assert body == build_ics(resolver, "ana", start, end)  # same data, same bytes
    calendar = Calendar.from_ical(body)
    assert calendar["X-WR-CALNAME"] == "On call: Ana Alvarez"
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 4
    first = events[0]
    assert first["SUMMARY"] == "On call L1 secondary · Americas"
    assert first.decoded("DTSTART") == utc(2025, 3, 3, 14)
    assert first.decoded("DTEND") == utc(2025, 3, 4)
    assert first.decoded("DTSTART").tzinfo is not None
    assert len({str(event["UID"]) for event in events}) == 4
    assert b"BEGIN:VCALENDAR" in body and b"VERSION:2.0" in body


def test_one_year_calendar(resolver: Resolver) -> None:
    start = utc(2025, 1, 1)
    body = build_ics(resolver, "wei", start, start + timedelta(days=365))
    events = list(Calendar.from_ical(body).walk("VEVENT"))
    assert 150 < len(events) < 200  # a third of weekdays primary, a third secondary
