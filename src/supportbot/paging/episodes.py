"""Starting and stopping a paging episode, inside the caller's transaction.

The incident service calls these when an incident becomes Severity 1 and when it is
acknowledged, from whichever channel; the jobs they owe run after the caller commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from supportbot.db.claims import claim
from supportbot.db.models import Escalation, Incident, Page
from supportbot.incidents.timeline import add_event
from supportbot.oncall import DEFAULT_POLICY, lookup
from supportbot.paging.codes import ack_code
from supportbot.paging.owed import cancel_step, owe_step
from supportbot.runtime import Runtime
from supportbot.wording import mention


def current(session: Session, incident_id: int) -> Escalation | None:
    """The incident's latest paging episode, whatever its state."""
    return session.scalar(
        select(Escalation)
        .where(Escalation.incident_id == incident_id)
        .order_by(Escalation.id.desc())
        .limit(1)
    )


def begin(session: Session, rt: Runtime, incident: Incident, now: datetime) -> None:
    """Start paging a Severity 1 that nobody has acknowledged, unless already paging."""
    if incident.severity != 1 or incident.status != "open":
        return
    latest = current(session, incident.id)
    if latest is not None and latest.state == "active":
        return
    episodes = session.scalar(
        select(func.count()).select_from(Escalation).where(Escalation.incident_id == incident.id)
    )
    found = lookup.resolver(rt)
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
    owe_step(session, escalation.id, 0)


def stop(
    session: Session, rt: Runtime, incident: Incident, *, by: str, via: str, now: datetime
) -> None:
    """Acknowledge the episode: no more steps, no more pending pages, everywhere.

    An ``exhausted`` episode is acknowledged too: it ran out of steps, but the pages it owes
    keep retrying until someone acknowledges (or the incident ends).
    """
    escalation = current(session, incident.id)
    if escalation is None or escalation.state not in ("active", "exhausted"):
        return
    if not claim(
        session,
        Escalation,
        escalation.id,
        escalation.state,
        state="acknowledged",
        acked_at=now,
        acked_by=by[:60],
        acked_via=via,
    ):
        return  # acknowledged a moment ago from another channel
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
        f":white_check_mark: Paging stopped: {mention(by)} acknowledged via {via}{note}.",
    )
    cancel_step(session, escalation.id, escalation.step_index)
