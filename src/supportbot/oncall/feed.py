"""A person's on-call shifts, as a list and as an iCalendar feed (``GET /oncall.ics``).

A shift here is a stretch in which the person holds one slot of one level, whatever region
or roster put them there; consecutive answers with the same person, level and slot merge.
Event UIDs are derived from person, level, slot and start, so a calendar client that polls the
feed updates events in place rather than duplicating them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from icalendar import Calendar, Event

from supportbot.clock import require_aware
from supportbot.oncall.model import LEVELS, Level, Person, Slot
from supportbot.oncall.resolver import Override, Resolver

PRODID = "-//supportbot//on-call calendar//EN"


@dataclass(frozen=True, slots=True)
class Shift:
    person: str
    level: Level
    slot: Slot
    team: str | None  # region or fallback roster
    source: str  # roster, fallback or override
    start: datetime
    end: datetime

    @property
    def uid(self) -> str:
        return f"{self.person}-{self.level}-{self.slot}-{int(self.start.timestamp())}@supportbot"


def person_shifts(
    resolver: Resolver,
    person: str,
    start: datetime,
    end: datetime,
    *,
    levels: Iterable[Level] = LEVELS,
    overrides: Sequence[Override] = (),
) -> list[Shift]:
    """The person's shifts overlapping ``[start, end)``, clipped to it, ordered by start."""
    if person not in resolver.rotation.people:
        raise KeyError(f"unknown person {person!r}")
    start = require_aware(start).astimezone(UTC)
    end = require_aware(end).astimezone(UTC)
    shifts: list[Shift] = []
    for level in levels:
        current: dict[Slot, Shift | None] = {"primary": None, "secondary": None}
        for answer in resolver.stints(level, start, end, overrides=overrides):
            piece_start, piece_end = max(answer.shift_start, start), min(answer.shift_end, end)
            holders: tuple[tuple[Slot, Person | None], ...] = (
                ("primary", answer.primary),
                ("secondary", answer.secondary),
            )
            for slot, holder in holders:
                open_shift = current[slot]
                if holder is not None and holder.key == person:
                    if (
                        open_shift is not None
                        and open_shift.end == piece_start
                        and (open_shift.team, open_shift.source)
                        == (answer.covered_by, answer.source)
                    ):
                        current[slot] = replace(open_shift, end=piece_end)
                        continue
                    next_shift: Shift | None = Shift(
                        person, level, slot, answer.covered_by, answer.source,
                        piece_start, piece_end,
                    )  # fmt: skip
                else:
                    next_shift = None
                if open_shift is not None:
                    shifts.append(open_shift)
                current[slot] = next_shift
        shifts.extend(shift for shift in current.values() if shift is not None)
    shifts.sort(key=lambda shift: (shift.start, LEVELS.index(shift.level), shift.slot))
    return shifts


def build_ics(
    resolver: Resolver,
    person: str,
    start: datetime,
    end: datetime,
    *,
    overrides: Sequence[Override] = (),
    stamp: datetime | None = None,
) -> bytes:
    """An iCalendar (RFC 5545) feed of :func:`person_shifts`; all times in UTC.

    ``stamp`` (DTSTAMP, default ``start``) is a parameter so the same data gives the same
    bytes, which keeps HTTP caching and tests simple."""
    shifts = person_shifts(resolver, person, start, end, overrides=overrides)
    who = resolver.rotation.people[person]
    stamp = require_aware(stamp or start).astimezone(UTC)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"On call: {who.label}")
    for shift in shifts:
        event = Event()
        event.add("uid", shift.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", shift.start)
        event.add("dtend", shift.end)
        where = shift.team or "nobody"
        event.add("summary", f"On call {shift.level} {shift.slot} · {where}")
        event.add("description", f"{who.label} holds {shift.level} {shift.slot} ({shift.source}).")
        event.add("categories", ["on-call", shift.level])
        calendar.add_component(event)
    return calendar.to_ical()
