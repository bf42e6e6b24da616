"""Root cause analyses: owed when a Sev1 or Sev2 with a customer is resolved.

Resolution opens the RCA: a ``RootCause`` row due ``rca_due`` of the customer's business
time later (5 business days by default, on their hours and holidays), the internal template
posted in the incident's thread, and two follow-up timers: a reminder ``rca_remind_before``
the due instant and a note when it is overdue. Staff approve it with the card's button; the
customer-safe version (:mod:`supportbot.followups.rca_text`) then goes to their thread.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot.contracts.customers import Customer
from supportbot.db.followups import FollowupTimer, RootCause
from supportbot.db.models import Incident, TimelineEvent
from supportbot.followups import timers
from supportbot.followups.rca_text import Entry, Facts, customer_version, template
from supportbot.incidents.find import IncidentError
from supportbot.incidents.lifecycle import Status, severity_label
from supportbot.incidents.timeline import add_event
from supportbot.oncall import lookup
from supportbot.runtime import Runtime
from supportbot.slack.followup_blocks import ACTION_RCA
from supportbot.slack.notify import notify, notify_reached
from supportbot.wording import inert, local_time, mention, time_left

REMIND, DUE = "rca_remind", "rca_due"
SEVERITIES = (1, 2)


def _customer(rt: Runtime, incident: Incident) -> Customer | None:
    return rt.contracts.by_key(incident.customer) if incident.customer else None


def entries(session: Session, incident_id: int) -> list[Entry]:
    rows = session.execute(
        select(TimelineEvent.at, TimelineEvent.kind, TimelineEvent.text, TimelineEvent.visibility)
        .where(TimelineEvent.incident_id == incident_id)
        .order_by(TimelineEvent.id)
    ).all()
    return [Entry(at, kind, text, visibility) for at, kind, text, visibility in rows]


def _facts(incident: Incident, customer: Customer, rca: RootCause) -> Facts:
    return Facts(
        key=incident.key,
        title=incident.title,
        severity_label=severity_label(incident.severity),
        customer_name=customer.name,
        opened_at=incident.opened_at,
        resolved_at=rca.resolved_at,
        summary=incident.resolution_summary or "",
        due_at=rca.due_at,
    )


def open_if_owed(session: Session, rt: Runtime, incident: Incident, now: datetime) -> None:
    """At resolution: owe the RCA once (a reopened and re-resolved incident keeps its first)."""
    policy, customer = timers.policy_of(rt, incident), _customer(rt, incident)
    if policy is None or customer is None or incident.severity not in SEVERITIES:
        return
    if incident.status != Status.RESOLVED.value:
        return
    if session.scalar(select(RootCause.id).where(RootCause.incident_id == incident.id)):
        return
    calendar = customer.calendar()
    resolved = incident.resolved_at or now
    span = policy.rca_due.resolve(calendar)
    before = policy.rca_remind_before.resolve(calendar)
    due = calendar.add(resolved, span)
    # The reminder comes that much business time before the due instant (halfway when the
    # contract's reminder is longer than the whole allowance).
    remind_at = calendar.add(resolved, span - before if span > before else span / 2)
    rca = RootCause(incident_id=incident.id, resolved_at=resolved, due_at=due, state="due",
                    template="")  # fmt: skip
    zone = ZoneInfo(customer.timezone)
    rca.template = template(_facts(incident, customer, rca), entries(session, incident.id), zone)
    session.add(rca)
    add_event(session, rt, incident, "supportbot", "rca_template", rca.template)
    timers.schedule(session, incident.id, REMIND, 0, remind_at)
    timers.schedule(session, incident.id, DUE, 0, due)


def _nudge(
    session: Session, rt: Runtime, incident: Incident, now: datetime, kind: str, text: str
) -> None:
    add_event(session, rt, incident, "supportbot", kind, text)
    if incident.assignee:
        notify(session, rt, incident, incident.assignee, kind, text, button=ACTION_RCA)
    else:
        notify_reached(session, rt, incident, lookup.lead(rt, session, now), kind, text,
                       who="the on-shift lead (no assignee)", button=ACTION_RCA)  # fmt: skip


def remind(
    session: Session, rt: Runtime, incident: Incident, timer: FollowupTimer, now: datetime
) -> str:
    """Before it is due (``rca_remind``) and when overdue (``rca_due``), unless approved."""
    rca = session.scalar(select(RootCause).where(RootCause.incident_id == incident.id))
    if rca is None or rca.state != "due":
        return "stale"
    zone = lookup.display_zone(rt, session, now, incident.customer)
    if timer.kind == REMIND:
        text = (
            f":clipboard: {incident.key}: the root cause analysis is due "
            f"{local_time(rca.due_at, zone)} ({time_left(rca.due_at, now)} left). Write it in "
            f"the incident's thread and press *Approve RCA* on the card. {inert(incident.title)}"
        )
        _nudge(session, rt, incident, now, "rca_reminder", text)
        return "reminded"
    text = (
        f":warning: {incident.key}: the root cause analysis was due "
        f"{local_time(rca.due_at, zone)} and is not approved yet. {inert(incident.title)}"
    )
    _nudge(session, rt, incident, now, "rca_overdue", text)
    return "overdue"


def approve(
    session: Session,
    rt: Runtime,
    incident: Incident,
    approver: str,
    written: tuple[str, str],
    now: datetime,
) -> RootCause:
    """Staff approved the RCA (``written``: root cause, corrective actions): post the
    customer-safe version to the customer's thread, once."""
    rca = session.scalar(
        select(RootCause).where(RootCause.incident_id == incident.id).with_for_update()
    )
    customer = _customer(rt, incident)
    if rca is None or customer is None:
        raise IncidentError(f"{incident.key} owes no root cause analysis", field="root_cause")
    if rca.state == "approved":
        when = local_time(rca.approved_at, ZoneInfo(customer.timezone))
        raise IncidentError(
            f"The RCA of {incident.key} was already approved by "
            f"{mention(rca.approved_by or '?')} ({when})",
            field="root_cause",
        )
    zone = ZoneInfo(customer.timezone)
    rca.customer_text = customer_version(
        _facts(incident, customer, rca), entries(session, incident.id), zone, *written
    )
    rca.state, rca.approved_by, rca.approved_at = "approved", approver, now
    add_event(session, rt, incident, approver, "rca", rca.customer_text, customer_visible=True)
    for kind in (REMIND, DUE):
        timer = timers.pending(session, incident.id, kind)
        if timer is not None:
            timers.cancel(session, timer)
    return rca
