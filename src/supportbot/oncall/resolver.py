"""Who is on call at an instant: regions, rosters, overlaps, the fallback and overrides.

The rules, in the order they apply for one level at instant T:

1. **Override.** An override active at T (``start <= T < end``) for the level and slot replaces
   that slot's person; when two are active for one slot the later-starting one wins.
2. **Regions on shift.** A region is on shift when T lies in its local window on a working day
   that is not one of its holidays (a window crossing midnight belongs to the day it starts).
   Only regions with a roster for the level count. Local wall times map to UTC by the rule in
   :mod:`.wallclock`: each boundary happens once, DST or not.
3. **Overlaps.** With several regions on shift, a language or specialisation preference picks
   the regions that match most preferences (one point per preferred language or specialisation
   the region has); among the remaining, the file's ``priority`` order decides if there is one,
   else the region whose shift began most recently, ties going to file order. A preference never
   pulls in a region that is off shift.
4. **Gaps.** With no region on shift, the fallback roster holds the pager.
5. **Nobody.** Without a fallback roster for the level the answer says so: ``source="nobody"``,
   ``primary=None`` and a ``reason``. It never fails silently.

Rosters follow the local clock of their team (region or fallback): see :class:`.model.Roster`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal

from supportbot.clock import require_aware
from supportbot.oncall import handoffs
from supportbot.oncall.handoffs import Handoff
from supportbot.oncall.model import LEVELS, Level, Person, Rotation, Slot
from supportbot.oncall.stints import Candidate, LevelState, Timeline

Source = Literal["roster", "override", "fallback", "nobody"]
SPAN_HORIZON_CHUNKS = 8  # how far (in weeks) a stint is followed either side of T
_SLOTS = ("primary", "secondary")


@dataclass(frozen=True, slots=True)
class Override:
    """``person`` holds ``level``'s ``slot`` over ``[start, end)``, whatever the roster says."""

    person: str
    level: Level
    start: datetime
    end: datetime
    slot: Slot = "primary"

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            object.__setattr__(self, name, require_aware(getattr(self, name)).astimezone(UTC))
        if self.level not in LEVELS:
            raise ValueError(f"unknown level {self.level!r}: use L1, L2 or L3")
        if self.slot not in _SLOTS:
            raise ValueError(f"unknown slot {self.slot!r}: use primary or secondary")
        if self.end <= self.start:
            raise ValueError(f"override ends ({self.end}) before it starts ({self.start})")

    def overlaps(self, other: Override) -> bool:
        return (
            self.level == other.level
            and self.slot == other.slot
            and self.start < other.end
            and other.start < self.end
        )


def find_overlap(existing: Iterable[Override], new: Override) -> Override | None:
    """The first existing override for the same level and slot whose time overlaps ``new``.

    Two people cannot both hold L1 primary, so the caller refuses ``new`` with a message such
    as "overlaps alice's override until 14:00"."""
    return next((override for override in existing if override.overlaps(new)), None)


@dataclass(frozen=True, slots=True)
class OnCall:
    """The answer for one level at one instant.

    ``shift_start``/``shift_end`` bound the stint around the instant over which this answer
    holds (followed at most :data:`SPAN_HORIZON_CHUNKS` weeks either way). ``covered_by`` names
    the region or fallback roster; ``region`` is set only for a region.
    """

    level: Level
    region: str | None
    primary: Person | None
    secondary: Person | None
    source: Source
    shift_start: datetime
    shift_end: datetime
    reason: str
    covered_by: str | None = None


Preference = tuple[frozenset[str], frozenset[str]]
_NO_PREFERENCE: Preference = (frozenset(), frozenset())


class Resolver:
    """Answers on-call questions for one loaded :class:`Rotation`; cheap to query repeatedly."""

    def __init__(self, rotation: Rotation) -> None:
        self.rotation = rotation
        self.timeline = Timeline(rotation)
        self._people = rotation.people
        self._answers: dict[tuple[Level, int, int, Preference], OnCall] = {}
        self._team_tags = [
            (
                frozenset(lang.casefold() for lang in team.region.languages),
                frozenset(spec.casefold() for spec in team.region.specialisations),
            )
            if team.region
            else (frozenset(), frozenset())
            for team in self.timeline.teams
        ]

    def on_call(
        self,
        at: datetime,
        level: Level,
        *,
        overrides: Sequence[Override] = (),
        prefer_languages: Iterable[str] = (),
        prefer_specialisations: Iterable[str] = (),
    ) -> OnCall:
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}: use L1, L2 or L3")
        timestamp = require_aware(at).timestamp()
        preference = (
            _preference(prefer_languages, prefer_specialisations)
            if prefer_languages or prefer_specialisations
            else _NO_PREFERENCE
        )
        chunk, index, _ = self.timeline.state(level, timestamp)
        cache_key = (level, self.timeline.key_of(chunk.start), index, preference)
        answer = self._answers.get(cache_key)
        if answer is None:
            if len(self._answers) > 200_000:
                self._answers.clear()
            answer = self._answers[cache_key] = self._answer(level, timestamp, preference)
        if overrides:
            answer = self._apply_overrides(answer, at.astimezone(UTC), overrides)
        return answer

    def snapshot(
        self,
        at: datetime,
        overrides: Sequence[Override] = (),
        *,
        prefer_languages: Iterable[str] = (),
        prefer_specialisations: Iterable[str] = (),
    ) -> dict[Level, OnCall]:
        """Every level at once, for ``/oncall`` and ``supportbot oncall``."""
        languages, specialisations = tuple(prefer_languages), tuple(prefer_specialisations)
        return {
            level: self.on_call(
                at,
                level,
                overrides=overrides,
                prefer_languages=languages,
                prefer_specialisations=specialisations,
            )
            for level in LEVELS
        }

    def regions_on_shift(self, at: datetime) -> list[str]:
        """Names of the regions on shift at ``at`` (any level), in file order."""
        timestamp = require_aware(at).timestamp()
        chunk = self.timeline.chunk(self.timeline.key_of(timestamp))
        return [
            self.timeline.teams[index].name
            for index, intervals in enumerate(chunk.shifts)
            if any(start <= timestamp < end for start, end in intervals)
        ]

    def next_handoffs(
        self, after: datetime, count: int = 5, *, overrides: Sequence[Override] = ()
    ) -> list[Handoff]:
        """The next ``count`` changes of who holds a level's pager after ``after``."""
        return handoffs.next_handoffs(self, after, count, overrides=overrides)

    def stints(
        self,
        level: Level,
        start: datetime,
        end: datetime,
        *,
        overrides: Sequence[Override] = (),
        prefer_languages: Iterable[str] = (),
        prefer_specialisations: Iterable[str] = (),
    ) -> Iterator[OnCall]:
        """Consecutive answers covering ``[start, end)``, each starting where the previous
        ended; the first may begin before ``start``.

        Handoffs, coverage gaps and calendars are all walks over this."""
        languages, specialisations = tuple(prefer_languages), tuple(prefer_specialisations)
        moment = require_aware(start).astimezone(UTC)
        end = require_aware(end).astimezone(UTC)
        first = True
        while moment < end:
            answer = self.on_call(
                moment,
                level,
                overrides=overrides,
                prefer_languages=languages,
                prefer_specialisations=specialisations,
            )
            if not first and answer.shift_start != moment:
                # A stint longer than the look-back horizon: continue it, do not restart it.
                answer = replace(answer, shift_start=moment)
            yield answer
            first = False
            moment = answer.shift_end

    def _select(self, state: LevelState, preference: Preference) -> Candidate | None:
        candidates = state.candidates
        if len(candidates) > 1 and (preference[0] or preference[1]):
            scores = [self._score(candidate.team, preference) for candidate in candidates]
            best = max(scores)
            if best:
                return candidates[scores.index(best)]
        if candidates:
            return candidates[0]
        return state.fallback

    def _score(self, team: int, preference: Preference) -> int:
        languages, specialisations = self._team_tags[team]
        return len(languages & preference[0]) + len(specialisations & preference[1])

    def _holder(self, state: LevelState, preference: Preference) -> tuple[int, str, str | None]:
        chosen = self._select(state, preference)
        if chosen is None:
            return (-1, "", None)
        return (chosen.team, chosen.primary, chosen.secondary)

    def _answer(self, level: Level, timestamp: float, preference: Preference) -> OnCall:
        chunk, index, state = self.timeline.state(level, timestamp)
        chosen = self._select(state, preference)
        holder = self._holder(state, preference)
        start, end = self._span(level, chunk.start, index, holder, preference)
        span = datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)
        if chosen is None:
            return OnCall(
                level, None, None, None, "nobody", *span,
                f"nobody on call for {level}: no region on shift and no fallback {level} roster",
            )  # fmt: skip
        team = self.timeline.teams[chosen.team]
        primary = self._people[chosen.primary]
        secondary = self._people[chosen.secondary] if chosen.secondary else None
        if team.region is None:
            reason = f"no region on shift for {level}; fallback roster {team.name} covers"
            return OnCall(level, None, primary, secondary, "fallback", *span, reason, team.name)
        window = team.region.shift
        reason = (
            f"{team.name} on shift {window.start:%H:%M}–{window.end:%H:%M} {team.region.time_zone}"
        )
        if len(state.candidates) > 1:
            others = ", ".join(self.timeline.teams[c.team].name for c in state.candidates)
            reason += f"; chosen among {others}"
            if chosen is not state.candidates[0]:
                reason += " by language/specialisation preference"
        return OnCall(level, team.name, primary, secondary, "roster", *span, reason, team.name)

    def _span(
        self,
        level: Level,
        chunk_start: float,
        index: int,
        holder: tuple[int, str, str | None],
        preference: Preference,
    ) -> tuple[float, float]:
        """The stint of consecutive table rows (across weeks) with the same holder."""
        timeline = self.timeline
        key = timeline.key_of(chunk_start)
        chunk = timeline.chunk(key)
        # backwards
        k, i = key, index
        start = chunk.starts[level][index]
        while True:
            if i == 0:
                if k - 1 < key - SPAN_HORIZON_CHUNKS:
                    break
                k -= 1
                i = len(timeline.chunk(k).starts[level])
            i -= 1
            previous = timeline.chunk(k)
            if self._holder(previous.states[level][i], preference) != holder:
                break
            start = previous.starts[level][i]
        # forwards
        k, i = key, index
        while True:
            current = timeline.chunk(k)
            if i + 1 < len(current.starts[level]):
                i += 1
            else:
                if k + 1 > key + SPAN_HORIZON_CHUNKS:
                    return start, current.end
                k += 1
                i = 0
                current = timeline.chunk(k)
            if self._holder(current.states[level][i], preference) != holder:
                return start, current.starts[level][i]

    def _apply_overrides(self, base: OnCall, at: datetime, overrides: Sequence[Override]) -> OnCall:
        start, end = base.shift_start, base.shift_end
        relevant = [
            o for o in overrides if o.level == base.level and o.start < end and o.end > start
        ]
        if not relevant:
            return base
        chosen: dict[str, Override] = {}
        for override in sorted(relevant, key=lambda o: o.start):
            if override.start <= at < override.end:
                chosen[override.slot] = override
                start, end = max(start, override.start), min(end, override.end)
            elif override.end <= at:
                start = max(start, override.end)
            else:
                end = min(end, override.start)
        if not chosen:
            return replace(base, shift_start=start, shift_end=end)
        people = {}
        for slot, override in chosen.items():
            if override.person not in self._people:
                raise ValueError(f"override names unknown person {override.person!r}")
            people[slot] = self._people[override.person]
        summary = ", ".join(
            f"{slot} by {o.person} until {o.end:%Y-%m-%d %H:%M}Z" for slot, o in chosen.items()
        )
        return replace(
            base,
            primary=people.get("primary", base.primary),
            secondary=people.get("secondary", base.secondary),
            source="override",
            shift_start=start,
            shift_end=end,
            reason=f"override of {summary}; roster: {base.reason}",
        )


def _preference(languages: Iterable[str], specialisations: Iterable[str]) -> Preference:
    return (
        frozenset(lang.casefold() for lang in languages),
        frozenset(spec.casefold() for spec in specialisations),
    )
