"""Incident operations. Handlers call these; each is one transaction, then delivery is queued.

Every change appends a timeline event and bumps ``version``. Slack is updated afterwards by
the ``slack_sync`` job, so a slow or rate-limited Slack never holds up an ack.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from supportbot.db.models import InboundReceipt, Incident, TimelineEvent
from supportbot.dispatch import Pending
from supportbot.incidents.lifecycle import (
    DESCRIPTION_MAX,
    LEVEL_NAMES,
    Status,
    TransitionError,
    check_transition,
    next_level,
    severity_label,
)
from supportbot.incidents.timeline import add_event
from supportbot.paging import episodes
from supportbot.queue import job_id
from supportbot.runtime import Runtime
from supportbot.sla import tracking as sla

log = logging.getLogger(__name__)


class IncidentError(ValueError):
    """A request the desk refuses; the message tells the user what to do instead.

    ``field`` names the input at fault (``title``, ``description``, ``severity``), so a form
    can show the message beside it.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Actor:
    """Who is acting. ``customer`` is set for people on a customer's side of a shared channel."""

    user_id: str
    customer: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.customer is None


def parse_key(text: str) -> int:
    raw = text.strip().upper().removeprefix("INC-")
    if not raw.isdigit():
        raise IncidentError(f"{text!r} is not an incident id; use the form INC-1042")
    return int(raw)


def queue_slack_sync(rt: Runtime, incident_id: int) -> None:
    """Hand the Slack update to the worker, after commit; see :mod:`supportbot.dispatch`."""
    rt.dispatcher.submit(
        "supportbot.jobs.slack_sync", incident_id, job_id=job_id("slack-sync", f"INC-{incident_id}")
    )


def get_incident(session: Session, key: int | str) -> Incident:
    number = key if isinstance(key, int) else parse_key(key)
    incident = session.get(Incident, number)
    if incident is None:
        raise IncidentError(f"INC-{number} does not exist")
    return incident


def _visible_to(incident: Incident, actor: Actor) -> None:
    if actor.customer is not None and incident.customer != actor.customer:
        # Same answer as for a missing incident: do not confirm another org's incident exists.
        raise IncidentError(f"{incident.key} does not exist")


# Staff-only actions, with what a refused customer is told they tried to do.
STAFF_ONLY = {
    "severity": "change an incident's severity",
    "escalate": "escalate an incident",
    "resolve": "resolve an incident",
    "assign": "assign an incident",
    "waiting": "mark an incident as waiting on the customer",
    "acknowledge": "acknowledge an incident",
    "note": "add internal notes",
    "page_ack": "acknowledge a page",
    "investigating": "change an incident's status",
}


def _require_staff(actor: Actor, action: str) -> None:
    if not actor.is_staff:
        raise IncidentError(
            f"Only the support team can {STAFF_ONLY[action]}. "
            "Reply in this thread and the team will pick it up."
        )


def check_allowed(incident: Incident, actor: Actor, action: str) -> None:
    _visible_to(incident, actor)
    if action in STAFF_ONLY:
        _require_staff(actor, action)


def change(rt: Runtime, key: int | str, actor: Actor, action: str, **args: object) -> Incident:
    """Apply one staff or customer action; refuses with :class:`IncidentError` if not allowed."""
    with rt.session() as session:
        incident = get_incident(session, key)
        # Row lock (PostgreSQL): two clicks at once must not both start from the same state,
        # or the later one writes back stale SLA clocks and version (a lost update).
        session.refresh(incident, with_for_update=True)
        check_allowed(incident, actor, action)
        who = f"<@{actor.user_id}>"
        try:
            _apply(session, rt, incident, actor, who, action, args)
        except TransitionError as exc:
            raise IncidentError(f"{incident.key}: {exc}") from exc
        paging = _paging_after(session, rt, incident, actor, action, args)
        schedule = refresh_sla(session, rt, incident)
        result = incident
    sla.apply_schedule(rt, schedule)
    rt.dispatcher.submit_all(paging)
    queue_slack_sync(rt, result.id)
    return result


def refresh_sla(session: Session, rt: Runtime, incident: Incident) -> sla.Schedule:
    """Recompute the clocks after a change; the caller applies the schedule after commit."""
    session.flush()
    customer = rt.contracts.by_key(incident.customer) if incident.customer else None
    return sla.refresh(session, incident, customer, rt.now())


def _first_response(rt: Runtime, incident: Incident, actor: Actor) -> None:
    """An acknowledgement, a staff reply or a resolution is the first response (§ issue 3)."""
    if actor.is_staff and incident.first_response_at is None:
        incident.first_response_at = rt.now()


def _apply(
    session: Session,
    rt: Runtime,
    incident: Incident,
    actor: Actor,
    who: str,
    action: str,
    args: dict[str, object],
) -> None:
    if action == "acknowledge":
        if incident.status != Status.OPEN.value:
            raise IncidentError(
                f"{incident.key} is already {Status(incident.status).label.lower()}"
            )
        _status(session, rt, incident, actor, Status.ACKNOWLEDGED, f"{who} acknowledged")
        _first_response(rt, incident, actor)
        if incident.assignee is None:
            incident.assignee = actor.user_id
    elif action == "page_ack":
        # An acknowledgement by SMS or phone: idempotent, whatever the status already is.
        if incident.status == Status.OPEN.value:
            _status(
                session,
                rt,
                incident,
                actor,
                Status.ACKNOWLEDGED,
                f"{who} acknowledged via {args.get('via', 'page')}",
            )
        _first_response(rt, incident, actor)
        if incident.assignee is None:
            incident.assignee = actor.user_id
    elif action == "assign":
        assignee = str(args.get("assignee") or actor.user_id)
        if incident.assignee == assignee:
            raise IncidentError(f"{incident.key} is already assigned to <@{assignee}>")
        incident.assignee = assignee
        add_event(session, rt, incident, actor.user_id, "assigned", f"{who} assigned <@{assignee}>")
    elif action == "severity":
        severity = int(str(args["severity"]))
        if severity not in (1, 2, 3, 4):
            raise IncidentError("severity must be 1, 2, 3 or 4")
        if severity == incident.severity:
            raise IncidentError(f"{incident.key} is already {severity_label(severity)}")
        before = incident.severity
        incident.severity, incident.suggested_severity = severity, None
        add_event(
            session,
            rt,
            incident,
            actor.user_id,
            "severity",
            f"{who} changed severity {severity_label(before)} → {severity_label(severity)}",
            customer_visible=True,
        )
    elif action == "escalate":
        seen = args.get("from_level")
        if seen is not None and seen != incident.level:
            # Two people pressed Escalate on the same card: the second press is refused.
            raise IncidentError(
                f"{incident.key} has already moved on to {LEVEL_NAMES[incident.level]}; "
                "press Escalate again if it should go higher"
            )
        level = next_level(incident.level)
        incident.level = level
        add_event(
            session,
            rt,
            incident,
            actor.user_id,
            "escalated",
            f"{who} escalated to {LEVEL_NAMES[level]}",
            # Internal: the level is the team's business (the customer card leaves it out).
            customer_visible=False,
        )
    elif action == "waiting":
        _status(session, rt, incident, actor, Status.WAITING, f"{who} is waiting on the customer")
    elif action == "investigating":
        _status(session, rt, incident, actor, Status.INVESTIGATING, f"{who} is investigating")
    elif action == "resolve":
        summary = " ".join(str(args.get("summary") or "").split())
        if not summary:
            raise IncidentError("a resolution needs a summary of what fixed it")
        if len(summary) > DESCRIPTION_MAX:
            raise IncidentError(f"the summary is too long (limit {DESCRIPTION_MAX} characters)")
        incident.resolution_summary = summary
        incident.resolved_at = rt.now()
        _first_response(rt, incident, actor)
        _status(session, rt, incident, actor, Status.RESOLVED, f"{who} resolved: {summary}")
    elif action == "note":
        add_event(session, rt, incident, actor.user_id, "note", f"{who} (internal): {args['text']}")
    elif action == "reply":
        text = str(args["text"])
        kind = "staff_reply" if actor.is_staff else "customer_reply"
        add_event(
            session, rt, incident, actor.user_id, kind, f"{who}: {text}", customer_visible=True
        )
        _first_response(rt, incident, actor)
        if not actor.is_staff and incident.status == Status.WAITING.value:
            _status(
                session,
                rt,
                incident,
                actor,
                Status.INVESTIGATING,
                "The customer replied; back to investigating",
            )
    else:
        raise IncidentError(f"unknown action {action!r}")


MANUAL_ESCALATION_JOB = "supportbot.jobs.page_manual_escalation"


def _paging_after(
    session: Session,
    rt: Runtime,
    incident: Incident,
    actor: Actor,
    action: str,
    args: dict[str, object],
) -> list[Pending]:
    """Paging follows the incident: Sev1 starts it, an acknowledgement or a resolution stops
    it (from whichever channel), and a manual escalation of a Sev1 pages the next level."""
    now = rt.now()
    if action in ("acknowledge", "page_ack", "resolve", "investigating", "waiting"):
        # Any staff step that shows someone is on it stops the page everywhere at once.
        # Each fits escalations.acked_via, a String(10): PostgreSQL refuses a longer one.
        via = {
            "resolve": "resolution",
            "investigating": "status",
            "waiting": "status",
        }.get(action, "Slack")
        return episodes.stop(
            session, rt, incident, by=actor.user_id, via=str(args.get("via") or via), now=now
        )
    if action == "severity":
        return episodes.begin(session, rt, incident, now)
    if action == "escalate" and incident.severity == 1:
        return [
            Pending(
                MANUAL_ESCALATION_JOB,
                (incident.id, incident.level, actor.user_id),
                job_id(f"page-manual-INC-{incident.id}", incident.level),
            )
        ]
    return []


def _status(
    session: Session, rt: Runtime, incident: Incident, actor: Actor, target: Status, text: str
) -> None:
    check_transition(incident.status, target)
    if incident.status == Status.RESOLVED.value:
        incident.resolved_at = None  # reopened: the resolution clock runs again
    incident.status = target.value
    add_event(
        session, rt, incident, actor.user_id, f"status:{target.value}", text, customer_visible=True
    )


def record_thread_reply(
    rt: Runtime, channel: str, thread_ts: str, actor: Actor, text: str, *, receipt: str
) -> Incident | None:
    """A message typed straight into an incident's customer thread.

    It is already visible there, so it is marked posted on the customer side and copied only
    to the internal thread. Threads that belong to no incident are ignored.
    """
    try:
        with rt.session() as session:
            incident = session.scalar(
                select(Incident).where(
                    Incident.customer_channel == channel, Incident.customer_thread_ts == thread_ts
                )
            )
            if incident is None:
                return None
            if actor.customer is not None and actor.customer != incident.customer:
                return None
            session.add(InboundReceipt(key=receipt, at=rt.now(), incident_id=incident.id))
            session.flush()
            text = " ".join(text.split())[:DESCRIPTION_MAX]
            _apply(session, rt, incident, actor, f"<@{actor.user_id}>", "reply", {"text": text})
            for event in session.new:
                if isinstance(event, TimelineEvent) and event.kind.endswith("_reply"):
                    event.posted_customer_at = rt.now()
            schedule = refresh_sla(session, rt, incident)
            result = incident
    except IntegrityError:
        return None  # the same message delivered again
    sla.apply_schedule(rt, schedule)
    queue_slack_sync(rt, result.id)
    return result


def incidents_for(rt: Runtime, actor: Actor, *, active_only: bool = True) -> list[Incident]:
    """What an actor may list: staff see all, a customer only their own organisation's."""
    with rt.session() as session:
        query = select(Incident).order_by(Incident.id.desc()).limit(50)
        if actor.customer is not None:
            query = query.where(Incident.customer == actor.customer)
        if active_only:
            query = query.where(
                Incident.status.in_(
                    [s.value for s in Status if s not in (Status.RESOLVED, Status.CLOSED)]
                )
            )
        return list(session.scalars(query))
