"""Coverage gaps: the stretches in which nobody holds a level's pager.

``supportbot check`` reports every hour of the next 90 days in which a level has nobody on
call. The gaps are computed exactly from the resolver's tables (not by sampling every hour),
so a 20-minute hole between two windows is found too; :meth:`Gap.hours` lists the clock hours
a gap touches, which is what the check prints.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from supportbot.clock import require_aware
from supportbot.oncall.model import LEVELS, Level
from supportbot.oncall.resolver import Override, Resolver


@dataclass(frozen=True, slots=True)
class Gap:
    level: Level
    start: datetime
    end: datetime
    reason: str

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def hours(self) -> list[datetime]:
        """The UTC clock hours ``[h, h+1h)`` that overlap the gap."""
        hour = self.start.replace(minute=0, second=0, microsecond=0)
        found = []
        while hour < self.end:
            found.append(hour)
            hour += timedelta(hours=1)
        return found


def coverage_gaps(
    resolver: Resolver,
    start: datetime,
    days: int = 90,
    *,
    levels: Iterable[Level] = LEVELS,
    overrides: Sequence[Override] = (),
) -> list[Gap]:
    """Every interval in ``[start, start + days)`` with no primary for a level, by level then
    time. Overrides count: an override can fill a gap."""
    start = require_aware(start).astimezone(UTC)
    end = start + timedelta(days=days)
    gaps: list[Gap] = []
    for level in levels:
        for answer in resolver.stints(level, start, end, overrides=overrides):
            if answer.primary is not None:
                continue
            gap_start, gap_end = max(answer.shift_start, start), min(answer.shift_end, end)
            if gaps and gaps[-1].level == level and gaps[-1].end == gap_start:
                gap_start = gaps.pop().start
            gaps.append(Gap(level, gap_start, gap_end, answer.reason))
    return gaps
