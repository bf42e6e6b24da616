"""Predictive escalation: the chance that an open incident breaches its resolution target.
Pure: no I/O. The model and its inputs are described in docs/forecast.md.

The estimate is empirical and conditional. Of the comparable past incidents (same severity
and customer tier, at the same level) that were still unresolved after as long as this one
has been at its level, the share that then needed more than the time left on the clock,
once their remaining time is stretched by how loaded the level is now (open incidents per
person on shift, above the reference load), is the chance of a breach.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

MIN_SAMPLES = 5  # fewer comparable incidents than this: no forecast, said so
REFERENCE_LOAD = 1.0  # open incidents per person on shift that the history is taken to reflect


@dataclass(frozen=True)
class Situation:
    """One open incident, now."""

    time_left: timedelta  # until its resolution target's due instant
    at_level: timedelta  # since it reached its current level
    level: str
    open_at_level: int  # open incidents at that level now, this one included
    on_shift: int  # people on shift at that level now (primary and secondary)


@dataclass(frozen=True)
class Forecast:
    probability: float | None  # None: too little comparable history to say
    comparable: int  # past incidents still open after as long at this level
    stretch: float  # how much the current load lengthens the remaining time
    reasons: tuple[str, ...]

    def crosses(self, threshold: float) -> bool:
        return self.probability is not None and self.probability >= threshold


def span(value: timedelta) -> str:
    """``2h05m``, ``45m``; negative spans read as overdue."""
    minutes = int(value.total_seconds() // 60)
    if minutes < 0:
        return f"overdue by {span(-value)}"
    hours, rest = divmod(minutes, 60)
    return f"{hours}h{rest:02d}m" if hours else f"{rest}m"


def stretch_for(open_at_level: int, on_shift: int, reference: float = REFERENCE_LOAD) -> float:
    """Remaining work takes longer when each person on shift carries more open incidents
    than the history reflects; never shorter (a quiet shift does not make a fix faster)."""
    load = open_at_level / max(on_shift, 1)
    return max(1.0, load / reference)


@dataclass(frozen=True)
class Sample:
    """One past incident: how long it took from reaching the level to resolution, and the
    stretch its own level's load put on it then (1.0: at or under the reference load)."""

    duration: timedelta
    stretch: float = 1.0


def _work(item: timedelta | Sample) -> timedelta:
    """A past duration as it would have been at the reference load."""
    if isinstance(item, Sample):
        return item.duration / max(item.stretch, 1.0)
    return item


def forecast(
    now: Situation,
    history: Sequence[timedelta | Sample],
    *,
    described: str,
    min_samples: int = MIN_SAMPLES,
    reference_load: float = REFERENCE_LOAD,
) -> Forecast:
    """``history``: how long comparable past incidents took to resolve from reaching
    ``now.level`` (with their load then, when known); ``described``: who they are, for the
    reasons ("Sev1 Premier")."""
    stretch = stretch_for(now.open_at_level, now.on_shift, reference_load)
    load = (
        f"load at {now.level}: {now.open_at_level} open for {now.on_shift} on shift"
        + (f" (remaining time ×{stretch:.1f})" if stretch > 1 else "")
        if now.on_shift
        else f"load at {now.level}: {now.open_at_level} open and nobody on shift"
        f" (remaining time ×{stretch:.1f})"
    )
    clock = f"{span(now.time_left)} left on the resolution clock"
    if now.time_left <= timedelta(0):
        return Forecast(1.0, 0, stretch, (clock, load))
    survivors = [w - now.at_level for w in map(_work, history) if w > now.at_level]
    if len(survivors) < min_samples:
        said = (
            f"only {len(survivors)} past {described} incidents were still open after "
            f"{span(now.at_level)} at {now.level} (at least {min_samples} needed)"
        )
        return Forecast(None, len(survivors), stretch, (clock, said, load))
    late = sum(1 for left in survivors if left * stretch > now.time_left)
    typical = timedelta(seconds=median(left.total_seconds() for left in survivors))
    history_said = (
        f"{late} of {len(survivors)} past {described} incidents still open after "
        f"{span(now.at_level)} at {now.level} needed more than that "
        f"(median {span(typical)} more at the reference load)"
    )
    return Forecast(late / len(survivors), len(survivors), stretch, (clock, history_said, load))


# -- levels from the timeline ----------------------------------------------------------------

_LEVEL = re.compile(r"(?:escalated to|to) (L1|L2|L3|management)\b|\b(L3) engaged")
_NAMES = {"management": "MGMT"}


def level_of(text: str) -> str | None:
    """The level an ``escalated`` event moved to, read from its words (every escalation in
    the product says "escalated to L2", "… to management" or "L3 engaged")."""
    found = _LEVEL.search(text)
    if found is None:
        return None
    name = found.group(1) or found.group(2)
    return _NAMES.get(name, name)


def reached(
    opened_at: datetime, escalations: Iterable[tuple[datetime, str]]
) -> dict[str, datetime]:
    """When an incident first reached each level: L1 at opening, then each escalation
    (``(at, text)`` of its ``escalated`` events, oldest first)."""
    levels = {"L1": opened_at}
    for at, text in escalations:
        level = level_of(text)
        if level is not None and level not in levels:
            levels[level] = at
    return levels


def durations_from(
    level: str, past: Iterable[tuple[dict[str, datetime], datetime]]
) -> list[timedelta]:
    """How long each past incident took to resolve from reaching ``level`` (``past``: when
    it reached each level, and when it was resolved); incidents that never reached it are
    left out."""
    return [
        resolved - levels[level]
        for levels, resolved in past
        if level in levels and resolved > levels[level]
    ]


_ORDER = ("L1", "L2", "L3", "MGMT")


def _stint(
    level: str, levels: dict[str, datetime], resolved: datetime
) -> tuple[datetime, datetime]:
    """[reached ``level``, left it): by the next level reached after it, or resolution."""
    entered = levels[level]
    later = [levels[n] for n in _ORDER[_ORDER.index(level) + 1 :] if n in levels]
    return entered, min([at for at in later if at > entered] + [resolved])


def samples(
    level: str,
    past: Sequence[tuple[dict[str, datetime], datetime]],
    on_shift: int,
    reference_load: float = REFERENCE_LOAD,
) -> list[Sample]:
    """:func:`durations_from` with each past incident's own load: how many of ``past`` were
    at ``level`` when it reached it (itself included), per person on shift (``on_shift``:
    today's staffing, the one figure the timeline does not keep)."""
    stints = [_stint(level, levels, resolved) for levels, resolved in past if level in levels]
    starts, ends = sorted(s for s, _ in stints), sorted(e for _, e in stints)
    found = []
    for levels, resolved in past:
        if level not in levels or resolved <= levels[level]:
            continue
        entered = levels[level]
        open_then = bisect_right(starts, entered) - bisect_right(ends, entered)
        found.append(Sample(resolved - entered, stretch_for(open_then, on_shift, reference_load)))
    return found
