"""Handoffs: who hands over to whom, and when."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from supportbot.oncall import (
    Override,
    Resolver,
    handoffs_between,
    load_rotation,
    next_handoffs,
)
from tests.rotations.synthetic import EXAMPLE_DIR


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    return Resolver(load_rotation(EXAMPLE_DIR))


def test_friday_to_monday(resolver: Resolver) -> None:
    found = resolver.next_handoffs(utc(2025, 3, 7, 12), count=7)
    assert [h.describe() for h in found] == [
        "2025-03-07 14:00Z L1: Aoife Byrne (EMEA) → Ana Alvarez (Americas)",
        "2025-03-07 14:00Z L2: Dieter Krause (EMEA) → Diego Duarte (Americas)",
        "2025-03-07 14:00Z L3: Fionn Walsh (EMEA) → Frank Flores (Americas)",
        "2025-03-08 02:00Z L1: Ana Alvarez (Americas) → Diego Duarte (Global weekend)",
        "2025-03-08 02:00Z L2: Diego Duarte (Americas) → Emma Ellis (Global weekend)",
        "2025-03-08 02:00Z L3: Frank Flores (Americas) → Gabriela Gomes (Global weekend)",
        "2025-03-10 00:00Z L1: Diego Duarte (Global weekend) → Tan Wei Ling (Asia-Pacific)",
    ]
    first = found[0]
    assert first.region_changed and first.from_region == "EMEA" and first.to_region == "Americas"
    assert first.from_person and first.from_person.key == "aoife"
    assert first.to_person and first.to_person.key == "ana"
    assert first.after.shift_start == first.at and first.before.shift_end == first.at


def test_window_edges_are_half_open(resolver: Resolver) -> None:
    edge = utc(2025, 3, 7, 14)
    assert [h.at for h in handoffs_between(resolver, utc(2025, 3, 7, 12), edge)] == [edge] * 3
    assert all(h.at > edge for h in handoffs_between(resolver, edge, utc(2025, 3, 8, 12)))
    assert next_handoffs(resolver, edge, 1, levels=["L1"])[0].at == utc(2025, 3, 8, 2)


def test_a_whole_weekday_in_order(resolver: Resolver) -> None:
    found = handoffs_between(resolver, utc(2025, 3, 4, 1), utc(2025, 3, 5, 1), levels=["L1"])
    assert [(h.at.hour, h.to_region) for h in found] == [
        (8, "EMEA"),
        (14, "Americas"),
        (0, "Asia-Pacific"),
    ]


def test_overrides_create_handoffs(resolver: Resolver) -> None:
    cover = Override("morgan", "L1", utc(2025, 3, 4, 9), utc(2025, 3, 4, 10))
    found = handoffs_between(
        resolver, utc(2025, 3, 4, 8, 30), utc(2025, 3, 4, 12), levels=["L1"], overrides=[cover]
    )
    assert [(h.at, h.to_person.key if h.to_person else None) for h in found] == [
        (cover.start, "morgan"),
        (cover.end, "aoife"),
    ]
    assert not any(h.region_changed for h in found)


def test_next_handoffs_respects_count_and_horizon(resolver: Resolver) -> None:
    assert len(resolver.next_handoffs(utc(2025, 3, 4), count=40)) == 40
    assert resolver.next_handoffs(utc(2025, 3, 4), count=0) == []
