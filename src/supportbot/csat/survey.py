"""Asking the question: a survey row when a customer incident is resolved, posted once.

The row is the promise (created in the resolving transaction, unique per incident, so a
reopened and resolved-again incident is asked once); :func:`ask` posts it into the shared
thread and stamps it; :func:`redrive` (the reconciler) finds rows never asked, and resolved
incidents without a row (resolved by any path), and queues them again.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot.csat.blocks import question
from supportbot.db.models import Incident
from supportbot.db.reporting import CsatSurvey
from supportbot.delivery import effects, inflight, job_ids
from supportbot.delivery.kinds import CSAT_ASK
from supportbot.delivery.locks import job_lock
from supportbot.incidents.lifecycle import ACTIVE, Status
from supportbot.runtime import Runtime, get_runtime
from supportbot.slack.sync import sync_incident

log = logging.getLogger(__name__)

GRACE = timedelta(seconds=10)
LOOKBACK = timedelta(days=2)  # older resolutions (before CSAT existed, imports) are not asked


def owe_survey(session: Session, incident: Incident, rt: Runtime) -> None:
    """In the resolving transaction: a customer incident with a shared channel is asked once."""
    if incident.customer is None or not incident.customer_channel:
        return
    found = session.scalar(select(CsatSurvey).where(CsatSurvey.incident_id == incident.id))
    if found is not None:
        if found.asked_at is None:  # reopened before it was asked: ask at this resolution
            _owe(session, found.id)
        return
    survey = CsatSurvey(incident_id=incident.id, customer=incident.customer, created_at=rt.now())
    session.add(survey)
    session.flush()
    _owe(session, survey.id)


def _owe(session: Session, survey_id: int) -> None:
    effects.owe(session, CSAT_ASK, survey_id, job_id=job_ids.csat_ask(survey_id))


@CSAT_ASK.runs
def ask(survey_id: int) -> None:
    """RQ job: post the question into the incident's shared thread, once."""
    rt = get_runtime()
    with job_lock(rt.redis, f"csat:{survey_id}", f"CSAT survey {survey_id}"):
        with rt.session() as session:
            survey = session.get(CsatSurvey, survey_id)
            if survey is None or survey.asked_at is not None:
                return
            incident_id = survey.incident_id
        # The thread first says what happened (the resolution), then asks: the sync is
        # idempotent, so running it here posts only what is still owed.
        sync_incident(rt, incident_id)
        with rt.session() as session:
            survey = session.get(CsatSurvey, survey_id)
            assert survey is not None
            incident = session.get(Incident, survey.incident_id)
            assert incident is not None
            if not incident.customer_thread_ts or not incident.customer_channel:
                log.info("CSAT for %s waits for its customer thread", incident.key)
                return  # the Slack sync posts the thread; the redriver comes back
            if Status(incident.status) in ACTIVE:
                # Reopened before the question went out: "is resolved, how did we do?" would
                # be untrue now; the next resolution owes it again (owe_survey).
                log.info("CSAT for %s waits: the incident was reopened", incident.key)
                return
            channel, thread = incident.customer_channel, incident.customer_thread_ts
            text, blocks = question(survey.id, incident.key, incident.title)
        key = f"csat-{survey_id}"
        message = {"channel": channel, "thread_ts": thread, "text": text, "blocks": blocks}
        ts = inflight.post(rt, key, message)
        with rt.session() as session:
            survey = session.get(CsatSurvey, survey_id)
            assert survey is not None
            survey.asked_at, survey.channel, survey.message_ts = rt.now(), channel, ts
        inflight.done(rt, key)


def redrive(rt: Runtime) -> int:
    """Queue every survey not asked yet, creating those of recent resolutions without one."""
    now = rt.now()
    with rt.session() as session:
        missing = session.scalars(
            select(Incident)
            .outerjoin(CsatSurvey, CsatSurvey.incident_id == Incident.id)
            .where(
                CsatSurvey.id.is_(None),
                Incident.resolved_at.is_not(None),
                Incident.resolved_at >= now - LOOKBACK,
                Incident.resolved_at <= now - GRACE,
                Incident.customer_channel.is_not(None),
            )
        ).all()
        for incident in missing:
            owe_survey(session, incident, rt)
        ids = list(
            session.scalars(
                select(CsatSurvey.id).where(
                    CsatSurvey.asked_at.is_(None),
                    CsatSurvey.created_at <= now - GRACE,
                    CsatSurvey.created_at >= now - LOOKBACK,
                )
            )
        )
        for survey_id in ids:
            _owe(session, survey_id)
    return len(ids)
