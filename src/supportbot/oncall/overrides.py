"""Creating and ending on-call overrides, with the checks that keep the pager unambiguous.

An override is a promise that someone else holds a pager for a while, so every way it could
be wrong is refused with a message that says what to do instead: a person the rotation does
not know (a page needs their phone number), a duration that is malformed, not positive or
longer than two weeks (a forgotten override would silently replace the roster), or a second
override for the same level and slot at the same time (two people cannot both hold L1
primary). Overrides start when they are made; they end at their planned end or when someone
ends them, and the row keeps both instants for the record.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from supportbot.db.models import OncallOverride
from supportbot.oncall import LEVELS, Level, Override, Person, Resolver, Slot, find_overlap
from supportbot.oncall.board import with_utc
from supportbot.oncall.lookup import active_overrides, person_by_slack

MAX_DURATION = timedelta(days=14)
_UTC = ZoneInfo("UTC")
_DURATION = re.compile(r"(?:(\d{1,6})d)?(?:(\d{1,6})h)?(?:(\d{1,6})m)?", re.IGNORECASE)
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_PG_LOCK_KEY = 0x0C411  # serialises override changes across processes on PostgreSQL


class OverrideError(ValueError):
    """A refusal; the message is shown to the person who asked."""


@dataclass(frozen=True)
class OverrideRequest:
    person: Person
    duration: timedelta
    level: Level
    slot: Slot


def parse_duration(value: str) -> timedelta:
    """``30m``, ``2h``, ``1h30m``, ``1d``, ``1d12h``: positive and at most 14 days."""
    match = _DURATION.fullmatch(value.strip())
    if not value.strip() or not match:
        raise OverrideError(
            f"`{value}` is not a duration: write it like `30m`, `2h`, `1h30m` or `1d`"
        )
    days, hours, minutes = (int(part or 0) for part in match.groups())
    total = days * 1440 + hours * 60 + minutes
    if total <= 0:
        raise OverrideError(f"`{value}` is not a positive duration: give at least `1m`")
    if total > MAX_DURATION.total_seconds() // 60:
        raise OverrideError(
            f"`{value}` is longer than 14 days; an override that long should be a roster "
            "change in the rotation files"
        )
    return timedelta(minutes=total)


def find_person(found: Resolver, token: str) -> Person:
    """A person named by a Slack mention (``<@U123|ana>``), a Slack id or a rotation key."""
    mention = _MENTION.fullmatch(token)
    raw = mention.group(1) if mention else token.removeprefix("@")
    person = person_by_slack(found, raw) or found.rotation.people.get(raw.lower())
    if person is None:
        shown = f"<@{raw}>" if mention else f"`{token}`"
        raise OverrideError(
            f"{shown} is not in the rotation's people, so they could not be paged (no phone "
            "number); add them to the `people` of a file in rotations/ first"
        )
    return person


def _classify(args: Sequence[str]) -> tuple[list[str], list[str], Level | None, Slot | None]:
    """Split words into people, durations, a level and a slot, in whatever order typed."""
    people: list[str] = []
    durations: list[str] = []
    level: Level | None = None
    slot: Slot | None = None
    for arg in (word.strip() for word in args):
        if arg.upper() in LEVELS:
            if level is not None and level != arg.upper():
                raise OverrideError(f"two levels (`{level}` and `{arg}`): say one")
            level = arg.upper()  # type: ignore[assignment]
        elif arg.lower() in ("primary", "secondary"):
            if slot is not None and slot != arg.lower():
                raise OverrideError(f"both `{slot}` and `{arg}`: say one")
            slot = arg.lower()  # type: ignore[assignment]
        elif arg[:1].isdigit() or arg[:1] in "+-.":
            durations.append(arg)
        else:
            people.append(arg)
    return people, durations, level, slot


def parse_override(found: Resolver, args: Sequence[str]) -> OverrideRequest:
    """``@person <duration> [L1|L2|L3] [primary|secondary]``, in any order."""
    usage = "`/oncall override @person 2h [L1|L2|L3] [secondary]`"
    if not args:
        raise OverrideError(f"say who and for how long: {usage}")
    people, durations, level, slot = _classify(args)
    if not people:
        raise OverrideError(f"say who takes the pager: {usage}")
    if len(people) > 1 or len(durations) > 1:
        extra = (people[1:] or durations[1:])[0]
        raise OverrideError(f"unexpected `{extra}`: write {usage}")
    person = find_person(found, people[0])
    if not durations:
        raise OverrideError("say for how long, e.g. `/oncall override @person 2h`")
    return OverrideRequest(person, parse_duration(durations[0]), level or "L1", slot or "primary")


def _serialise(session: Session) -> None:
    # Check-then-insert must not interleave with another process doing the same; on SQLite
    # the single writer and the process lock in unit_of_work already serialise it.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})


serialise = _serialise  # for the other writers of overrides (accepted swaps)


def create_override(
    session: Session,
    found: Resolver,
    request: OverrideRequest,
    *,
    now: datetime,
    created_by: str,
    zone: ZoneInfo = _UTC,
) -> tuple[OncallOverride, Override]:
    """Store an override starting ``now``; refuse one overlapping another for the slot.

    ``zone`` is the one the refusal's "until" is shown in (the team holding the level)."""
    _serialise(session)
    wanted = Override(request.person.key, request.level, now, now + request.duration, request.slot)
    existing = active_overrides(session, now, found.rotation.people)
    clash = find_overlap(existing, wanted)
    if clash is not None:
        holder = found.rotation.people[clash.person]
        if clash.start > now:
            # Made ahead (an accepted swap): `end-override` ends only what is in force, so
            # telling them to end it first would be a dead end.
            raise OverrideError(
                f"{holder.label} (<@{holder.slack}>) holds the {clash.level} {clash.slot} "
                f"override from {with_utc(clash.start, zone)} until "
                f"{with_utc(clash.end, zone)}; give a duration that ends by then"
            )
        raise OverrideError(
            f"{holder.label} (<@{holder.slack}>) already holds the {clash.level} {clash.slot} "
            f"override until {with_utc(clash.end, zone)}; end it first with "
            f"`/oncall end-override @{holder.key}`"
        )
    row = OncallOverride(
        person=request.person.key,
        level=request.level,
        slot=request.slot,
        start_at=wanted.start,
        end_at=wanted.end,
        created_by=created_by,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row, wanted


def end_overrides(
    session: Session,
    person: Person,
    *,
    now: datetime,
    ended_by: str,
    level: Level | None = None,
    slot: Slot | None = None,
) -> list[OncallOverride]:
    """End the person's overrides in force now (optionally one level/slot); refuse if none."""
    _serialise(session)
    query = select(OncallOverride).where(
        OncallOverride.person == person.key,
        OncallOverride.start_at <= now,
        OncallOverride.end_at > now,
        OncallOverride.ended_early_at.is_(None),
    )
    if level is not None:
        query = query.where(OncallOverride.level == level)
    if slot is not None:
        query = query.where(OncallOverride.slot == slot)
    rows = list(session.scalars(query.order_by(OncallOverride.level, OncallOverride.slot)))
    if not rows:
        which = f" for {level}" if level else ""
        raise OverrideError(
            f"{person.label} (<@{person.slack}>) has no override in force{which}; nothing to "
            "end (`/oncall` shows who holds each pager)"
        )
    for row in rows:
        row.ended_early_at = now
        row.ended_by = ended_by
    session.flush()
    return rows


def parse_end(found: Resolver, args: Sequence[str]) -> tuple[Person, Level | None, Slot | None]:
    """``@person [L1|L2|L3] [primary|secondary]``: without a level, all their overrides."""
    usage = "`/oncall end-override @person [L1|L2|L3]`"
    people, durations, level, slot = _classify(args)
    if not people:
        raise OverrideError(f"say whose override to end: {usage}")
    if len(people) > 1 or durations:
        raise OverrideError(f"unexpected `{(people[1:] or durations)[0]}`: write {usage}")
    return find_person(found, people[0]), level, slot
