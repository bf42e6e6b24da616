"""Who is on call, from the rotation files and the overrides kept in the database.

The rotation files are loaded at the first lookup and again whenever they change on disk
(a :class:`~supportbot.livefiles.LiveFile`: one directory listing per lookup). An edit that
fails to load keeps the last good rotation in use; with none ever loaded, every lookup says
plainly that nobody could be found, so callers escalate and post it instead of skipping a
notification, and ``/healthz`` answers 503.

Overrides are stored with the rotation's person key (``OncallOverride.person``), the same id
the resolver's :class:`Override` uses, so a Slack id change in the rotation file does not
orphan them. A row naming a person since removed from the rotation cannot hold the pager: it
is left out with an error in the log, and ``supportbot check`` lists it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from supportbot.db.models import OncallOverride
from supportbot.livefiles import LiveFile
from supportbot.oncall import OnCall, Override, Person, Resolver, load_rotation
from supportbot.runtime import Runtime

log = logging.getLogger(__name__)

_KEY = "oncall.resolver"
# How far around an instant overrides are read for a view: the resolver follows a stint up
# to 8 weeks back, and next handoffs are looked for up to 60 days ahead.
VIEW_BEFORE = timedelta(weeks=8)
VIEW_AFTER = timedelta(days=61)


@dataclass(frozen=True)
class Reached:
    """The people a notification or page goes to, and why nobody, if nobody."""

    people: tuple[Person, ...]
    reason: str
    region: str | None = None


def _load(directory: Path) -> Resolver | None:
    return Resolver(load_rotation(directory))


def rotations(rt: Runtime) -> LiveFile[Resolver | None]:
    """The process's rotation files, loaded at the first use."""
    found = rt.extras.get(_KEY)
    if not isinstance(found, LiveFile):
        fresh = LiveFile(
            "rotations", lambda: rt.settings.rotations_dir, _load, None,
            recheck_seconds=rt.settings.data_files_recheck_seconds,
        )  # fmt: skip
        found = rt.extras.setdefault(_KEY, fresh)  # one per runtime, whichever thread is first
    return cast("LiveFile[Resolver | None]", found)


def resolver(rt: Runtime) -> Resolver | None:
    """The rotation in use: the files as they are now, or the last good copy if they broke;
    None when they never loaded (the problem is logged and in ``/healthz``)."""
    return rotations(rt).get()


def effective_end(row: OncallOverride) -> datetime:
    """When the override stops holding the pager: its planned end, or when it was ended."""
    if row.ended_early_at is not None and row.ended_early_at < row.end_at:
        return row.ended_early_at
    return row.end_at


def as_override(row: OncallOverride) -> Override | None:
    """The resolver's view of a row; None for one ended before it began."""
    end = effective_end(row)
    if end <= row.start_at:
        return None
    return Override(
        person=row.person,
        level=row.level,  # type: ignore[arg-type]
        start=row.start_at,
        end=end,
        slot=row.slot,  # type: ignore[arg-type]
    )


def _usable(rows: list[OncallOverride], people: Mapping[str, Person] | None) -> list[Override]:
    found = []
    for row in rows:
        if people is not None and row.person not in people:
            log.error(
                "override #%s names %r, who is not in the rotation files; it is ignored "
                "(restore the person in rotations/ or let it run out)",
                row.id,
                row.person,
            )
            continue
        override = as_override(row)
        if override is not None:
            found.append(override)
    return found


def overrides_between(
    session: Session,
    start: datetime,
    end: datetime,
    people: Mapping[str, Person] | None = None,
) -> list[Override]:
    """Overrides in force at any time in ``[start, end)``, as they really ran (an override
    ended early counts up to its end), for history, handoffs and calendars."""
    rows = session.scalars(
        select(OncallOverride)
        .where(
            OncallOverride.start_at < end,
            OncallOverride.end_at > start,
            or_(OncallOverride.ended_early_at.is_(None), OncallOverride.ended_early_at > start),
        )
        .order_by(OncallOverride.start_at, OncallOverride.id)
    )
    return _usable(list(rows), people)


def active_overrides(
    session: Session, at: datetime, people: Mapping[str, Person] | None = None
) -> list[Override]:
    """Overrides in force at ``at`` or later (not ended): what lookups from now on need."""
    rows = session.scalars(
        select(OncallOverride).where(
            OncallOverride.end_at > at, OncallOverride.ended_early_at.is_(None)
        )
    )
    return _usable(list(rows), people)


def view_overrides(session: Session, at: datetime, found: Resolver) -> list[Override]:
    """The overrides a view of instant ``at`` and its next handoffs depends on."""
    return overrides_between(session, at - VIEW_BEFORE, at + VIEW_AFTER, found.rotation.people)


def on_call(
    rt: Runtime,
    session: Session,
    level: str,
    at: datetime,
    *,
    languages: tuple[str, ...] = (),
    specialisations: tuple[str, ...] = (),
    overrides: list[Override] | None = None,
) -> OnCall | None:
    """``overrides``: those in force at ``at`` (:func:`active_overrides`), when the caller
    already read them; otherwise they are read here."""
    found = resolver(rt)
    if found is None:
        return None
    if overrides is None:
        overrides = active_overrides(session, at, found.rotation.people)
    return found.on_call(
        at,
        level,  # type: ignore[arg-type]
        overrides=overrides,
        prefer_languages=languages,
        prefer_specialisations=specialisations,
    )


def people_for(rt: Runtime, session: Session, level: str, at: datetime) -> Reached:
    """Primary and secondary of a level (L1–L3), or the management list (MGMT)."""
    found = resolver(rt)
    if found is None:
        return Reached((), "the rotation files could not be loaded (run `supportbot check`)")
    if level == "MGMT":
        people = tuple(found.rotation.people[k] for k in found.rotation.management)
        return Reached(people, "management" if people else "no management contacts configured")
    answer = on_call(rt, session, level, at)
    assert answer is not None
    people = tuple(p for p in (answer.primary, answer.secondary) if p is not None)
    unique = tuple({p.key: p for p in people}.values())
    return Reached(unique, answer.reason, answer.region)


def lead(rt: Runtime, session: Session, at: datetime) -> Reached:
    """The on-shift lead: the L1 primary of the region holding the pager."""
    answer = on_call(rt, session, "L1", at)
    if answer is None:
        return Reached((), "the rotation files could not be loaded (run `supportbot check`)")
    return Reached((answer.primary,) if answer.primary else (), answer.reason, answer.region)


def team_zone(found: Resolver, team: str | None) -> ZoneInfo:
    """The zone of a region or of the fallback roster, by name; UTC for nobody."""
    if team is not None:
        for region in found.rotation.regions:
            if region.name == team:
                return ZoneInfo(str(region.time_zone))
        fallback = found.rotation.fallback
        if fallback is not None and fallback.name == team:
            return ZoneInfo(str(fallback.time_zone))
    return ZoneInfo("UTC")


def level_zone(found: Resolver, answer: OnCall) -> ZoneInfo:
    return team_zone(found, answer.covered_by)


def display_zone(
    rt: Runtime,
    session: Session,
    at: datetime,
    customer_key: str | None,
    *,
    overrides: list[Override] | None = None,
) -> ZoneInfo:
    """The zone to show times in: the on-shift region's, else the customer's, else UTC.
    ``overrides``: as for :func:`on_call`."""
    answer = on_call(rt, session, "L1", at, overrides=overrides)
    found = resolver(rt)
    if answer is not None and answer.region and found is not None:
        region = next((r for r in found.rotation.regions if r.name == answer.region), None)
        if region is not None:
            return ZoneInfo(str(region.time_zone))
    customer = rt.contracts.by_key(customer_key) if customer_key else None
    return ZoneInfo(customer.timezone) if customer else ZoneInfo("UTC")


def person_by_slack(found: Resolver, slack_id: str) -> Person | None:
    return next((p for p in found.rotation.people.values() if p.slack == slack_id), None)
