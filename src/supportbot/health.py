"""What ``/healthz`` reports: each part the pager needs, and whether paging is possible.

A pager that cannot page must never look healthy. Each part is ``ok``, ``degraded`` (the
operator should look, paging still works) or ``down`` (paging is impossible), and the report
answers 503 when any part is down:

- down: the database or Redis does not answer (Redis within a second), or the database
  refused a transaction lately (a full disk); the rotation files never loaded, or nobody is
  on call for L1 now; no worker heartbeat within :data:`HEARTBEAT_TTL`.
- degraded: Slack's last ``auth.test`` failed (cached by the staff directory, never asked per
  request); the staff are unknown; L1 has a gap later in the next 24 h; work is overdue in the
  database (an SLA timer, a page or an escalation step past due by more than a grace); a data
  file failed to load again and its last good copy is in use.

The worker writes the heartbeat (:func:`beat`): a Redis key that expires unless renewed,
so "seen within a minute" is measured by Redis's own clock, whatever the hosts' clocks say.
This module only assembles the report; ``web.py`` serves it.
"""

from __future__ import annotations

import json
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from supportbot.db.attention import DeferredPage
from supportbot.db.engine import ping, refused_recently
from supportbot.db.models import Escalation, Page, SlaTimer
from supportbot.oncall import Override, Resolver, coverage_gaps, lookup
from supportbot.runtime import Runtime

log = logging.getLogger(__name__)

State = Literal["ok", "degraded", "down"]

HEARTBEAT_TTL = 60  # seconds: a worker not heard from for a minute is gone
BEAT_SECONDS = 15.0  # how often the worker renews it (at most; see ReconcilerThread)
COVERAGE_DAYS = 1  # L1 must be covered for the next 24 h
MIN_OVERDUE_GRACE = timedelta(seconds=60)


@dataclass(frozen=True)
class Part:
    name: str
    state: State
    shown: str  # what the report says: "ok", or what is wrong


@dataclass(frozen=True)
class Report:
    parts: tuple[Part, ...]

    def named(self, state: State) -> list[str]:
        return [part.name for part in self.parts if part.state == state]

    @property
    def status(self) -> str:
        if self.named("down"):
            return "unavailable"
        return "degraded" if self.named("degraded") else "ok"

    @property
    def http_status(self) -> int:
        return 503 if self.named("down") else 200

    def as_dict(self, *, detailed: bool = True) -> dict[str, object]:
        """``detailed``: each part says what is wrong; else only its state (for anyone who
        may not read ``/metrics``: the details name files on disk, people and numbers)."""
        body: dict[str, object] = {"status": self.status}
        body |= {part.name: part.shown if detailed else part.state for part in self.parts}
        return body | {"down": self.named("down"), "degraded": self.named("degraded")}


def heartbeat_key(rt: Runtime) -> str:
    return f"{rt.settings.queue_name}:worker-heartbeat"


def beat(rt: Runtime) -> None:
    """The worker is alive: renew the heartbeat ``/healthz`` looks for (its value, when and
    which host and process, is for an operator reading Redis). A Redis failure is logged, not
    raised: the worker carries on, and ``/healthz`` names Redis."""
    value = json.dumps(
        {"at": rt.now().isoformat(), "worker": f"{socket.gethostname()}:{os.getpid()}"}
    )
    try:
        rt.redis.set(heartbeat_key(rt), value, ex=HEARTBEAT_TTL)
    except RedisError as exc:
        log.error("could not write the worker heartbeat to Redis: %s", exc)


def overdue_grace(rt: Runtime) -> timedelta:
    """How late owed work may be before it counts as overdue: twice the reconciler's
    interval (it re-drives lost jobs each pass), and at least a minute."""
    return max(MIN_OVERDUE_GRACE, 2 * timedelta(seconds=rt.settings.reconcile_interval_seconds))


def report(rt: Runtime) -> Report:
    """Every part, read from this process's runtime, the database and Redis; Slack is never
    called here (its answer is the staff directory's cached one)."""
    found = lookup.resolver(rt)
    now = rt.now()
    database, overdue, overrides = _from_database(rt, found, now)
    redis = _probe("redis", rt.request_redis.ping, RedisError)
    parts = (
        database,
        redis,
        _slack(rt),
        _staff(rt),
        _rotations(rt, found, now, overrides),
        _worker(rt) if redis.state == "ok" else Part("worker", "down", "unknown: Redis is down"),
        overdue,
        _data_files(rt),
    )
    return Report(parts)


def _probe(name: str, call: Callable[[], object], errors: type[Exception]) -> Part:
    try:
        call()
    except errors as exc:
        return Part(name, "down", f"down: {type(exc).__name__}")
    return Part(name, "ok", "ok")


def _from_database(
    rt: Runtime, found: Resolver | None, now: datetime
) -> tuple[Part, Part, list[Override]]:
    """The database part, the overdue part and the overrides in force. A database that
    answers but whose tables cannot be read is down too: no page could be recorded."""
    database = _probe("database", lambda: ping(rt.engine), SQLAlchemyError)
    if database.state != "ok":
        return database, Part("overdue", "degraded", "unknown: the database is down"), []
    refused = refused_recently(rt.engine)
    if refused is not None:  # it answers, but nothing new can be stored: no page either
        database = Part("database", "down", f"down: refusing writes ({refused})")
    try:
        with rt.sessions() as session:
            overdue = _overdue(session, now - overdue_grace(rt))
            people = found.rotation.people if found else None
            overrides = lookup.active_overrides(session, now, people) if found else []
    except SQLAlchemyError as exc:
        shown = f"down: its tables cannot be read ({type(exc).__name__}; run `supportbot migrate`)"
        return (
            Part("database", "down", shown),
            Part("overdue", "degraded", "unknown: the database is down"),
            [],
        )
    return database, overdue, overrides


def _slack(rt: Runtime) -> Part:
    if not rt.settings.slack_enabled:
        return Part("slack", "ok", "local mode (log only)")
    answer = rt.staff.reachable()
    return Part("slack", "ok" if answer == "ok" else "degraded", answer)


def _staff(rt: Runtime) -> Part:
    # Without a home team nobody is staff: the desk refuses everyone, paging still runs.
    shown = rt.staff.status()
    return Part("staff", "ok" if shown == "ok" else "degraded", shown)


def _rotations(
    rt: Runtime, found: Resolver | None, now: datetime, overrides: list[Override]
) -> Part:
    """Loaded, somebody on call for L1 now (else down), and no L1 gap in the next 24 h. The
    overrides count; without the database, the rotation files alone."""
    if found is None:
        problem = lookup.rotations(rt).problem
        why = problem.summary if problem else "not loaded"
        return Part("rotations", "down", f"down: not loaded, nobody can be paged: {why}")
    answer = found.on_call(now, "L1", overrides=overrides)
    if answer.primary is None:
        return Part("rotations", "down", f"down: nobody is on call for L1 now ({answer.reason})")
    gaps = coverage_gaps(found, now, days=COVERAGE_DAYS, levels=("L1",), overrides=overrides)
    if not gaps:
        return Part("rotations", "ok", "ok")
    first = gaps[0]
    more = f" and {len(gaps) - 1} more gap(s)" if len(gaps) > 1 else ""
    return Part(
        "rotations",
        "degraded",
        f"degraded: nobody on call for L1 from {_utc(first.start)} to {_utc(first.end)}"
        f" ({first.reason}){more} in the next 24 h",
    )


def _worker(rt: Runtime) -> Part:
    try:
        value = rt.request_redis.get(heartbeat_key(rt))
    except RedisError as exc:
        return Part("worker", "down", f"unknown: {type(exc).__name__}")
    if value is None:
        return Part(
            "worker", "down",
            f"down: no heartbeat in the last {HEARTBEAT_TTL} s (is `supportbot worker` running?)",
        )  # fmt: skip
    return Part("worker", "ok", "ok")


def _overdue(session: Session, cutoff: datetime) -> Part:
    """The oldest owed work due before ``cutoff``: a job lost and not re-driven."""
    found: list[tuple[datetime, str]] = []
    timer = session.execute(
        select(SlaTimer.due_at, SlaTimer.incident_id, SlaTimer.clock, SlaTimer.threshold)
        .where(SlaTimer.state == "pending", SlaTimer.due_at <= cutoff)
        .order_by(SlaTimer.due_at)
        .limit(1)
    ).first()
    if timer is not None:
        found.append((timer[0], f"SLA timer INC-{timer[1]} {timer[2]} {timer[3]}%"))
    for state, column in (("pending", Page.next_attempt_at), ("sending", Page.deadline_at)):
        page = session.execute(
            select(column, Page.id, Page.channel, Page.incident_id)
            .where(Page.state == state, column <= cutoff)
            .order_by(column)
            .limit(1)
        ).first()
        if page is not None and page[0] is not None:
            found.append((page[0], f"{state} page #{page[1]} ({page[2]}) of INC-{page[3]}"))
    step = session.execute(
        select(Escalation.next_step_at, Escalation.step_index, Escalation.incident_id)
        .where(Escalation.state == "active", Escalation.next_step_at <= cutoff)
        .order_by(Escalation.next_step_at)
        .limit(1)
    ).first()
    if step is not None and step[0] is not None:
        found.append((step[0], f"escalation step {step[1]} of INC-{step[2]}"))
    held = session.execute(
        select(DeferredPage.due_at, DeferredPage.id, DeferredPage.incident_id)
        .where(DeferredPage.state == "pending", DeferredPage.due_at <= cutoff)
        .order_by(DeferredPage.due_at)
        .limit(1)
    ).first()
    if held is not None:
        found.append((held[0], f"held page #{held[1]} of INC-{held[2]}"))
    if not found:
        return Part("overdue", "ok", "none")
    due, what = min(found)
    return Part("overdue", "degraded", f"degraded: oldest overdue: {what}, due {_utc(due)}")


def _data_files(rt: Runtime) -> Part:
    for live in rt.live_files():
        live.get()  # a file changed since its last use is tried now
    problems = [live.problem for live in rt.live_files() if live.problem is not None]
    if not problems:
        return Part("data_files", "ok", "ok")
    shown = "; ".join(
        f"{p.name} ({p.path}): {'last good copy in use' if p.kept else 'none in use'}: {p.summary}"
        for p in problems
    )
    return Part("data_files", "degraded", f"degraded: {shown}")


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
