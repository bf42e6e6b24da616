"""Slack's jobs: bring an incident's card and threads in line, and one-off Slack calls.

``delivery.effects.owe_sync`` is how any change asks for its incident to be shown again;
the sync itself is idempotent (:mod:`supportbot.slack.sync`), so owing it twice posts
nothing twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select

from supportbot import metrics
from supportbot.db.models import Incident, Notification, TimelineEvent
from supportbot.delivery import job_ids
from supportbot.delivery.effects import Effect, owe_sync
from supportbot.delivery.kinds import SLACK_CALL, SLACK_SYNC, SLACK_SYNC_BATCH
from supportbot.incidents.lifecycle import IMPORTED_SOURCE
from supportbot.runtime import Runtime, get_runtime
from supportbot.slack.sync import sync_incident

log = logging.getLogger(__name__)

# Work younger than this is probably still in the queue; leave it to the worker.
GRACE = timedelta(seconds=10)


@SLACK_SYNC.runs
def slack_sync(incident_id: int) -> None:
    sync_incident(get_runtime(), incident_id)


@SLACK_SYNC_BATCH.runs
def slack_sync_batch(owed: list[tuple[int]]) -> None:
    """Cards owed together (a burst of openings), synced in turn by one job.

    At the first that fails, it and every one not yet tried are owed again as jobs of their
    own, each with its retries: one card whose Slack call fails never holds up the others,
    nor makes them post twice, and a Slack outage costs this job one failure, not one per
    card. The failure is logged with its traceback and counted."""
    rt = get_runtime()
    ids = [incident_id for (incident_id,) in owed]
    for done, incident_id in enumerate(ids):
        try:
            sync_incident(rt, incident_id)
        except Exception:
            left = ids[done:]
            metrics.BATCH_SPLITS.labels(SLACK_SYNC_BATCH.name).inc()
            log.exception(
                "slack_sync of INC-%s failed in a batch; %d card(s) queued again on their own",
                incident_id,
                len(left),
            )
            with rt.session() as session:
                for again in left:
                    owe_sync(session, again)
            return


@SLACK_CALL.runs
def slack_call(method: str, kwargs: dict[str, object]) -> None:
    """A one-off Slack post (an offer, an ephemeral note); retried by RQ on failure."""
    response = get_runtime().slack.api_call(method, json=kwargs)
    metrics.SLACK_CALLS.labels(method, "ok" if response.get("ok") else "error").inc()


def post_later(rt: Runtime, method: str, key: str, **kwargs: Any) -> None:
    """Queue a Slack call for the worker, so a listener never waits on Slack."""
    rt.dispatcher.submit_all([Effect(SLACK_CALL, (method, kwargs), job_ids.slack_call(key))])


def unposted(rt: Runtime) -> int:
    """Redriver: incidents with events or notifications not yet posted, or no card yet."""
    cutoff = rt.now() - GRACE
    with rt.session() as session:
        events = select(TimelineEvent.incident_id).where(
            TimelineEvent.at <= cutoff,
            or_(
                TimelineEvent.posted_internal_at.is_(None),
                (TimelineEvent.visibility == "customer")
                & TimelineEvent.posted_customer_at.is_(None),
            ),
        )
        notes = select(Notification.incident_id).where(
            Notification.sent_at.is_(None), Notification.created_at <= cutoff
        )
        ids = set(session.scalars(events)) | set(session.scalars(notes))
        if rt.settings.triage_channel:
            no_card = select(Incident.id).where(
                Incident.card_ts.is_(None), Incident.opened_at <= cutoff,
                Incident.source_channel.is_distinct_from(IMPORTED_SOURCE),  # history: no card
            )  # fmt: skip
            ids |= set(session.scalars(no_card))
        for incident_id in sorted(ids):
            owe_sync(session, incident_id)
    if ids:
        log.info("reconciler re-queued slack sync for %d incident(s)", len(ids))
    return len(ids)
