"""Direct messages owed to people by the rota, as rows (:class:`~supportbot.db.rota.RotaDm`).

:func:`add_dm` writes the row once per key and owes its delivery for its instant, after the
commit. The job reloads the row and posts it once; a reminder's text is written only then,
with the open incidents as they are, and a reminder whose shift moved or already began is
dropped with the reason instead. Never early: a job that RQ starts before the row's instant
owes itself again for that instant. The reconciler's :func:`redrive` owes again every row due
and unsent, so a flushed Redis delays a DM by one pass and never loses it.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot.db.rota import RotaDm
from supportbot.delivery import effects, inflight, job_ids
from supportbot.delivery.kinds import ROTA_DM
from supportbot.delivery.locks import job_lock
from supportbot.delivery.overdue import redrive_overdue
from supportbot.oncall import shift_notes
from supportbot.oncall.feed import Shift, person_shifts
from supportbot.oncall.lookup import active_overrides, resolver
from supportbot.oncall.wallclock import local_reading, wall_to_utc
from supportbot.runtime import Runtime, get_runtime

log = logging.getLogger(__name__)

GRACE = timedelta(seconds=10)  # younger due rows are probably still in the queue
WEEK = timedelta(days=7)
# A weekly summary is sent at most this late (after an outage), never older: days late, it
# would list shifts already past as "the coming week".
WEEKLY_CATCH_UP = timedelta(hours=12)


def add_dm(
    session: Session,
    *,
    key: str,
    kind: str,
    person: str,
    recipient: str,
    due_at: datetime,
    now: datetime,
    text: str = "",
    detail: dict[str, Any] | None = None,
) -> RotaDm | None:
    """Record a DM once per ``key`` and owe it for ``due_at``; None if the key exists."""
    if session.scalar(select(RotaDm.id).where(RotaDm.key == key)) is not None:
        return None
    row = RotaDm(
        key=key, kind=kind, person=person, recipient=recipient, text=text,
        detail=json.dumps(detail or {}), due_at=due_at, created_at=now,
    )  # fmt: skip
    session.add(row)
    session.flush()
    _owe(session, row, now)
    return row


def revive_dropped(
    session: Session, *, key: str, due_at: datetime, now: datetime, detail: dict[str, Any]
) -> RotaDm | None:
    """Owe again a reminder dropped because its shift moved, now that the shift starts at its
    instant again (moved away and back): the key alone would keep it unsent for good."""
    row = session.scalar(
        select(RotaDm).where(
            RotaDm.key == key, RotaDm.sent_at.is_(None), RotaDm.dropped_at.is_not(None)
        )
    )
    if row is None:
        return None
    row.dropped_at, row.dropped_reason = None, None
    row.due_at, row.detail = due_at, json.dumps(detail)
    _owe(session, row, now)
    return row


def _owe(session: Session, row: RotaDm, now: datetime) -> None:
    if row.due_at > now:
        effects.owe_at(session, row.due_at, ROTA_DM, row.id, job_id=job_ids.rota_dm(row.id))
    else:
        effects.owe(session, ROTA_DM, row.id, job_id=job_ids.rota_dm(row.id))


def redrive(rt: Runtime) -> int:
    """Owe again every DM due more than :data:`GRACE` ago and neither sent nor dropped."""
    now = rt.now()
    return redrive_overdue(rt, RotaDm, RotaDm.due_at,
                           RotaDm.sent_at.is_(None) & RotaDm.dropped_at.is_(None), GRACE,
                           lambda session, row: _owe(session, row, now), "rota DM(s)")  # fmt: skip


def _shift(detail: dict[str, Any], person: str) -> Shift:
    return Shift(
        person, detail["level"], detail["slot"], detail["team"], detail["source"],
        datetime.fromisoformat(detail["start"]), datetime.fromisoformat(detail["end"]),
    )  # fmt: skip


def compose(rt: Runtime, session: Session, row: RotaDm, now: datetime) -> tuple[str, str | None]:
    """The text to send now, or ("", reason) to drop the DM."""
    if row.kind not in ("reminder", "weekly"):
        return row.text, None
    found = resolver(rt)
    if found is None:
        return "", "the rotation files could not be loaded"
    if row.person not in found.rotation.people:
        return "", f"{row.person} is no longer in the rotation files"
    overrides = active_overrides(session, now, found.rotation.people)
    detail = json.loads(row.detail)
    if row.kind == "weekly":
        start = datetime.fromisoformat(detail["start"])
        if now > start + WEEKLY_CATCH_UP:
            return (
                "",
                f"more than {WEEKLY_CATCH_UP // timedelta(hours=1)} h late (the worker was down)",
            )
        tz = shift_notes.person_zone(found.rotation, row.person)
        # To next Sunday 17:00 on the person's clock, where the next summary begins: seven
        # days of real time would end an hour early or late across a DST change.
        end = wall_to_utc(local_reading(start, tz) + WEEK, tz)
        shifts = person_shifts(found, row.person, start, end, overrides=overrides)
        if not shifts:
            return "", "no shifts in the coming week"
        return shift_notes.weekly(shifts, tz, start), None
    shift = _shift(detail, row.person)
    if now >= shift.start:
        return "", "the shift had already begun"
    if not shift_notes.starts_shift(
        found, overrides, row.person, shift.level, shift.slot, shift.start
    ):
        return "", "the shift moved (rotation file or override) before its reminder"
    incidents = shift_notes.open_at_level(session, shift.level)
    return shift_notes.reminder(found, shift, now, incidents), None


@ROTA_DM.runs
def deliver(dm_id: int) -> str:
    """RQ job: send one DM once; returns sent, dropped, early or stale (for tests and logs)."""
    rt = get_runtime()
    with job_lock(rt.redis, f"rota-dm:{dm_id}", f"rota DM {dm_id}"):
        return _deliver(rt, dm_id)


def _deliver(rt: Runtime, dm_id: int) -> str:
    now = rt.now()
    with rt.session() as session:
        row = session.get(RotaDm, dm_id)
        if row is None or row.sent_at is not None or row.dropped_at is not None:
            return "stale"
        if row.due_at > now:
            _owe(session, row, now)  # never early: RQ may start a job a second before
            return "early"
        text, dropped = compose(rt, session, row, now)
        if dropped is not None:
            row.dropped_at, row.dropped_reason = now, dropped
            log.info("rota DM %s to %s dropped: %s", row.key, row.person, dropped)
            return "dropped"
        recipient, blocks = row.recipient, json.loads(row.detail).get("blocks")
    message: dict[str, Any] = {"channel": recipient, "text": text, "unfurl_links": False}
    if blocks:
        message["blocks"] = blocks  # a swap invitation's buttons
    key = f"rota-dm-{dm_id}"
    ts = inflight.post(rt, key, message)  # RQ retries a failure; the reconciler re-owes it
    with rt.session() as session:
        row = session.get_one(RotaDm, dm_id)
        row.sent_at, row.ts, row.text = rt.now(), ts, text
    inflight.done(rt, key)
    return "sent"
