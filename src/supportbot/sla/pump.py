"""The burst pump: every due SLA timer, fired in batches, one thread post per incident.

A business-hours clock starts at the next opening, so every request that arrived over a
weekend has its reminders due in the same seconds of Monday morning. One RQ job and one Slack
sync per timer made the last of 1,000 such reminders 13 s late. A pump round instead:

1. claims the due timers of up to ``BATCH`` incidents in one statement (:func:`claim`): the
   incidents are locked ``FOR UPDATE SKIP LOCKED`` (PostgreSQL), so workers pumping side by
   side take disjoint incidents and pass over one that a change holds instead of waiting; the
   same ``UPDATE … WHERE state = 'pending'`` marks the timers fired, the compare-and-set that
   also makes it safe on SQLite (one writer at a time, no ``FOR UPDATE`` there);
2. applies their effects in that transaction (:mod:`supportbot.sla.outcomes`), with the rows
   loaded once for the whole batch, and owes each incident's next timers and its Slack sync;
3. after commit, posts each incident's new thread events as one message
   (:func:`supportbot.slack.sync.post_threads`); the owed sync then updates the card once
   and sends the direct messages.

Locks are taken in the change runner's order, the incident and then its timers, so a pump
and a click on the same incident serialize and cannot deadlock.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from supportbot import metrics
from supportbot.db.models import Incident, SlaClock, SlaTimer
from supportbot.delivery.effects import owe_sync
from supportbot.delivery.queues import withdraw
from supportbot.runtime import Runtime
from supportbot.sla import outcomes, tracking
from supportbot.slack.sync import post_threads

log = logging.getLogger(__name__)

BATCH = 50  # incidents per claim: small enough that the first posts go out at once


def claim(
    session: Session, now: datetime, *, limit: int = BATCH, incident_id: int | None = None
) -> list[int]:
    """Mark fired every timer due at ``now`` of up to ``limit`` incidents nobody else holds,
    in one statement; returns the ids claimed (this transaction owns their effects)."""
    due = (SlaTimer.state == "pending") & (SlaTimer.due_at <= now)
    owners = select(SlaTimer.incident_id).where(due)
    if incident_id is not None:
        owners = owners.where(SlaTimer.incident_id == incident_id)
    locked = (
        select(Incident.id)
        .where(Incident.id.in_(owners))
        .order_by(Incident.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # rendered on PostgreSQL only
        .cte("locked")
    )
    statement = (
        update(SlaTimer)
        .where(SlaTimer.incident_id.in_(select(locked.c.id)), due)
        .values(state="fired", fired_at=now)
        .returning(SlaTimer.id)
        .execution_options(synchronize_session=False)
    )
    return list(session.scalars(statement))


def pump_once(rt: Runtime, *, incident_id: int | None = None) -> dict[int, str]:
    """One round: claim, apply, commit, post. Returns each claimed timer's outcome."""
    with rt.session() as session:
        now = rt.now()
        ids = claim(session, now, incident_id=incident_id)
        if not ids:
            return {}
        fired, incident_ids, jobs = _apply(session, rt, now, ids)
    # Committed: the posts go out now, in this job, instead of waiting behind the queue.
    post_threads(rt, incident_ids)
    # The jobs of the timers fired here need not start at all.
    withdraw(rt.queue, jobs)
    for outcome in fired.values():
        metrics.SLA_TIMERS_FIRED.labels(outcome).inc()
    return fired


def _apply(
    session: Session, rt: Runtime, now: datetime, ids: list[int]
) -> tuple[dict[int, str], list[int], list[str]]:
    timers = session.scalars(
        select(SlaTimer)
        .where(SlaTimer.id.in_(ids))
        .order_by(SlaTimer.incident_id, SlaTimer.due_at, SlaTimer.id)
        .execution_options(populate_existing=True)
    ).all()
    incident_ids = sorted({t.incident_id for t in timers})
    incidents = {
        i.id: i
        for i in session.scalars(
            select(Incident)
            .where(Incident.id.in_(incident_ids))
            .execution_options(populate_existing=True)
        )
    }
    clocks = {
        (c.incident_id, c.kind): c
        for c in session.scalars(select(SlaClock).where(SlaClock.incident_id.in_(incident_ids)))
    }
    batch = outcomes.Batch(session, rt, now)
    fired: dict[int, str] = {}
    for timer in timers:
        incident = incidents[timer.incident_id]
        clock = clocks.get((incident.id, timer.clock))
        outcome = fired[timer.id] = outcomes.apply(batch, incident, timer, clock)
        if outcome == "skipped":
            timer.state = "skipped"
        if outcome in ("breached", "engaged"):
            # The level moved: the Sev1 L3 engagement may no longer be owed.
            tracking.refresh_incident(session, rt, incident)
    tracking.owe_next(session, {(t.incident_id, t.clock) for t in timers})
    for incident_id in incident_ids:
        owe_sync(session, incident_id)
    log.info("pump fired %d timer(s) of %d incident(s)", len(timers), len(incident_ids))
    return fired, incident_ids, [tracking.job_id(t) for t in timers]
