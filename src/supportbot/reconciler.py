"""The reconciler: finds due, unfinished work in the database and queues it again.

Redis only delivers. If it is flushed, or a worker dies mid-job, the rows still say what is
owed; this loop re-enqueues it under the same deterministic job ids, so at worst an effect is
late by one interval, and deduplication in the jobs keeps it from happening twice.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy import or_, select

from supportbot import metrics
from supportbot.db.models import Incident, Notification, SlaTimer, TimelineEvent
from supportbot.dispatch import Pending
from supportbot.handoff import announce_handoffs
from supportbot.incidents.service import queue_slack_sync
from supportbot.paging.handoff import repage_on_handoff
from supportbot.paging.recover import recover_paging
from supportbot.runtime import Runtime
from supportbot.sla.tracking import TIMER_JOB

log = logging.getLogger(__name__)

# Work younger than this is probably still in the queue; leave it to the worker.
GRACE = timedelta(seconds=10)
# RQ's scheduler polls every second; a timer this far past due has lost its job.
TIMER_GRACE = timedelta(seconds=5)


def reconcile_once(rt: Runtime) -> dict[str, int]:
    """One pass; returns how much it re-queued, by kind."""
    cutoff = rt.now() - GRACE
    with rt.session() as session:
        unposted = select(TimelineEvent.incident_id).where(
            TimelineEvent.at <= cutoff,
            or_(
                TimelineEvent.posted_internal_at.is_(None),
                (TimelineEvent.visibility == "customer")
                & TimelineEvent.posted_customer_at.is_(None),
            ),
        )
        no_card = select(Incident.id).where(
            Incident.card_ts.is_(None), Incident.opened_at <= cutoff
        )
        unsent = select(Notification.incident_id).where(
            Notification.sent_at.is_(None), Notification.created_at <= cutoff
        )
        ids = set(session.scalars(unposted)) | set(session.scalars(unsent))
        if rt.settings.triage_channel:
            ids |= set(session.scalars(no_card))
        # Timers past due by more than the scheduler's poll: their job was lost (Redis flushed,
        # worker killed). Queue them now; a timer already fired ignores the second run.
        due = session.execute(
            select(SlaTimer.id, SlaTimer.incident_id, SlaTimer.clock, SlaTimer.threshold).where(
                SlaTimer.state == "pending", SlaTimer.due_at <= rt.now() - TIMER_GRACE
            )
        ).all()
    for incident_id in sorted(ids):
        queue_slack_sync(rt, incident_id)
    for timer_id, incident_id, clock, threshold in due:
        rt.dispatcher.submit(
            TIMER_JOB, timer_id, job_id=f"sla-INC-{incident_id}-{clock}-{threshold}"
        )
    if ids:
        metrics.RECONCILED.labels("slack_sync").inc(len(ids))
        log.info("reconciler re-queued slack sync for %d incident(s)", len(ids))
    if due:
        metrics.RECONCILED.labels("sla_timer").inc(len(due))
        log.warning("reconciler re-queued %d overdue SLA timer(s)", len(due))
    # Handoffs since the last pass, announced once; also re-queues unsent on-call posts.
    repages: list[Pending] = []
    handoffs = announce_handoffs(
        rt, also=(lambda rt, session, found: repages.extend(repage_on_handoff(rt, session, found)),)
    )
    rt.dispatcher.submit_all(repages)
    return {
        "slack_sync": len(ids),
        "sla_timer": len(due),
        "handoff": handoffs,
        **recover_paging(rt),
    }


class ReconcilerThread(threading.Thread):
    """Runs :func:`reconcile_once` every interval inside the worker process."""

    def __init__(self, rt: Runtime, interval: float) -> None:
        super().__init__(name="reconciler", daemon=True)
        self.rt, self.interval = rt, interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                reconcile_once(self.rt)
            except Exception:
                # Keep the loop alive: a database blip must not end reconciliation for good.
                log.exception("reconciler pass failed; next pass in %ss", self.interval)

    def stop(self) -> None:
        self.stopped.set()
