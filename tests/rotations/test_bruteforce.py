"""Brute force: the resolver against the plain wall-clock reference, over years and zones.

Between two consecutive boundaries (shift edges, handoffs, DST changes) the answer cannot
change, so sampling on a grid that contains every boundary checks every instant. The grids:

* the example file (whole-hour offsets and boundaries): every hour of 2025–2028;
* Kolkata, Lord Howe and St John's together (half-hour offsets): every half-hour of 2025–2026;
* a DST-edge rotation per zone (boundaries at 01:30, 01:45, 02:00, 02:15, 02:30, crossing
  midnight, hourly handoffs): every quarter-hour of 2025, and every minute of the day either
  side of each DST change of 2025–2028.

Every rotation is also checked minute by minute for six hours either side of each DST change.
``ROTATION_BRUTE_FORCE_YEARS`` (default 4) sets the number of years from 2025;
``ROTATION_BRUTE_FORCE_FULL=1`` scans the three-zone and DST-edge rotations over all of them.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from supportbot.oncall import LEVELS, Resolver, Rotation, load_rotation, parse_rotation
from tests.rotations.reference import Reference
from tests.rotations.synthetic import EXAMPLE_DIR, edge_rotation, three_zone_rotation

YEARS = int(os.environ.get("ROTATION_BRUTE_FORCE_YEARS", "4"))
FULL = os.environ.get("ROTATION_BRUTE_FORCE_FULL", "") == "1"
START = datetime(2025, 1, 1, tzinfo=UTC)
END = datetime(2025 + YEARS, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)

EDGE_ZONES = {
    "Australia/Lord_Howe": ("AU", "NSW"),
    "America/St_Johns": ("CA", "NL"),
    "America/Chicago": ("US", "TX"),
    "Europe/Dublin": ("IE", None),
}


def _compare(
    rotation: Rotation, resolver: Resolver, start: datetime, end: datetime, step: timedelta
) -> int:
    mismatches = []
    checked = 0
    for moment, expected in Reference(rotation).scan(start, end, step):
        for level in LEVELS:
            got = resolver.on_call(moment, level)
            answer = (
                got.covered_by,
                got.primary.key if got.primary else None,
                got.secondary.key if got.secondary else None,
            )
            if answer != expected[level]:
                mismatches.append(
                    f"{moment.isoformat()} {level}: got {answer}, want {expected[level]}"
                )
        checked += 1
    assert not mismatches, f"{len(mismatches)} mismatches, first:\n" + "\n".join(mismatches[:8])
    return checked


def _transitions(rotation: Rotation) -> list[datetime]:
    """Instants (to the quarter-hour) at which a region's zone changes its UTC offset."""
    zones = [ZoneInfo(name) for name in sorted({r.time_zone for r in rotation.regions})]

    def offsets(moment: datetime) -> list[timedelta | None]:
        return [moment.astimezone(z).utcoffset() for z in zones]

    found = []
    moment = START
    while moment < END:  # hour by hour, then quarter-hours inside an hour that changed
        if offsets(moment) != offsets(moment + timedelta(hours=1)):
            quarter = moment
            while offsets(quarter) == offsets(moment):
                quarter += timedelta(minutes=15)
            found.append(quarter)
        moment += timedelta(hours=1)
    return found


def _check(
    rotation: Rotation, step: timedelta, *, full_until: datetime = END, around: timedelta
) -> None:
    resolver = Resolver(rotation)
    checked = _compare(rotation, resolver, START, full_until, step)
    assert checked == (full_until - START) // step
    changes = _transitions(rotation)
    for change in changes:
        _compare(rotation, resolver, change - around, change + around, MINUTE)


@pytest.fixture(scope="module")
def example() -> Rotation:
    return load_rotation(EXAMPLE_DIR)


def test_example_file(example: Rotation) -> None:
    assert len(_transitions(example)) == 4 * YEARS  # Chicago and Dublin, twice a year
    _check(example, timedelta(hours=1), around=timedelta(hours=6))


def test_example_file_with_priority(example: Rotation) -> None:
    ranked = example.model_copy(update={"priority": ("EMEA", "Americas", "Asia-Pacific")})
    _check(ranked, timedelta(hours=1), around=timedelta(hours=6))


def test_kolkata_lord_howe_st_johns() -> None:
    rotation = parse_rotation(three_zone_rotation(), "three-zones.yaml")
    full_until = END if FULL else min(END, datetime(2027, 1, 1, tzinfo=UTC))
    _check(rotation, timedelta(minutes=30), full_until=full_until, around=timedelta(hours=6))


@pytest.mark.parametrize("zone", sorted(EDGE_ZONES))
def test_dst_edge_rotation(zone: str) -> None:
    country, subdivision = EDGE_ZONES[zone]
    rotation = parse_rotation(edge_rotation(zone, country, subdivision), f"edge-{zone}.yaml")
    full_until = END if FULL else min(END, datetime(2026, 1, 1, tzinfo=UTC))
    _check(rotation, timedelta(minutes=15), full_until=full_until, around=timedelta(days=1))


def test_edge_rotation_without_dst_in_kolkata() -> None:
    rotation = parse_rotation(edge_rotation("Asia/Kolkata", "IN", None), "edge-kolkata.yaml")
    _check(
        rotation,
        timedelta(minutes=15),
        full_until=datetime(2025, 4, 1, tzinfo=UTC),
        around=timedelta(0),
    )
