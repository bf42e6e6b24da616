"""Attack: overrides around DST changes, against a plain wall-clock reference.

The roster part comes from :class:`tests.rotations.reference.Reference` (it watches each
office's wall clock minute by minute); the override rule is applied on top, written out here
plainly: an override active at T (``start <= T < end``) for the level and slot replaces that
slot's person, the later-starting one winning. Overrides start and end at the DST change
instants of each zone, half an hour either side, and at random quarter-hours, overlap each
other and name people on no roster of the level. Each year from 2024 to 2030 is checked in
New York, London, Sydney and Kolkata (no DST, half-hour offset), one microsecond either
side of every boundary too. The iCalendar feed of every person is parsed back with
``icalendar`` and must say the same.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from supportbot.oncall import Resolver
from supportbot.oncall.feed import build_ics
from supportbot.oncall.handoffs import handoffs_between
from supportbot.oncall.loader import parse_rotation
from supportbot.oncall.model import LEVELS, Level
from supportbot.oncall.resolver import Override
from tests.rotations.reference import Expected, Reference
from tests.rotations.synthetic import edge_rotation

ZONES = {
    "America/New_York": ("US", "NY"),
    "Europe/London": ("GB", "ENG"),
    "Australia/Sydney": ("AU", "NSW"),
    "Asia/Kolkata": ("IN", None),
}
YEARS = range(2024, 2031)
TICK = timedelta(microseconds=1)


def changes(zone: str, year: int) -> list[datetime]:
    """The quarter-hours of ``year`` at which ``zone`` changes its UTC offset."""
    tz = ZoneInfo(zone)
    moment, found = datetime(year, 1, 1, tzinfo=UTC), []
    offset = moment.astimezone(tz).utcoffset()
    while moment.year == year:
        moment += timedelta(minutes=15)
        now = moment.astimezone(tz).utcoffset()
        if now != offset:
            found.append(moment)
        offset = now
    return found


def with_overrides(
    base: Expected, at: datetime, level: Level, overrides: list[Override]
) -> Expected:
    team, primary, secondary = base
    held = {"primary": primary, "secondary": secondary}
    for override in sorted(overrides, key=lambda o: o.start):
        if override.level == level and override.start <= at < override.end:
            held[override.slot] = override.person
    return team, held["primary"], held["secondary"]


def attack_overrides(rng: random.Random, change: datetime, start: datetime) -> list[Override]:
    edges = [change, change - timedelta(minutes=30), change + timedelta(minutes=30)]
    found = []
    for _ in range(8):
        begin = rng.choice([*edges, start + timedelta(minutes=15 * rng.randrange(240))])
        end = begin + timedelta(minutes=15 * rng.randrange(1, 100))
        person, level = f"p{rng.randrange(1, 7)}", rng.choice(LEVELS)
        found.append(Override(person, level, begin, end, rng.choice(("primary", "secondary"))))
    return found


@pytest.mark.parametrize("zone", sorted(ZONES))
def test_overrides_across_dst_changes_match_the_wall_clock_reference(zone: str) -> None:
    rotation = parse_rotation(edge_rotation(zone, *ZONES[zone]), f"edge-{zone}.yaml")
    resolver = Resolver(rotation)
    rng = random.Random(zone)
    for year in YEARS:
        change = rng.choice(changes(zone, year) or [datetime(year, 3, 31, 20, 30, tzinfo=UTC)])
        start, end = change - timedelta(hours=30), change + timedelta(hours=30)
        overrides = attack_overrides(rng, change, start)
        edges = {o.start for o in overrides} | {o.end for o in overrides}
        edges |= {h.at for h in handoffs_between(resolver, start, end, overrides=overrides)}
        for at, expected in Reference(rotation).scan(start, end, timedelta(minutes=15)):
            for level in LEVELS:
                want = with_overrides(expected[level], at, level, overrides)
                # The reference is exact on its quarter-hour grid; a microsecond after a
                # boundary on it the answer is the same as on it.
                probes = [at, at + TICK] if at in edges else [at]
                for probe in probes:
                    got = resolver.on_call(probe, level, overrides=overrides)
                    holders = (
                        got.covered_by,
                        got.primary.key if got.primary else None,
                        got.secondary.key if got.secondary else None,
                    )
                    assert holders == want, (zone, probe, level, got.reason)
                    assert got.shift_start <= probe < got.shift_end, (zone, probe, level)


def feed_events(resolver: Resolver, person: str, start: datetime, end: datetime,
                overrides: list[Override]) -> list[tuple[datetime, datetime, str]]:  # fmt: skip
    calendar = Calendar.from_ical(build_ics(resolver, person, start, end, overrides=overrides))
    return [
        (event.decoded("dtstart"), event.decoded("dtend"), str(event["summary"]))
        for event in calendar.walk("VEVENT")
    ]


@pytest.mark.parametrize("zone", sorted(ZONES))
def test_the_calendar_feed_says_what_the_resolver_says(zone: str) -> None:
    rotation = parse_rotation(edge_rotation(zone, *ZONES[zone]), f"edge-{zone}.yaml")
    resolver = Resolver(rotation)
    rng = random.Random(f"feed {zone}")
    for year in (2024, 2027, 2030):
        change = rng.choice(changes(zone, year) or [datetime(year, 10, 1, tzinfo=UTC)])
        start, end = change - timedelta(hours=30), change + timedelta(hours=30)
        overrides = attack_overrides(rng, change, start)
        events = {p: feed_events(resolver, p, start, end, overrides) for p in rotation.people}
        edges = {o.start for o in overrides} | {o.end for o in overrides}
        edges |= {h.at for h in handoffs_between(resolver, start, end, overrides=overrides)}
        samples = {start + timedelta(minutes=7 * n) for n in range(int(60 * 60 / 7))}
        samples |= {e + d for e in edges for d in (-TICK, timedelta(0)) if start < e + d < end}
        for at in sorted(samples):
            for level in LEVELS:
                got = resolver.on_call(at, level, overrides=overrides)
                for slot, holder in (("primary", got.primary), ("secondary", got.secondary)):
                    for person, listed in events.items():
                        shown = any(
                            s <= at < e and summary.startswith(f"On call {level} {slot} ")
                            for s, e, summary in listed
                        )
                        held = holder is not None and holder.key == person
                        assert shown == held, (zone, at, level, slot, person)
