"""Coverage gaps: every stretch in which a level has nobody on call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from supportbot.oncall import Override, Resolver, coverage_gaps, load_rotation, parse_rotation
from tests.rotations.synthetic import EXAMPLE_DIR, one_region


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_example_file_has_no_gaps_in_90_days() -> None:
    resolver = Resolver(load_rotation(EXAMPLE_DIR))
    assert coverage_gaps(resolver, utc(2025, 1, 1)) == []
    assert coverage_gaps(resolver, utc(2025, 12, 1), days=90) == []


def test_example_without_fallback_l3_has_weekend_and_holiday_gaps() -> None:
    rotation = load_rotation(EXAMPLE_DIR)
    assert rotation.fallback is not None
    fallback = rotation.fallback.model_copy(
        update={"rosters": {k: v for k, v in rotation.fallback.rosters.items() if k != "L3"}}
    )
    resolver = Resolver(rotation.model_copy(update={"fallback": fallback}))
    gaps = coverage_gaps(resolver, utc(2025, 3, 3), days=21)
    assert {gap.level for gap in gaps} == {"L3"}
    assert [(gap.start, gap.end) for gap in gaps] == [
        (utc(2025, 3, 8, 2), utc(2025, 3, 10)),  # weekend (Austin still on CST)
        (utc(2025, 3, 15, 1), utc(2025, 3, 17)),  # weekend (CDT)
        (utc(2025, 3, 17, 12), utc(2025, 3, 17, 13)),  # St Patrick's Day hole
        (utc(2025, 3, 22, 1), utc(2025, 3, 24)),
    ]
    assert "no fallback L3 roster" in gaps[0].reason
    assert gaps[2].hours() == [utc(2025, 3, 17, 12)]
    assert len(gaps[0].hours()) == 46 and gaps[0].duration == timedelta(hours=46)


def test_short_gaps_are_found_exactly() -> None:
    text = one_region(
        zone="UTC",
        window=("08:00", "20:00"),
        days="[mon, tue, wed, thu, fri, sat, sun]",
        fallback=False,
    )
    second = (
        text.split("regions:\n", 1)[1]
        .replace("Solo", "Late")
        .replace('{start: "08:00", end: "20:00"}', '{start: "20:20", end: "08:00"}')
        .replace('handoff_time: "08:00"', 'handoff_time: "20:20"')
    )
    resolver = Resolver(parse_rotation(text + second))
    gaps = coverage_gaps(resolver, utc(2025, 3, 3), days=2, levels=["L1"])
    assert [(g.start, g.end) for g in gaps] == [
        (utc(2025, 3, 3, 20), utc(2025, 3, 3, 20, 20)),
        (utc(2025, 3, 4, 20), utc(2025, 3, 4, 20, 20)),
    ]
    assert gaps[0].hours() == [utc(2025, 3, 3, 20)]


def test_overrides_fill_gaps_and_gaps_are_clipped_to_the_range() -> None:
    resolver = Resolver(parse_rotation(one_region(fallback=False)))
    start = utc(2025, 3, 8, 12)  # Saturday noon, inside a gap
    cover = Override("p3", "L1", utc(2025, 3, 9), utc(2025, 3, 10))
    gaps = coverage_gaps(resolver, start, days=3, levels=["L1"], overrides=[cover])
    assert [(g.start, g.end) for g in gaps] == [
        (start, utc(2025, 3, 9)),
        (utc(2025, 3, 10), utc(2025, 3, 10, 8)),  # Dublin opens at 08:00 GMT
        (utc(2025, 3, 10, 20), utc(2025, 3, 11, 8)),
    ]


def test_levels_without_any_roster_are_one_long_gap() -> None:
    resolver = Resolver(parse_rotation(one_region()))
    gaps = coverage_gaps(resolver, utc(2025, 3, 3), days=90, levels=["L2"])
    assert [(g.start, g.end) for g in gaps] == [(utc(2025, 3, 3), utc(2025, 6, 1))]
