"""Releasing an expired acknowledgement: un-acknowledge, say why, and resume the policy.

A Severity 1's paging episode resumes from where the acknowledgement stopped it: the step it
was waiting for runs now, the later ones keep their spacing, and the same acknowledge code
works again. Any other severity has no episode: the on-call people of its level are told
that it needs someone.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from supportbot.db.attention import AckWatch
from supportbot.db.models import Escalation, Incident
from supportbot.incidents.lifecycle import LEVEL_NAMES, Status, check_transition
from supportbot.incidents.timeline import add_event
from supportbot.oncall import EscalationPolicy, lookup, step_at, total_steps
from supportbot.paging import episodes
from supportbot.paging.owed import owe_step
from supportbot.runtime import Runtime
from supportbot.sla.tracking import refresh_incident
from supportbot.slack.notify import notify_reached
from supportbot.wording import local_time


def release(
    session: Session, rt: Runtime, incident: Incident, watch: AckWatch, now: datetime
) -> None:
    zone = lookup.display_zone(rt, session, now, incident.customer)
    minutes = int((now - watch.acked_at).total_seconds() // 60)
    reminded = f", reminded at {local_time(watch.reminded_at, zone)}" if watch.reminded_at else ""
    watch.reason = (
        f"Acknowledgement by <@{watch.owner}> expired at {local_time(now, zone)}: no progress "
        f"({minutes} min since it was taken{reminded})"
    )
    check_transition(incident.status, Status.OPEN)
    incident.status = Status.OPEN.value
    if incident.assignee == watch.owner:
        incident.assignee = None
    then = _resume_paging(session, rt, incident, now) if incident.severity == 1 else None
    if then is None:
        then = _tell_level(session, rt, incident)
    add_event(
        session,
        rt,
        incident,
        "supportbot",
        f"status:{Status.OPEN.value}",
        f":rewind: {incident.key} un-acknowledged. {watch.reason}. {then}",
    )
    refresh_incident(session, rt, incident)


def _resume_paging(session: Session, rt: Runtime, incident: Incident, now: datetime) -> str:
    episode = episodes.current(session, incident.id)
    if episode is None or episode.state != "acknowledged":
        episodes.begin(session, rt, incident, now)
        return "Paging starts again from the first step."
    policy = EscalationPolicy.model_validate_json(episode.policy)
    index = min(episode.step_index, total_steps(policy) - 1)
    resume(episode, policy, index, now)
    owe_step(session, episode.id, index)
    return f"Paging resumes at step {index + 1} (acknowledge code {episode.ack_code} works again)."


def resume(episode: Escalation, policy: EscalationPolicy, index: int, now: datetime) -> None:
    """Step ``index`` is owed now; the later steps keep their spacing after it."""
    episode.state, episode.step_index, episode.next_step_at = "active", index, now
    episode.started_at = now - step_at(policy, index).delay_from_start
    episode.acked_at = episode.acked_by = episode.acked_via = None


def _tell_level(session: Session, rt: Runtime, incident: Incident) -> str:
    reached = lookup.people_for(rt, session, incident.level, rt.now())
    level = LEVEL_NAMES[incident.level]
    text = (
        f":rewind: {incident.key} (Sev{incident.severity}) was un-acknowledged: whoever took it "
        f"made no progress. It needs someone from {level}: acknowledge it on the card."
    )
    told = notify_reached(session, rt, incident, reached, "ack_released", text, who=level)
    if not told:
        return f"Nobody on call for {level} could be told."
    return f"Told {', '.join(f'<@{u}>' for u in told)} ({level} on call)."
