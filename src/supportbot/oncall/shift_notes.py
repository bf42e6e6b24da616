"""What the rota says to a person: shift reminders, weekly summaries and change notices.

Times are shown where the reader lives: a reminder in the zone of the team whose shift it
is ("08:00 Dublin", the region's site), a summary and a change notice in the person's own
zone (:func:`person_zone`: the first region whose rosters list them, else the fallback
roster's, else UTC).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot.db.models import Incident
from supportbot.incidents.lifecycle import ACTIVE, severity_label
from supportbot.oncall.feed import Shift
from supportbot.oncall.lookup import team_zone
from supportbot.oncall.model import Rotation
from supportbot.oncall.resolver import Override, Resolver
from supportbot.oncall.wallclock import zone
from supportbot.wording import inert

MAX_OPEN = 8  # open incidents listed in a reminder; the rest are counted


def person_zone(rotation: Rotation, person: str) -> ZoneInfo:
    """The zone a person lives in, as far as the rotation files tell."""
    for region in rotation.regions:
        for roster in region.rosters.values():
            if person in roster.primary or person in (roster.secondary or ()):
                return zone(region.time_zone)
    if rotation.fallback is not None:
        return zone(rotation.fallback.time_zone)
    return zone("UTC")


def team_place(found: Resolver, team: str | None) -> str:
    """``Dublin`` for a region with a site, else its zone's city, else ``UTC``."""
    for region in found.rotation.regions:
        if region.name == team and region.site:
            return region.site
    key = team_zone(found, team).key
    return key.rsplit("/", 1)[-1].replace("_", " ") if "/" in key else key


def _slot(level: str, slot: str) -> str:
    return level if slot == "primary" else f"{level} {slot}"


def until(delta: timedelta) -> str:
    """``in 1 h``, ``in 1 h 30 min``, ``in 45 min`` (rounded to the minute)."""
    minutes = max(0, round(delta.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"in {hours} h {minutes} min"
    return f"in {hours} h" if hours else f"in {minutes} min"


def open_at_level(session: Session, level: str) -> list[str]:
    rows = session.scalars(
        select(Incident)
        .where(Incident.level == level, Incident.status.in_([s.value for s in ACTIVE]))
        .order_by(Incident.severity, Incident.id)
    ).all()
    shown = [f"{row.key} {severity_label(row.severity)} {inert(row.title[:60])}" for row in rows]
    if len(shown) > MAX_OPEN:
        shown = shown[:MAX_OPEN] + [f"{len(rows) - MAX_OPEN} more (`/incident list`)"]
    return shown


def reminder(found: Resolver, shift: Shift, now: datetime, open_incidents: Sequence[str]) -> str:
    """ "You take L1 for EMEA at 08:00 Dublin, in 1 h; open: …"."""
    local = shift.start.astimezone(team_zone(found, shift.team))
    where = shift.team or "nobody's team"
    listed = "; ".join(open_incidents) if open_incidents else "none"
    return (
        f":alarm_clock: You take {_slot(shift.level, shift.slot)} for {where} at "
        f"{local:%H:%M} {team_place(found, shift.team)}, {until(shift.start - now)}; "
        f"open: {listed}"
    )


def shift_line(shift: Shift, tz: ZoneInfo) -> str:
    start, end = shift.start.astimezone(tz), shift.end.astimezone(tz)
    end_fmt = "%H:%M" if end.date() == start.date() else "%a %d %b %H:%M"
    tag = " (override)" if shift.source == "override" else ""
    return (
        f"{_slot(shift.level, shift.slot)} · {shift.team or 'nobody'}{tag}: "
        f"{start:%a %d %b %H:%M}–{end:{end_fmt}}"
    )


def weekly(shifts: Sequence[Shift], tz: ZoneInfo, start: datetime) -> str:
    lines = [
        f":calendar: Your on-call shifts in the week from {start.astimezone(tz):%a %d %b} "
        f"(times {tz.key}):"
    ]
    lines += [f"• {shift_line(shift, tz)}" for shift in shifts]
    return "\n".join(lines)


def changes(before: Sequence[Shift], after: Sequence[Shift], tz: ZoneInfo) -> str:
    lines = [f":arrows_counterclockwise: Your on-call shifts changed (times {tz.key}):"]
    lines += [f"• no longer: {shift_line(shift, tz)}" for shift in before]
    lines += [f"• now: {shift_line(shift, tz)}" for shift in after]
    return "\n".join(lines)


def starts_shift(
    found: Resolver, overrides: Sequence[Override], person: str, level: str, slot: str,
    at: datetime,
) -> bool:  # fmt: skip
    """The person holds the level's slot from ``at`` and did not just before (a shift that
    merely continues under another team is no new shift to be reminded of)."""

    def holds(moment: datetime) -> bool:
        answer = found.on_call(moment, level, overrides=overrides)  # type: ignore[arg-type]
        holder = answer.primary if slot == "primary" else answer.secondary
        return holder is not None and holder.key == person

    return holds(at) and not holds(at - timedelta(microseconds=1))
