"""Brute force: shift reminder instants against the plain wall-clock reference, across DST in
the regions' zones and several years, planned the way the reconciler plans them.

The reference (tests/rotations/reference.py) watches each office's clock and says who holds
each slot at every grid instant; a shift starts where a slot's holder changes to someone.
The planner's passes (each covering ``(t, t + PLAN_AHEAD]``, every 15 minutes) must find
exactly those starts, each under one key, with its reminder due exactly 3,600 s before the
start (an hour of real time, whatever the clocks did) and shown at the local wall time the
office clock read.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from supportbot.oncall import LEVELS, Resolver, Rotation, load_rotation, parse_rotation
from supportbot.oncall.feed import Shift
from supportbot.oncall.lookup import team_zone
from supportbot.oncall.reminders import LEAD, PLAN_AHEAD, shift_starts, weekly_instants
from supportbot.oncall.shift_notes import reminder
from supportbot.oncall.wallclock import zone
from tests.rotations.reference import Reference
from tests.rotations.synthetic import EXAMPLE_DIR, edge_rotation

Start = tuple[str, str, str, datetime]  # person, level, slot, instant


def reference_starts(
    rotation: Rotation, start: datetime, end: datetime, step: timedelta
) -> set[Start]:
    found: set[Start] = set()
    previous: dict[str, tuple[str | None, str | None, str | None]] | None = None
    for moment, expected in Reference(rotation).scan(start, end, step):
        if previous is not None:
            for level in LEVELS:
                for index, slot in ((1, "primary"), (2, "secondary")):
                    person = expected[level][index]
                    if person is not None and person != previous[level][index]:
                        found.add((person, level, slot, moment))
        previous = expected
    return found


def planned(found: Resolver, start: datetime, end: datetime) -> set[Start]:
    """What the reconciler's passes every 15 minutes plan over ``[start, end)``, with each key
    written once (as the unique key of a RotaDm row does)."""
    keys: dict[str, Start] = {}
    moment = start
    while moment < end:
        for shift in shift_starts(found, moment, min(moment + PLAN_AHEAD, end)):
            if shift.at >= end:
                continue  # the reference scans [start, end)
            assert shift.due == shift.at - LEAD
            assert (shift.at - shift.due).total_seconds() == 3600
            keys.setdefault(shift.key, (shift.person, shift.level, shift.slot, shift.at))
        moment += timedelta(minutes=15)
    return set(keys.values())


def _check(rotation: Rotation, windows: list[tuple[datetime, datetime]], step: timedelta) -> int:
    found = Resolver(rotation)
    total = 0
    for start, end in windows:
        want = reference_starts(rotation, start, end, step)
        got = planned(found, start, end)
        assert got == want, (
            f"{start:%Y-%m-%d}: missing {sorted(want - got)[:4]}, extra {sorted(got - want)[:4]}"
        )
        total += len(want)
        for person, level, slot, at in sorted(got)[:50]:
            answer = found.on_call(at, level)  # type: ignore[arg-type]
            local = at.astimezone(team_zone(found, answer.covered_by))
            shift = Shift(person, level, slot, answer.covered_by, "roster", at, answer.shift_end)  # type: ignore[arg-type]
            text = reminder(found, shift, at - LEAD, [])
            assert f" at {local:%H:%M} " in text and text.endswith("in 1 h; open: none")
    return total


def _dst_days(zone_name: str, years: range) -> list[tuple[datetime, datetime]]:
    """A day and a half either side of each offset change of the zone, per year."""
    tz = zone(zone_name)
    windows = []
    for year in years:
        moment = datetime(year, 1, 1, tzinfo=UTC)
        while moment.year == year:
            nxt = moment + timedelta(hours=1)
            if moment.astimezone(tz).utcoffset() != nxt.astimezone(tz).utcoffset():
                windows.append((moment - timedelta(hours=36), moment + timedelta(hours=36)))
            moment = nxt
    return windows


def test_example_rotation_every_hour_of_three_years() -> None:
    rotation = load_rotation(EXAMPLE_DIR)
    windows = [
        (datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC))
        for year in (2025, 2026, 2027)
    ]
    # Three regions x 3 levels x working days, plus the fallback's nights and weekends.
    assert _check(rotation, windows, timedelta(hours=1)) > 3 * 2000


@pytest.mark.parametrize(
    "zone_name, country, subdivision",
    [
        ("Europe/Dublin", "IE", None),
        ("America/Chicago", "US", "TX"),
        ("Australia/Lord_Howe", "AU", "NSW"),  # a 30-minute DST change
        ("America/St_Johns", "CA", "NL"),
    ],
)
def test_dst_edge_rotation_around_every_change_of_four_years(
    zone_name: str, country: str, subdivision: str | None
) -> None:
    """Boundaries at 01:30, 01:45, 02:00, 02:15, 02:30 and hourly handoffs, each DST day."""
    rotation = parse_rotation(edge_rotation(zone_name, country, subdivision), "edge.yaml")
    windows = _dst_days(zone_name, range(2025, 2029))
    assert len(windows) == 8
    assert _check(rotation, windows, timedelta(minutes=15)) > 8 * 20


def test_weekly_summary_is_sunday_at_17_local_once_a_week_over_four_years() -> None:
    for name in ("Europe/Dublin", "America/Chicago", "Asia/Singapore", "Australia/Lord_Howe"):
        tz = zone(name)
        start, end = datetime(2025, 1, 1, tzinfo=UTC), datetime(2029, 1, 1, tzinfo=UTC)
        got: list[datetime] = []
        moment = start
        while moment < end:  # passes of 2 h, as the planner looks ahead
            got += weekly_instants(tz, moment, moment + timedelta(hours=2))
            moment += timedelta(hours=2)
        # Naive reference: every minute-free hour whose local reading is Sunday 17:00.
        want = []
        hour = start
        while hour < end:
            local = hour.astimezone(tz)
            if local.weekday() == 6 and (local.hour, local.minute) == (17, 0):
                want.append(hour)
            hour += timedelta(minutes=30)
        assert got == want, name
        assert len(got) in (208, 209)
