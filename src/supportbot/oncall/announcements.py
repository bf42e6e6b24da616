"""Handoff announcements: at each change of who holds a pager, say so in the on-call channel.

The reconciler calls :func:`announce_handoffs` on every pass. It covers the interval from
the last instant it covered (a marker row in ``kv_state``) to now, in the same transaction
that writes the announcements and moves the marker, so a restart neither repeats nor skips
one, and a unique key per handoff instant guards against two workers racing. After a long
outage only the last :data:`CATCH_UP` is announced (stale handoffs are noise to the people
now on shift); the paused stretch is logged and said in the next announcement.

Each post lists who hands over to whom per level, then the open incidents with their SLA
clocks, so the incoming team starts with the full picture. A change made by ``/oncall
override`` or ``end-override`` is announced by the command itself and not again here; an
override running out at its planned end is announced here. The paging engine hands an
unacknowledged Severity 1 to the incoming region through the ``also`` hook (same transaction,
same handoffs, so also exactly once) or by asking :func:`handoffs_since` itself.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from supportbot.db.models import Incident, KeyValue, OncallOverride, SlaClock
from supportbot.incidents.lifecycle import ACTIVE, severity_label
from supportbot.oncall import Handoff, OnCall, handoffs_between
from supportbot.oncall.board import slack_name, with_utc
from supportbot.oncall.lookup import overrides_between, resolver, team_zone
from supportbot.oncall.posts import add_post
from supportbot.runtime import Runtime
from supportbot.wording import inert

log = logging.getLogger(__name__)

MARKER = "handoff.announced_until"
CATCH_UP = timedelta(hours=12)
MAX_INCIDENTS = 15  # listed per announcement; the rest are counted

HandoffHook = Callable[[Runtime, Session, list[Handoff]], object]


def handoffs_since(rt: Runtime, session: Session, start: datetime, end: datetime) -> list[Handoff]:
    """Every handoff at an instant in ``(start, end]``, with overrides as they really ran;
    empty when the rotation files cannot be loaded (that is logged and in ``check``)."""
    found = resolver(rt)
    if found is None:
        return []
    overrides = overrides_between(session, start, end, found.rotation.people)
    return handoffs_between(found, start, end, overrides=overrides)


def announce_handoffs(rt: Runtime, *, also: Sequence[HandoffHook] = ()) -> int:
    """Announce the handoffs since the last pass; returns how many posts it wrote."""
    written = _announce(rt, also) if (rt.settings.oncall_channel or also) else []
    return len([post for post in written if post is not None])


def _announce(rt: Runtime, also: Sequence[HandoffHook]) -> list[int | None]:
    if resolver(rt) is None:
        return []  # the marker stays, so the handoffs are announced once the files load
    now = rt.now()
    with rt.session() as session:
        marker = session.get(KeyValue, MARKER, with_for_update=True)
        if marker is None:
            # First pass ever: start from now rather than announce the past.
            session.add(KeyValue(key=MARKER, value=now.isoformat(), updated_at=now))
            log.info("handoff announcements start from %s", now.isoformat())
            return []
        last = datetime.fromisoformat(marker.value)
        if now <= last:
            return []
        start = max(last, now - CATCH_UP)
        paused = f"{last:%a %d %b %H:%M} UTC" if start > last else None
        if paused:
            log.warning(
                "handoff announcements were paused since %s; only handoffs after %s are announced",
                last.isoformat(),
                start.isoformat(),
            )
        handoffs = handoffs_since(rt, session, start, now)
        told = _told_by_command(session, start, now)
        written: list[int | None] = []
        for at, group in groupby(handoffs, key=lambda h: h.at):
            fresh = [h for h in group if not _is_told(h, told)]
            if not fresh:
                continue
            text = describe(rt, session, fresh, now, paused=paused)
            paused = None
            key = handoff_key(at)
            written.append(
                add_post(session, key=key, channel=rt.settings.oncall_channel, text=text, now=now)
            )
        for hook in also:
            hook(rt, session, handoffs)
        marker.value, marker.updated_at = now.isoformat(), now
    return written


def handoff_key(at: datetime) -> str:
    """The post's key: one per handoff instant, to the microsecond. An override made by
    command starts and ends at sub-second instants, so its end can fall in the same second
    as a roster handoff; a key of whole seconds dropped the second of the two posts. Whole
    seconds keep their old key, so rows written before still guard against a repeat."""
    seconds = f"handoff-{int(at.timestamp())}"
    return f"{seconds}.{at.microsecond:06d}" if at.microsecond else seconds


def _told_by_command(session: Session, start: datetime, end: datetime) -> set[datetime]:
    """Instants at which ``/oncall`` itself started or ended an override (and said so)."""
    rows = session.scalars(
        select(OncallOverride).where(
            or_(
                (OncallOverride.start_at > start) & (OncallOverride.start_at <= end),
                (OncallOverride.ended_early_at > start) & (OncallOverride.ended_early_at <= end),
            )
        )
    )
    told: set[datetime] = set()
    for row in rows:
        if row.created_at >= row.start_at:  # begun when made; a swap's, made ahead, is not
            told.add(row.start_at)
        if row.ended_early_at is not None:
            told.add(row.ended_early_at)
    return told


def _is_told(handoff: Handoff, told: set[datetime]) -> bool:
    by_override = "override" in (handoff.before.source, handoff.after.source)
    return by_override and handoff.at in told


# -- the message ---------------------------------------------------------------------------


def _side(answer: OnCall) -> str:
    if answer.primary is None:
        return f"nobody :warning: ({answer.reason})"
    team = answer.covered_by or "no team"
    tag = " · override" if answer.source == "override" else ""
    return f"{slack_name(answer.primary)} · {team}{tag}"


def describe(
    rt: Runtime, session: Session, group: list[Handoff], now: datetime, *, paused: str | None
) -> str:
    """The announcement of the handoffs at one instant, in the incoming team's zone."""
    found = resolver(rt)
    assert found is not None
    first = group[0]
    zone = team_zone(found, first.to_region)
    moved = next((h for h in group if h.region_changed), None)
    when = with_utc(first.at, zone)
    if moved is not None:
        head = (
            f":arrows_counterclockwise: *Handoff* {when}: *{moved.from_region or 'nobody'}* "
            f"hands over to *{moved.to_region or 'nobody'}*"
        )
    else:
        head = f":arrows_counterclockwise: *Pager change* {when}"
    lines = [head]
    if paused:
        lines.append(f"_(announcements were paused since {paused}; earlier handoffs not posted)_")
    lines += [f"• {h.level}: {_side(h.before)} → {_side(h.after)}" for h in group]
    lines += open_incidents(rt, session, now, zone)
    return "\n".join(lines)


def _relative(delta: timedelta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        text = f"{days}d{hours:02d}h"
    else:
        text = f"{hours}h{minutes:02d}m" if hours else f"{minutes}m"
    return f"in {text}" if delta.total_seconds() >= 0 else f"overdue by {text}"


def _clock(clock: SlaClock, now: datetime, zone: ZoneInfo) -> str:
    if clock.state == "running" and clock.due_at is not None:
        return f"{clock.kind} due {with_utc(clock.due_at, zone)} ({_relative(clock.due_at - now)})"
    # The due the breach missed: a severity change since may have moved the clock's own.
    # Unknown for a breach recorded before it was kept (migration 0012) whose target moved.
    missed = clock.breach_due_at or (None if clock.target_moved_since_breach else clock.due_at)
    if clock.state == "breached" and missed is not None:
        return f"{clock.kind} *breached* (was due {with_utc(missed, zone)})"
    return f"{clock.kind} {clock.state}"


def open_incidents(rt: Runtime, session: Session, now: datetime, zone: ZoneInfo) -> list[str]:
    """Lines for every incident not resolved or closed, most severe first, with its clocks."""
    rows = list(
        session.scalars(
            select(Incident)
            .where(Incident.status.in_([status.value for status in ACTIVE]))
            .order_by(Incident.severity, Incident.id)
        )
    )
    if not rows:
        return ["No open incidents."]
    clocks: dict[int, list[SlaClock]] = {}
    for clock in session.scalars(
        select(SlaClock)
        .where(SlaClock.incident_id.in_([row.id for row in rows[:MAX_INCIDENTS]]))
        .order_by(SlaClock.incident_id, SlaClock.kind.desc())  # response before resolution
    ):
        clocks.setdefault(clock.incident_id, []).append(clock)
    lines = [f"*Open incidents ({len(rows)})*"]
    for row in rows[:MAX_INCIDENTS]:
        customer = rt.contracts.by_key(row.customer) if row.customer else None
        who = f"<@{row.assignee}>" if row.assignee else "unassigned"
        parts = [f"{row.key} {severity_label(row.severity)}", row.status.replace("_", " "), who]
        if customer is not None:
            parts.insert(1, customer.name)
        lines.append(f"• {' · '.join(parts)}: {inert(row.title[:80])}")
        states = [_clock(clock, now, zone) for clock in clocks.get(row.id, [])]
        if states:
            lines.append("   " + " · ".join(states))
    if len(rows) > MAX_INCIDENTS:
        lines.append(f"…and {len(rows) - MAX_INCIDENTS} more (`/incident list`)")
    return lines
