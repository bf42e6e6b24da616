"""Precomputed week-long tables of who could hold the pager, for fast lookups.

The resolver's question "who is on call at T" is answered by bisecting a sorted list of
change instants. Each UTC week ("chunk") is built once: every region's shift intervals and
every roster's handoff instants are turned into UTC with :mod:`.wallclock` (the DST rule lives
there), merged into one sorted list of boundaries, and the state between two boundaries is
computed once. A lookup is then a dict access and a bisect: no time-zone conversion at all.

A state lists, per level, every team on shift with a roster for that level (in precedence
order) plus the fallback; which one holds the pager, given language preferences, is decided
by the resolver.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from supportbot.hours.days import DAY_NAMES
from supportbot.oncall.model import LEVELS, Fallback, Level, Region, Roster, Rotation
from supportbot.oncall.wallclock import local_reading, wall_to_utc, zone

CHUNK_SECONDS = 7 * 86400
EPOCH = datetime(1970, 1, 5, tzinfo=UTC).timestamp()  # a Monday, so chunks are UTC weeks
_PERIODS = {"hourly": timedelta(hours=1), "daily": timedelta(days=1), "weekly": timedelta(days=7)}


class Candidate(NamedTuple):
    """A team able to hold one level's pager: its shift and the roster slot in force."""

    team: int  # index into Timeline.teams; the fallback is last
    shift_start: float
    shift_end: float
    primary: str
    secondary: str | None


class LevelState(NamedTuple):
    candidates: tuple[Candidate, ...]  # regions on shift, highest precedence first
    fallback: Candidate | None


class Team(NamedTuple):
    name: str
    zone: ZoneInfo
    region: Region | None  # None for the fallback
    rosters: dict[Level, Roster]
    order: int  # file order; the precedence tie-break


class Chunk(NamedTuple):
    start: float
    end: float
    starts: dict[Level, list[float]]
    states: dict[Level, list[LevelState]]
    shifts: list[list[tuple[float, float]]]  # per region, sorted


def roster_slot(roster: Roster, tz: ZoneInfo, instant: datetime) -> int:
    """The rotation index in force at ``instant``: the last handoff at or before it."""
    anchor = datetime.combine(roster.start, roster.handoff_time)
    period = _PERIODS[roster.rotation]
    index = (local_reading(instant, tz) - anchor) // period
    while wall_to_utc(anchor + index * period, tz) > instant:
        index -= 1
    while wall_to_utc(anchor + (index + 1) * period, tz) <= instant:
        index += 1
    return index


def handoff_instant(roster: Roster, tz: ZoneInfo, index: int) -> datetime:
    anchor = datetime.combine(roster.start, roster.handoff_time)
    return wall_to_utc(anchor + index * _PERIODS[roster.rotation], tz)


def is_shift_day(region: Region, day: date) -> bool:
    """A working day that is not a holiday; a shift crossing midnight counts its start day."""
    if DAY_NAMES[day.weekday()] not in region.working_days:
        return False
    return region.holidays is None or day not in region.holidays.dates(day.year)


def shift_interval(region: Region, tz: ZoneInfo, day: date) -> tuple[datetime, datetime]:
    """The UTC interval of the shift that starts on local ``day`` (may be empty in a gap)."""
    end_day = day + timedelta(days=1) if region.shift.crosses_midnight else day
    return (
        wall_to_utc(datetime.combine(day, region.shift.start), tz),
        wall_to_utc(datetime.combine(end_day, region.shift.end), tz),
    )


class Timeline:
    """Builds and caches chunks for one rotation; see the module docstring."""

    def __init__(self, rotation: Rotation, max_chunks: int = 1024) -> None:
        self.rotation = rotation
        teams = [
            Team(region.name, zone(region.time_zone), region, region.rosters, order)
            for order, region in enumerate(rotation.regions)
        ]
        fallback: Fallback | None = rotation.fallback
        if fallback is not None:
            teams.append(Team(fallback.name, zone(fallback.time_zone), None, fallback.rosters, 0))
        self.teams = tuple(teams)
        self.fallback_index = len(rotation.regions) if fallback is not None else None
        self._rank = {name: rank for rank, name in enumerate(rotation.priority or ())}
        self._chunks: dict[int, Chunk] = {}
        self._max_chunks = max_chunks

    @staticmethod
    def key_of(timestamp: float) -> int:
        return int((timestamp - EPOCH) // CHUNK_SECONDS)

    def chunk(self, key: int) -> Chunk:
        found = self._chunks.get(key)
        if found is None:
            if len(self._chunks) >= self._max_chunks:
                self._chunks.clear()
            found = self._chunks[key] = self._build(key)
        return found

    def state(self, level: Level, timestamp: float) -> tuple[Chunk, int, LevelState]:
        chunk = self.chunk(self.key_of(timestamp))
        index = bisect_right(chunk.starts[level], timestamp) - 1
        return chunk, index, chunk.states[level][index]

    def _build(self, key: int) -> Chunk:
        start = EPOCH + key * CHUNK_SECONDS
        end = start + CHUNK_SECONDS
        lo, hi = datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)
        shifts = [self._shifts(team, lo, hi) for team in self.teams if team.region is not None]
        slots = {
            (index, level): self._handoffs(team, roster, lo, hi)
            for index, team in enumerate(self.teams)
            for level, roster in team.rosters.items()
        }
        starts: dict[Level, list[float]] = {}
        states: dict[Level, list[LevelState]] = {}
        for level in LEVELS:
            # Only this level's rosters and the shifts of regions staffing it can change it.
            boundaries = {start}
            for index, team in enumerate(self.teams):
                if level not in team.rosters:
                    continue
                if team.region is not None:
                    boundaries.update(t for pair in shifts[index] for t in pair if start < t < end)
                boundaries.update(t for t, _ in slots[(index, level)] if start < t < end)
            level_starts: list[float] = []
            level_states: list[LevelState] = []
            for moment in sorted(boundaries):
                state = self._state_at(level, moment, shifts, slots)
                if not level_states or level_states[-1] != state:
                    level_starts.append(moment)
                    level_states.append(state)
            starts[level], states[level] = level_starts, level_states
        return Chunk(start, end, starts, states, shifts)

    def _shifts(self, team: Team, lo: datetime, hi: datetime) -> list[tuple[float, float]]:
        assert team.region is not None
        day = local_reading(lo, team.zone).date() - timedelta(days=2)
        last = local_reading(hi, team.zone).date() + timedelta(days=1)
        found = []
        while day <= last:
            if is_shift_day(team.region, day):
                begin, finish = shift_interval(team.region, team.zone, day)
                if begin < finish:
                    found.append((begin.timestamp(), finish.timestamp()))
            day += timedelta(days=1)
        return found

    @staticmethod
    def _handoffs(
        team: Team, roster: Roster, lo: datetime, hi: datetime
    ) -> list[tuple[float, tuple[str, str | None]]]:
        """Handoff instants from the slot in force at ``lo`` up to ``hi``, with the holders.

        A slot squeezed to nothing by a spring-forward gap shares its instant with the next
        one; keeping only the later of equal instants skips it, as the local clock does.
        """
        index = roster_slot(roster, team.zone, lo)
        found: list[tuple[float, tuple[str, str | None]]] = []
        while True:
            moment = handoff_instant(roster, team.zone, index).timestamp()
            if moment >= hi.timestamp():
                return found
            if found and found[-1][0] == moment:
                found.pop()
            found.append((moment, roster.holders(index)))
            index += 1

    def _state_at(
        self,
        level: Level,
        moment: float,
        shifts: list[list[tuple[float, float]]],
        slots: dict[tuple[int, Level], list[tuple[float, tuple[str, str | None]]]],
    ) -> LevelState:
        candidates = []
        for index, team in enumerate(self.teams):
            handoffs = slots.get((index, level))
            if handoffs is None or team.region is None:
                continue
            intervals = shifts[index]
            position = bisect_right(intervals, (moment, float("inf"))) - 1
            if position < 0 or not intervals[position][0] <= moment < intervals[position][1]:
                continue
            primary, secondary = _holders_at(handoffs, moment)
            candidates.append(Candidate(index, *intervals[position], primary, secondary))
        candidates.sort(key=self._precedence)
        fallback = None
        if self.fallback_index is not None and (self.fallback_index, level) in slots:
            handoffs = slots[(self.fallback_index, level)]
            primary, secondary = _holders_at(handoffs, moment)
            fallback = Candidate(self.fallback_index, 0.0, 0.0, primary, secondary)
        return LevelState(tuple(candidates), fallback)

    def _precedence(self, candidate: Candidate) -> tuple[float, float]:
        """Explicit priority when given, else the shift that began last; ties: file order."""
        team = self.teams[candidate.team]
        if self._rank:
            return (self._rank[team.name], team.order)
        return (-candidate.shift_start, team.order)


def _holders_at(
    handoffs: list[tuple[float, tuple[str, str | None]]], moment: float
) -> tuple[str, str | None]:
    position = bisect_right(handoffs, moment, key=lambda item: item[0]) - 1
    return handoffs[position][1]
