"""Changes announced to the people they move: one DM each, listing their shifts before and
after, when a rotation file or an override changes who is on call in the next 14 days.

The reconciler's pass keeps a snapshot of everyone's shifts over the next :data:`WINDOW` (a
``kv_state`` row) with a fingerprint of what they were computed from: the rotation as loaded
and the overrides in the window. While the fingerprint stays, nothing is computed (the
snapshot is refreshed every :data:`REFRESH` so it keeps covering 14 days ahead). When it
changes, the shifts are computed again and compared with the snapshot over the stretch both
cover, person by person; each person whose shifts differ gets one DM (:mod:`.dms`), in their
own zone. Time passing is no change: shifts entering the window at its far end are not
compared, and a shift under way is compared only from now on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from supportbot.db.models import KeyValue
from supportbot.oncall.dms import add_dm
from supportbot.oncall.feed import Shift, person_shifts
from supportbot.oncall.lookup import overrides_between, resolver
from supportbot.oncall.resolver import Override, Resolver
from supportbot.oncall.shift_notes import changes, person_zone
from supportbot.runtime import Runtime

WINDOW = timedelta(days=14)
REFRESH = timedelta(hours=1)
MARKER = "rota.shift_snapshot"
_PRINT = "rota.rotation_print"  # rt.extras: (resolver, digest of its rotation)

Snapshot = dict[str, list[Shift]]


def rostered(found: Resolver) -> list[str]:
    """People who can hold a pager by the files (an override can add anyone else)."""
    keys: set[str] = set()
    fallback = found.rotation.fallback
    rosters = [roster for region in found.rotation.regions for roster in region.rosters.values()]
    rosters += list(fallback.rosters.values()) if fallback else []
    for roster in rosters:
        keys.update(roster.primary)
        keys.update(roster.secondary or ())
    return sorted(keys)


def shifts_of_everyone(
    found: Resolver, start: datetime, end: datetime, overrides: Sequence[Override]
) -> Snapshot:
    people = sorted(set(rostered(found)) | {o.person for o in overrides})
    every = {key: person_shifts(found, key, start, end, overrides=overrides) for key in people}
    return {key: shifts for key, shifts in every.items() if shifts}


def clip(snapshot: Snapshot, start: datetime, end: datetime) -> Snapshot:
    clipped: Snapshot = {}
    for person, shifts in snapshot.items():
        kept = [
            replace(s, start=max(s.start, start), end=min(s.end, end))
            for s in shifts
            if s.start < end and s.end > start
        ]
        if kept:
            clipped[person] = kept
    return clipped


def minus(shifts: Sequence[Shift], others: Sequence[Shift]) -> list[Shift]:
    """The parts of ``shifts`` not covered by ``others`` of the same level and slot."""
    pieces: list[Shift] = []
    for shift in shifts:
        parts = [shift]
        for other in others:
            if (other.level, other.slot) != (shift.level, shift.slot):
                continue
            cut: list[Shift] = []
            for part in parts:
                if other.end <= part.start or other.start >= part.end:
                    cut.append(part)
                    continue
                if part.start < other.start:
                    cut.append(replace(part, end=other.start))
                if other.end < part.end:
                    cut.append(replace(part, start=other.end))
            parts = cut
        pieces += parts
    return sorted(pieces, key=lambda s: (s.start, s.level, s.slot))


def differences(before: Snapshot, after: Snapshot) -> dict[str, tuple[list[Shift], list[Shift]]]:
    """Per person whose on-call time moved: (time no longer theirs, time newly theirs)."""
    moved = {}
    for person in sorted(set(before) | set(after)):
        old, new = before.get(person, []), after.get(person, [])
        gone, came = minus(old, new), minus(new, old)
        if gone or came:
            moved[person] = (gone, came)
    return moved


def _digest(rt: Runtime, found: Resolver, overrides: Sequence[Override]) -> str:
    cached = rt.extras.get(_PRINT)
    if not (isinstance(cached, tuple) and cached[0] is found):
        cached = (found, hashlib.sha256(found.rotation.model_dump_json().encode()).hexdigest())
        rt.extras[_PRINT] = cached
    parts = sorted(f"{o.person}|{o.level}|{o.slot}|{o.start}|{o.end}" for o in overrides)
    return hashlib.sha256("\n".join([cached[1], *parts]).encode()).hexdigest()


def _dump(snapshot: Snapshot, digest: str, start: datetime, end: datetime) -> str:
    def row(shift: Shift) -> dict[str, Any]:
        return asdict(shift) | {"start": shift.start.isoformat(), "end": shift.end.isoformat()}

    shifts = {person: [row(s) for s in items] for person, items in snapshot.items()}
    body = {"print": digest, "start": start.isoformat(), "end": end.isoformat(), "shifts": shifts}
    return json.dumps(body)


def _load(value: str) -> tuple[str, datetime, Snapshot]:
    body = json.loads(value)
    snapshot = {
        person: [
            Shift(**(row | {"start": datetime.fromisoformat(row["start"]),
                             "end": datetime.fromisoformat(row["end"])}))
            for row in rows
        ]
        for person, rows in body["shifts"].items()
    }  # fmt: skip
    return body["print"], datetime.fromisoformat(body["end"]), snapshot


def announce_changes(rt: Runtime) -> int:
    """Redriver: DM everyone whose shifts in the next 14 days moved; returns how many DMs."""
    found = resolver(rt)
    if found is None or not rt.settings.rota_dms:
        return 0
    now = rt.now()
    with rt.session() as session:
        marker = session.get(KeyValue, MARKER, with_for_update=True)
        overrides = overrides_between(session, now, now + WINDOW, found.rotation.people)
        digest = _digest(rt, found, overrides)
        if marker is not None:
            old_print, old_end, old = _load(marker.value)
            if old_print == digest and marker.updated_at > now - REFRESH:
                return 0
        current = shifts_of_everyone(found, now, now + WINDOW, overrides)
        written = 0
        if marker is not None and old_print != digest and old_end > now:
            moved = differences(clip(old, now, old_end), clip(current, now, old_end))
            written = _tell(session, found, moved, now)
        value = _dump(current, digest, now, now + WINDOW)
        if marker is None:
            session.add(KeyValue(key=MARKER, value=value, updated_at=now))
        else:
            marker.value, marker.updated_at = value, now
    return written


def _tell(
    session: Session, found: Resolver, moved: dict[str, tuple[list[Shift], list[Shift]]],
    now: datetime,
) -> int:  # fmt: skip
    written = 0
    for person, (gone, came) in moved.items():
        who = found.rotation.people.get(person)
        if who is None:
            continue
        text = changes(gone, came, person_zone(found.rotation, person))
        row = add_dm(
            session, key=f"change-{person}-{int(now.timestamp())}", kind="change",
            person=person, recipient=who.slack, due_at=now, now=now, text=text,
        )  # fmt: skip
        written += row is not None
    return written
