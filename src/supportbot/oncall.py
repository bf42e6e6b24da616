"""Who is on call, from the rotation files and the overrides kept in the database.

The rotation is loaded once per process (and again by ``reload``); a missing or invalid
rotation is not fatal to the desk, but every lookup then says plainly that nobody could be
found, so callers escalate and post it instead of skipping a notification.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot.datafiles import DataFileError
from supportbot.db.models import OncallOverride
from supportbot.rotations import OnCall, Override, Person, Resolver, load_rotation
from supportbot.runtime import Runtime

log = logging.getLogger(__name__)

_KEY = "oncall.resolver"


@dataclass(frozen=True)
class Reached:
    """The people a notification or page goes to, and why nobody, if nobody."""

    people: tuple[Person, ...]
    reason: str
    region: str | None = None


def resolver(rt: Runtime) -> Resolver | None:
    cached = rt.extras.get(_KEY)
    if cached is None:
        try:
            cached = Resolver(load_rotation(rt.settings.rotations_dir))
        except DataFileError as exc:
            log.error("rotation files unusable, nobody can be looked up:\n%s", exc)
            cached = False
        rt.extras[_KEY] = cached
    return cached or None


def active_overrides(session: Session, at: datetime) -> list[Override]:
    rows = session.scalars(
        select(OncallOverride).where(
            OncallOverride.end_at > at, OncallOverride.ended_early_at.is_(None)
        )
    )
    return [
        Override(
            person=r.person,
            level=r.level,
            start=r.start_at,  # type: ignore[arg-type]
            end=r.end_at,
            slot=r.slot,
        )
        for r in rows
    ]  # type: ignore[arg-type]


def on_call(
    rt: Runtime,
    session: Session,
    level: str,
    at: datetime,
    *,
    languages: tuple[str, ...] = (),
    specialisations: tuple[str, ...] = (),
) -> OnCall | None:
    found = resolver(rt)
    if found is None:
        return None
    return found.on_call(
        at,
        level,
        overrides=active_overrides(session, at),  # type: ignore[arg-type]
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


def display_zone(rt: Runtime, session: Session, at: datetime, customer_key: str | None) -> ZoneInfo:
    """The zone to show times in: the on-shift region's, else the customer's, else UTC."""
    answer = on_call(rt, session, "L1", at)
    found = resolver(rt)
    if answer is not None and answer.region and found is not None:
        region = next((r for r in found.rotation.regions if r.name == answer.region), None)
        if region is not None:
            return ZoneInfo(str(region.time_zone))
    customer = rt.contracts.by_key(customer_key) if customer_key else None
    return ZoneInfo(customer.timezone) if customer else ZoneInfo("UTC")
