"""Shift reminders and weekly summaries: which are owed, and when (planning; pure maths first).

A **shift start** is an instant at which someone begins to hold a level's slot that they did
not hold just before: a roster handoff, a region coming on shift, an override or a swap. Its
reminder is due :data:`LEAD` (one hour, counted in real time, so across a DST change it is
still 60 minutes) before it. The reconciler's pass plans every shift start in the next
:data:`PLAN_AHEAD` as a :class:`~supportbot.db.rota.RotaDm` keyed by person, level, slot and
instant, so each shift is reminded of once however many passes see it; the DM's own job checks
at its instant that the shift still starts then (:mod:`.dms`).

The **weekly summary** goes to everyone with a shift in the coming week, on Sunday at 17:00
in their own zone (:func:`~supportbot.oncall.shift_notes.person_zone`), listing the seven days
from then. After an outage it is still sent up to :data:`WEEKLY_CATCH_UP` late, never older.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from supportbot.clock import require_aware
from supportbot.oncall.dms import WEEKLY_CATCH_UP, add_dm, revive_dropped
from supportbot.oncall.lookup import active_overrides, resolver
from supportbot.oncall.model import LEVELS, Level
from supportbot.oncall.resolver import OnCall, Override, Resolver
from supportbot.oncall.shift_notes import person_zone
from supportbot.oncall.wallclock import local_reading, wall_to_utc
from supportbot.runtime import Runtime

LEAD = timedelta(hours=1)
PLAN_AHEAD = timedelta(hours=2)
WEEKLY_WEEKDAY = 6  # Sunday
WEEKLY_TIME = time(17, 0)


@dataclass(frozen=True, slots=True)
class ShiftStart:
    person: str
    level: Level
    slot: str
    team: str | None
    source: str
    at: datetime
    stint_end: datetime  # the end of the first stint of the shift (not always the shift's)

    @property
    def due(self) -> datetime:
        return self.at - LEAD

    @property
    def key(self) -> str:
        return f"remind-{self.person}-{self.level}-{self.slot}-{int(self.at.timestamp())}"


def _holder(answer: OnCall, slot: str) -> str | None:
    person = answer.primary if slot == "primary" else answer.secondary
    return person.key if person is not None else None


def shift_starts(
    found: Resolver, start: datetime, end: datetime, overrides: Sequence[Override] = ()
) -> Iterator[ShiftStart]:
    """Every shift start at an instant in ``(start, end]``, by level then time."""
    start = require_aware(start).astimezone(UTC)
    end = require_aware(end).astimezone(UTC)
    stop = end + timedelta(microseconds=1)
    for level in LEVELS:
        previous: OnCall | None = None
        for answer in found.stints(level, start, stop, overrides=overrides):
            if previous is not None:
                for slot in ("primary", "secondary"):
                    person = _holder(answer, slot)
                    if person is not None and person != _holder(previous, slot):
                        yield ShiftStart(
                            person, level, slot, answer.covered_by, answer.source,
                            answer.shift_start, answer.shift_end,
                        )  # fmt: skip
            previous = answer


def weekly_instants(tz: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """The summary instants (Sunday 17:00 local, DST rule of :mod:`.wallclock`) in
    ``(start, end]``."""
    day = local_reading(start, tz).date() - timedelta(days=1)
    found = []
    while day <= local_reading(end, tz).date() + timedelta(days=1):
        if day.weekday() == WEEKLY_WEEKDAY:
            instant = wall_to_utc(datetime.combine(day, WEEKLY_TIME), tz)
            if start < instant <= end:
                found.append(instant)
        day += timedelta(days=1)
    return found


def plan(rt: Runtime) -> int:
    """Redriver: write the reminders and summaries owed soon; returns how many are new."""
    found = resolver(rt)
    if found is None or not rt.settings.rota_dms:
        return 0
    # One planner at a time across workers: two would race to insert the same keys (the
    # unique key would refuse the second, failing its whole pass). Busy: the next pass plans.
    lock = rt.redis.lock("supportbot:lock:rota-plan", timeout=60, blocking_timeout=0)
    if not lock.acquire():
        return 0
    try:
        return _plan(rt, found)
    finally:
        lock.release()


def _plan(rt: Runtime, found: Resolver) -> int:
    now = rt.now()
    people = found.rotation.people
    written = 0
    with rt.session() as session:
        overrides = active_overrides(session, now, people)
        for shift in shift_starts(found, now, now + PLAN_AHEAD, overrides):
            detail = {
                "level": shift.level, "slot": shift.slot, "team": shift.team,
                "source": shift.source, "start": shift.at.isoformat(),
                "end": shift.stint_end.isoformat(),
            }  # fmt: skip
            row = add_dm(
                session, key=shift.key, kind="reminder", person=shift.person,
                recipient=people[shift.person].slack, due_at=max(shift.due, now), now=now,
                detail=detail,
            ) or revive_dropped(
                session, key=shift.key, due_at=max(shift.due, now), now=now, detail=detail
            )  # fmt: skip
            written += row is not None
        for key, person in people.items():
            tz = person_zone(found.rotation, key)
            for instant in weekly_instants(tz, now - WEEKLY_CATCH_UP, now + PLAN_AHEAD):
                row = add_dm(
                    session, key=f"weekly-{key}-{local_reading(instant, tz):%Y-%m-%d}",
                    kind="weekly", person=key, recipient=person.slack, due_at=instant,
                    now=now, detail={"start": instant.isoformat()},
                )  # fmt: skip
                written += row is not None
    return written
