"""Who is on call: follow-the-sun, overlaps, preferences, fallback, nobody and overrides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from supportbot.oncall import (
    OnCall,
    Override,
    Resolver,
    Rotation,
    find_overlap,
    load_rotation,
    parse_rotation,
)
from tests.rotations.synthetic import EXAMPLE_DIR, one_region


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def who(answer: OnCall) -> tuple[str | None, str | None, str | None, str]:
    primary = answer.primary.key if answer.primary else None
    secondary = answer.secondary.key if answer.secondary else None
    return (answer.covered_by, primary, secondary, answer.source)


@pytest.fixture(scope="module")
def example() -> Rotation:
    return load_rotation(EXAMPLE_DIR)


@pytest.fixture(scope="module")
def resolver(example: Rotation) -> Resolver:
    return Resolver(example)


# Tuesday 4 March 2025: Chicago on CST (UTC-6), Dublin on GMT, Singapore UTC+8.
@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (utc(2025, 3, 4, 0, 30), ("Asia-Pacific", "wei", "haruto", "roster")),
        (utc(2025, 3, 4, 7, 59), ("Asia-Pacific", "wei", "haruto", "roster")),
        (utc(2025, 3, 4, 8, 0), ("EMEA", "aoife", "bram", "roster")),  # began last
        (utc(2025, 3, 4, 13, 59), ("EMEA", "aoife", "bram", "roster")),
        (utc(2025, 3, 4, 14, 0), ("Americas", "ana", "ben", "roster")),
        (utc(2025, 3, 5, 0, 0), ("Asia-Pacific", "haruto", "minji", "roster")),
        (utc(2025, 3, 8, 1, 59), ("Americas", "ana", "ben", "roster")),  # Friday night
        (utc(2025, 3, 8, 2, 0), ("Global weekend", "diego", "fionn", "fallback")),
        (utc(2025, 3, 9, 23, 59), ("Global weekend", "diego", "fionn", "fallback")),
        (utc(2025, 3, 10, 0, 0), ("Asia-Pacific", "wei", "haruto", "roster")),
    ],
)
def test_follow_the_sun_l1(resolver: Resolver, at: datetime, expected: tuple) -> None:
    assert who(resolver.on_call(at, "L1")) == expected


def test_weekly_levels_and_explicit_secondary(resolver: Resolver) -> None:
    at = utc(2025, 3, 4, 15)  # Americas week 8 since 6 Jan: even → diego / emma
    assert who(resolver.on_call(at, "L2")) == ("Americas", "diego", "emma", "roster")
    assert who(resolver.on_call(at + timedelta(days=7), "L2")) == (
        "Americas",
        "emma",
        "diego",
        "roster",
    )
    assert who(resolver.on_call(at, "L3")) == ("Americas", "frank", "gabi", "roster")


def test_holidays_are_off_shift(resolver: Resolver) -> None:
    # St Patrick's Day (IE): Singapore until 12:00 UTC, then a gap until Austin opens at
    # 13:00 UTC (CDT since 9 March), which the fallback covers.
    assert who(resolver.on_call(utc(2025, 3, 17, 10), "L1"))[0] == "Asia-Pacific"
    gap = resolver.on_call(utc(2025, 3, 17, 12, 30), "L1")
    assert gap.source == "fallback" and gap.region is None
    assert (gap.shift_start, gap.shift_end) == (utc(2025, 3, 17, 12), utc(2025, 3, 17, 13))
    assert "fallback roster Global weekend" in gap.reason
    # Christmas Day is a holiday in all three regions.
    for hour in range(0, 24, 3):
        assert resolver.on_call(utc(2025, 12, 25, hour), "L1").source == "fallback"


def test_answer_carries_its_stint(resolver: Resolver) -> None:
    answer = resolver.on_call(utc(2025, 3, 4, 10), "L1")
    assert (answer.shift_start, answer.shift_end) == (utc(2025, 3, 4, 8), utc(2025, 3, 4, 14))
    assert answer.region == "EMEA" and "chosen among EMEA, Asia-Pacific" in answer.reason
    weekend = resolver.on_call(utc(2025, 3, 8, 12), "L1")
    assert (weekend.shift_start, weekend.shift_end) == (utc(2025, 3, 8, 2), utc(2025, 3, 10))


def test_priority_list_overrides_most_recent(example: Rotation) -> None:
    ranked = Resolver(example.model_copy(update={"priority": ("Americas", "EMEA", "Asia-Pacific")}))
    assert ranked.on_call(utc(2025, 3, 4, 0, 30), "L1").covered_by == "Americas"
    assert ranked.on_call(utc(2025, 3, 4, 8, 30), "L1").covered_by == "EMEA"
    assert ranked.on_call(utc(2025, 3, 4, 2, 30), "L1").covered_by == "Asia-Pacific"


def test_tie_goes_to_file_order() -> None:
    text = one_region()
    second = text.split("regions:\n", 1)[1].split("fallback:", 1)[0].replace("Solo", "Twin")
    rotation = parse_rotation(text.replace("fallback:", second.rstrip() + "\nfallback:", 1))
    assert [r.name for r in rotation.regions] == ["Solo", "Twin"]
    assert Resolver(rotation).on_call(utc(2025, 3, 4, 9), "L1").covered_by == "Solo"


def test_preferences_pick_among_regions_on_shift(resolver: Resolver) -> None:
    overlap = utc(2025, 3, 4, 9)  # Singapore and Dublin
    assert resolver.on_call(overlap, "L1").covered_by == "EMEA"
    chosen = resolver.on_call(overlap, "L1", prefer_languages=["ZH"])
    assert chosen.covered_by == "Asia-Pacific" and "preference" in chosen.reason
    assert chosen.shift_start == utc(2025, 3, 4, 0)
    assert chosen.shift_end == utc(2025, 3, 4, 12)  # Singapore's shift ends
    spec = resolver.on_call(overlap, "L1", prefer_specialisations=["asia-compliance"])
    assert spec.covered_by == "Asia-Pacific"
    # Most matches win: German + GDPR (EMEA) beats English + manufacturing (both regions).
    mixed = resolver.on_call(
        overlap,
        "L1",
        prefer_languages=["en", "de"],
        prefer_specialisations=["manufacturing-integration", "gdpr-compliance"],
    )
    assert mixed.covered_by == "EMEA"


def test_preference_does_not_pull_in_an_off_shift_region(resolver: Resolver) -> None:
    at = utc(2025, 3, 4, 16)  # Dublin and Austin on shift, Singapore asleep
    assert resolver.on_call(at, "L1", prefer_languages=["ja"]).covered_by == "Americas"
    alone = utc(2025, 3, 4, 20, 30)  # only Austin
    assert resolver.on_call(alone, "L1", prefer_languages=["fr"]).covered_by == "Americas"


def test_nobody_is_said_out_loud() -> None:
    resolver = Resolver(parse_rotation(one_region(fallback=False)))
    answer = resolver.on_call(utc(2025, 3, 8, 12), "L1")  # Saturday
    assert answer.primary is None and answer.secondary is None and answer.source == "nobody"
    assert answer.region is None and answer.covered_by is None
    assert "no region on shift and no fallback L1 roster" in answer.reason
    assert (answer.shift_start, answer.shift_end) == (utc(2025, 3, 7, 20), utc(2025, 3, 10, 8))
    assert resolver.on_call(utc(2025, 3, 4, 12), "L2").source == "nobody"  # no L2 anywhere


def test_window_crossing_midnight_belongs_to_its_start_day() -> None:
    rotation = parse_rotation(
        one_region(zone="UTC", window=("20:00", "08:00"), holidays="{country: IE}")
    )
    resolver = Resolver(rotation)
    assert resolver.on_call(utc(2025, 3, 8, 7), "L1").covered_by == "Solo"  # Fri night
    assert resolver.on_call(utc(2025, 3, 8, 21), "L1").covered_by == "Backstop"  # Sat night
    assert resolver.on_call(utc(2025, 3, 10, 7), "L1").covered_by == "Backstop"  # Sun night
    assert resolver.on_call(utc(2025, 3, 17, 23), "L1").covered_by == "Backstop"  # holiday
    assert resolver.on_call(utc(2025, 3, 18, 3), "L1").covered_by == "Backstop"
    assert resolver.on_call(utc(2025, 3, 18, 21), "L1").covered_by == "Solo"


def test_rotation_runs_backwards_before_its_start_date() -> None:
    resolver = Resolver(parse_rotation(one_region(zone="UTC")))
    before = [resolver.on_call(utc(2025, 1, day, 12), "L1").primary for day in (1, 2, 3)]
    assert [p.key for p in before if p] == ["p2", "p1", "p2"]  # 6 Jan is p1


def test_regions_on_shift_and_snapshot(resolver: Resolver) -> None:
    at = utc(2025, 3, 4, 9)
    assert resolver.regions_on_shift(at) == ["EMEA", "Asia-Pacific"]
    snapshot = resolver.snapshot(at)
    assert list(snapshot) == ["L1", "L2", "L3"]
    assert [answer.covered_by for answer in snapshot.values()] == ["EMEA"] * 3


def test_naive_times_and_unknown_levels_are_refused(resolver: Resolver) -> None:
    with pytest.raises(ValueError, match="naive"):
        resolver.on_call(datetime(2025, 3, 4, 9), "L1")
    with pytest.raises(ValueError, match="unknown level 'L4'"):
        resolver.on_call(utc(2025, 3, 4, 9), "L4")  # type: ignore[arg-type]


def test_any_aware_zone_is_accepted(resolver: Resolver) -> None:
    local = datetime(2025, 3, 4, 9, 30, tzinfo=ZoneInfo("Europe/Berlin"))  # 08:30 UTC
    assert resolver.on_call(local, "L1").covered_by == "EMEA"


class TestOverrides:
    def test_override_takes_precedence_and_bounds_the_stint(self, resolver: Resolver) -> None:
        cover = Override("morgan", "L1", utc(2025, 3, 4, 9), utc(2025, 3, 4, 11))
        answer = resolver.on_call(utc(2025, 3, 4, 10), "L1", overrides=[cover])
        assert who(answer) == ("EMEA", "morgan", "bram", "override")
        assert (answer.shift_start, answer.shift_end) == (cover.start, cover.end)
        assert "override of primary by morgan" in answer.reason
        before = resolver.on_call(utc(2025, 3, 4, 8, 30), "L1", overrides=[cover])
        assert before.source == "roster" and before.shift_end == cover.start
        after = resolver.on_call(utc(2025, 3, 4, 12), "L1", overrides=[cover])
        assert after.primary and after.primary.key == "aoife" and after.shift_start == cover.end

    def test_secondary_slot_and_other_levels(self, resolver: Resolver) -> None:
        cover = Override("niamh", "L1", utc(2025, 3, 4), utc(2025, 3, 5), slot="secondary")
        answer = resolver.on_call(utc(2025, 3, 4, 10), "L1", overrides=[cover])
        assert who(answer) == ("EMEA", "aoife", "niamh", "override")
        assert resolver.on_call(utc(2025, 3, 4, 10), "L2", overrides=[cover]).source == "roster"

    def test_override_fills_a_gap(self) -> None:
        resolver = Resolver(parse_rotation(one_region(fallback=False)))
        cover = Override("p3", "L1", utc(2025, 3, 8), utc(2025, 3, 9))
        answer = resolver.on_call(utc(2025, 3, 8, 12), "L1", overrides=[cover])
        assert who(answer) == (None, "p3", None, "override")

    def test_later_override_wins_when_two_are_active(self, resolver: Resolver) -> None:
        first = Override("morgan", "L1", utc(2025, 3, 4, 8), utc(2025, 3, 4, 12))
        second = Override("niamh", "L1", utc(2025, 3, 4, 9), utc(2025, 3, 4, 10))
        answer = resolver.on_call(utc(2025, 3, 4, 9, 30), "L1", overrides=[second, first])
        assert answer.primary and answer.primary.key == "niamh"

    def test_unknown_person_in_override(self, resolver: Resolver) -> None:
        cover = Override("nobody", "L1", utc(2025, 3, 4, 9), utc(2025, 3, 4, 11))
        with pytest.raises(ValueError, match="unknown person 'nobody'"):
            resolver.on_call(utc(2025, 3, 4, 10), "L1", overrides=[cover])

    def test_bad_overrides_are_refused(self) -> None:
        with pytest.raises(ValueError, match="naive"):
            Override("ana", "L1", datetime(2025, 3, 4), utc(2025, 3, 5))
        with pytest.raises(ValueError, match="before it starts"):
            Override("ana", "L1", utc(2025, 3, 5), utc(2025, 3, 4))
        with pytest.raises(ValueError, match="unknown level"):
            Override("ana", "L9", utc(2025, 3, 4), utc(2025, 3, 5))  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="unknown slot"):
            Override("ana", "L1", utc(2025, 3, 4), utc(2025, 3, 5), slot="tertiary")  # type: ignore[arg-type]

    def test_find_overlap(self) -> None:
        existing = [
            Override("ana", "L1", utc(2025, 3, 4, 9), utc(2025, 3, 4, 11)),
            Override("ben", "L1", utc(2025, 3, 4, 9), utc(2025, 3, 4, 11), slot="secondary"),
        ]
        clash = Override("carla", "L1", utc(2025, 3, 4, 10), utc(2025, 3, 4, 12))
        assert find_overlap(existing, clash) is existing[0]
        adjacent = Override("carla", "L1", utc(2025, 3, 4, 11), utc(2025, 3, 4, 12))
        assert find_overlap(existing, adjacent) is None
        other_level = Override("carla", "L2", utc(2025, 3, 4, 10), utc(2025, 3, 4, 12))
        assert find_overlap(existing, other_level) is None
