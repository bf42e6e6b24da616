"""Starting and stopping a paging episode, inside the caller's transaction.

The incident service calls these when an incident becomes Severity 1 and when it is
acknowledged, from whichever channel; they return the queue work to do after commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from supportbot import oncall
from supportbot.db.claims import claim
from supportbot.db.models import Escalation, Incident, Page
from supportbot.dispatch import Pending
from supportbot.incidents.timeline import add_event
from supportbot.paging.codes import ack_code
from supportbot.rotations import DEFAULT_POLICY
from supportbot.runtime import Runtime

STEP_JOB = "supportbot.jobs.page_step"
SEND_JOB = "supportbot.jobs.page_send"


def step_job_id(escalation_id: int, index: int) -> str:
    return f"page-step-{escalation_id}-{index}"


def current(session: Session, incident_id: int) -> Escalation | None:
    """The incident's latest paging episode, whatever its state."""
    return session.scalar(
        select(Escalation)
        .where(Escalation.incident_id == incident_id)
        .order_by(Escalation.id.desc())
        .limit(1)
    )


def begin(session: Session, rt: Runtime, incident: Incident, now: datetime) -> list[Pending]:
    """Start paging a Severity 1 that nobody has acknowledged, unless already paging."""
    if incident.severity != 1 or incident.status != "open":
        return []
    latest = current(session, incident.id)
    if latest is not None and latest.state == "active":
        return []
    episodes = session.scalar(
        select(func.count()).select_from(Escalation).where(Escalation.incident_id == incident.id)
    )
    found = oncall.resolver(rt)
    policy = found.rotation.policy_for(1) if found is not None else DEFAULT_POLICY
    escalation = Escalation(
        incident_id=incident.id,
        policy=policy.model_dump_json(),
        started_at=now,
        step_index=0,
        next_step_at=now,
        state="active",
        ack_code=ack_code(incident.id, int(episodes or 0)),
    )
    session.add(escalation)
    session.flush()
    add_event(
        session,
        rt,
        incident,
        "supportbot",
        "paging",
        f":pager: Paging started for {incident.key} (acknowledge code {escalation.ack_code}).",
    )
    return [Pending(STEP_JOB, (escalation.id, 0), step_job_id(escalation.id, 0))]


def stop(
    session: Session, rt: Runtime, incident: Incident, *, by: str, via: str, now: datetime
) -> list[Pending]:
    """Acknowledge the active episode: no more steps, no more pending pages, everywhere."""
    escalation = current(session, incident.id)
    if escalation is None or escalation.state != "active":
        return []
    if not claim(
        session,
        Escalation,
        escalation.id,
        "active",
        state="acknowledged",
        acked_at=now,
        acked_by=by[:60],
        acked_via=via,
    ):
        return []  # acknowledged a moment ago from another channel
    session.refresh(escalation)
    session.execute(
        update(Page)
        .where(Page.escalation_id == escalation.id, Page.state == "pending")
        .values(state="cancelled", updated_at=now)
    )
    paged = set(session.scalars(select(Page.slack_user).where(Page.escalation_id == escalation.id)))
    note = "" if by in paged or by == "" else " (was not paged)"
    add_event(
        session,
        rt,
        incident,
        by or "supportbot",
        "paging",
        f":white_check_mark: Paging stopped: <@{by}> acknowledged via {via}{note}.",
    )
    return [Pending("", (), step_job_id(escalation.id, escalation.step_index), cancel=True)]
