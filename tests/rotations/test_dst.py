"""Handoffs follow the local clock across DST: 25-hour and 23-hour days, hourly rotations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from supportbot.oncall import Resolver, handoffs_between, load_rotation, parse_rotation
from tests.rotations.synthetic import EXAMPLE_DIR, fallback_only


def local(zone: str, *parts: int, fold: int = 0) -> datetime:
    year, month, day, hour, minute = (*parts, 0, 0)[:5]
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone), fold=fold).astimezone(
        UTC
    )


def solo(zone: str, rotation: str, handoff: str, count: int = 5) -> Resolver:
    return Resolver(parse_rotation(fallback_only(zone, rotation, handoff, count)))


@pytest.mark.parametrize(
    ("zone", "autumn", "spring"),
    [
        ("America/Chicago", (2025, 11, 1), (2025, 3, 8)),
        ("Europe/Dublin", (2025, 10, 25), (2025, 3, 29)),
        ("Australia/Lord_Howe", (2025, 4, 5), (2025, 10, 4)),  # 30-minute change
        ("America/St_Johns", (2025, 11, 1), (2025, 3, 8)),
    ],
)
def test_daily_handoff_stays_at_eight_local(zone: str, autumn: tuple, spring: tuple) -> None:
    resolver = solo(zone, "daily", "08:00")
    change = {"Australia/Lord_Howe": timedelta(minutes=30)}.get(zone, timedelta(hours=1))
    long_shift = resolver.on_call(local(zone, *autumn, 20), "L1")
    assert long_shift.shift_start == local(zone, *autumn, 8)
    assert long_shift.shift_end == local(zone, *autumn, 8) + timedelta(days=1) + change
    assert long_shift.shift_end.astimezone(ZoneInfo(zone)).hour == 8
    short_shift = resolver.on_call(local(zone, *spring, 20), "L1")
    assert short_shift.shift_end - short_shift.shift_start == timedelta(days=1) - change
    assert short_shift.shift_end.astimezone(ZoneInfo(zone)).hour == 8


def test_example_handoffs_stay_at_eight_local_through_march() -> None:
    resolver = Resolver(load_rotation(EXAMPLE_DIR))
    handoffs = handoffs_between(
        resolver, datetime(2025, 3, 3, tzinfo=UTC), datetime(2025, 4, 5, tzinfo=UTC)
    )
    zones = {
        "Americas": "America/Chicago",
        "EMEA": "Europe/Dublin",
        "Asia-Pacific": "Asia/Singapore",
    }
    into_regions = [h for h in handoffs if h.to_region in zones]
    assert into_regions
    for handoff in into_regions:
        reading = handoff.at.astimezone(ZoneInfo(zones[str(handoff.to_region)]))
        assert (reading.hour, reading.minute) == (8, 0), handoff.describe()
    # Austin opens at 14:00 UTC before 9 March and at 13:00 UTC after it.
    austin = sorted({h.at.hour for h in into_regions if h.to_region == "Americas"})
    assert austin == [13, 14]


def test_hourly_rotation_skips_the_missing_hour() -> None:
    zone = "America/Chicago"
    resolver = solo(zone, "hourly", "00:00")
    day_start, day_end = local(zone, 2025, 3, 9, 0), local(zone, 2025, 3, 10, 0)
    handoffs = handoffs_between(resolver, day_start, day_end)
    assert day_end - day_start == timedelta(hours=23)
    assert len(handoffs) == 23  # 01:00, 03:00 … 23:00 and the next midnight
    readings = [h.at.astimezone(ZoneInfo(zone)).hour for h in handoffs]
    assert readings == [1, *range(3, 24), 0]
    before = resolver.on_call(local(zone, 2025, 3, 9, 1, 30), "L1").primary
    after = resolver.on_call(local(zone, 2025, 3, 9, 3, 0), "L1").primary
    people = [f"p{n}" for n in range(1, 6)]
    assert before and after
    assert people.index(after.key) == (people.index(before.key) + 2) % 5  # 02:00's turn is gone
    next_day = resolver.on_call(local(zone, 2025, 3, 10, 1, 30), "L1").primary
    assert next_day and people.index(next_day.key) == (people.index(before.key) + 24) % 5


def test_hourly_rotation_adds_no_handoff_when_clocks_go_back() -> None:
    zone = "America/Chicago"
    resolver = solo(zone, "hourly", "00:00")
    day_start, day_end = local(zone, 2025, 11, 2, 0), local(zone, 2025, 11, 3, 0)
    handoffs = handoffs_between(resolver, day_start, day_end)
    assert day_end - day_start == timedelta(hours=25)
    assert len(handoffs) == 24
    one_am = resolver.on_call(local(zone, 2025, 11, 2, 1, 30), "L1")
    assert one_am.shift_end - one_am.shift_start == timedelta(hours=2)
    repeated = resolver.on_call(local(zone, 2025, 11, 2, 1, 30, fold=1), "L1")
    assert repeated.primary == one_am.primary


def test_hourly_rotation_with_a_thirty_minute_change() -> None:
    zone = "Australia/Lord_Howe"  # 02:00 → 02:30 in October, 02:00 → 01:30 in April
    resolver = solo(zone, "hourly", "00:00")
    squeezed = resolver.on_call(local(zone, 2025, 10, 5, 2, 45), "L1")
    assert squeezed.shift_end - squeezed.shift_start == timedelta(minutes=30)
    stretched = resolver.on_call(local(zone, 2025, 4, 6, 1, 15), "L1")
    assert stretched.shift_end - stretched.shift_start == timedelta(minutes=90)


def test_handoff_inside_the_gap_happens_when_the_clock_jumps() -> None:
    zone = "America/Chicago"
    resolver = solo(zone, "daily", "02:30")
    answer = resolver.on_call(local(zone, 2025, 3, 9, 4), "L1")
    assert answer.shift_start == local(zone, 2025, 3, 9, 3, 0)  # 08:00 UTC, the jump


def test_handoff_inside_the_fold_happens_once_at_its_first_occurrence() -> None:
    zone = "America/Chicago"
    resolver = solo(zone, "daily", "01:30")
    first = local(zone, 2025, 11, 2, 1, 30, fold=0)
    handoffs = handoffs_between(resolver, first - timedelta(hours=3), first + timedelta(hours=5))
    assert [h.at for h in handoffs] == [first]
    shift = resolver.on_call(first, "L1")
    assert shift.shift_end - shift.shift_start == timedelta(hours=25)


def test_region_windows_follow_the_local_clock() -> None:
    resolver = Resolver(load_rotation(EXAMPLE_DIR))
    winter = resolver.on_call(datetime(2025, 3, 7, 15, tzinfo=UTC), "L1")
    summer = resolver.on_call(datetime(2025, 3, 10, 14, tzinfo=UTC), "L1")
    assert winter.covered_by == summer.covered_by == "Americas"
    assert winter.shift_start.hour == 14 and summer.shift_start.hour == 13
