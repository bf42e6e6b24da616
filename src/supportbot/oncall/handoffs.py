"""Handoffs: the instants at which a level's pager passes to another team or person.

A handoff is a change of the team holding the pager (region, fallback or nobody) or of the
primary. A change of secondary alone is not announced. The bot posts each handoff in the
on-call channel and hands an unacknowledged Severity 1 to the incoming team when
``region_changed`` is true.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from supportbot.clock import require_aware
from supportbot.oncall.model import LEVELS, Level, Person

if TYPE_CHECKING:  # the resolver imports this module; only its types are needed here
    from supportbot.oncall.resolver import OnCall, Override, Resolver

SEARCH_HORIZON = timedelta(days=60)


@dataclass(frozen=True, slots=True)
class Handoff:
    at: datetime
    level: Level
    before: OnCall
    after: OnCall

    @property
    def from_region(self) -> str | None:
        """Region or fallback roster handing over (None: nobody was on call)."""
        return self.before.covered_by

    @property
    def to_region(self) -> str | None:
        return self.after.covered_by

    @property
    def from_person(self) -> Person | None:
        return self.before.primary

    @property
    def to_person(self) -> Person | None:
        return self.after.primary

    @property
    def region_changed(self) -> bool:
        return self.before.covered_by != self.after.covered_by

    def describe(self) -> str:
        def who(answer: OnCall) -> str:
            person = answer.primary.label if answer.primary else "nobody"
            return f"{person} ({answer.covered_by or 'no team'})"

        return f"{self.at:%Y-%m-%d %H:%M}Z {self.level}: {who(self.before)} → {who(self.after)}"


def _changed(before: OnCall, after: OnCall) -> bool:
    first = before.primary.key if before.primary else None
    second = after.primary.key if after.primary else None
    return before.covered_by != after.covered_by or first != second


def handoffs_between(
    resolver: Resolver,
    start: datetime,
    end: datetime,
    *,
    levels: Iterable[Level] = LEVELS,
    overrides: Sequence[Override] = (),
) -> list[Handoff]:
    """Every handoff at an instant in ``(start, end]``, ordered by time then level.

    The half-open side is at the start so that consecutive windows neither miss nor repeat a
    handoff that falls exactly on their common edge."""
    start = require_aware(start).astimezone(UTC)
    end = require_aware(end).astimezone(UTC)
    found: list[Handoff] = []
    for level in levels:
        previous: OnCall | None = None
        stop = end + timedelta(microseconds=1)
        for answer in resolver.stints(level, start, stop, overrides=overrides):
            if previous is not None and _changed(previous, answer):
                found.append(Handoff(answer.shift_start, level, previous, answer))
            previous = answer
    found.sort(key=lambda handoff: (handoff.at, LEVELS.index(handoff.level)))
    return found


def next_handoffs(
    resolver: Resolver,
    after: datetime,
    count: int = 5,
    *,
    levels: Iterable[Level] = LEVELS,
    overrides: Sequence[Override] = (),
) -> list[Handoff]:
    """The first ``count`` handoffs after ``after``, looking at most 60 days ahead."""
    after = require_aware(after).astimezone(UTC)
    levels = tuple(levels)
    found: list[Handoff] = []
    window = timedelta(days=2)
    start = after
    while len(found) < count and start < after + SEARCH_HORIZON:
        end = min(start + window, after + SEARCH_HORIZON)
        found += handoffs_between(resolver, start, end, levels=levels, overrides=overrides)
        start = end
        window *= 2
    return found[:count]
