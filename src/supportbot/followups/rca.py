"""Root cause analyses: owed when a Sev1 or Sev2 with a customer is resolved.

Resolution opens the RCA: a ``RootCause`` row due ``rca_due`` of the customer's business
time later (5 business days by default, on their hours and holidays), the internal template
posted in the incident's thread, and two follow-up timers: a reminder ``rca_remind_before``
the due instant and a note when it is overdue. Staff approve it with the card's button; the
customer-safe version (:mod:`supportbot.followups.rca_text`) then goes to their thread.

Reopening the incident puts a due RCA on hold (its timers cancelled, a note in the thread,
approval refused): the analysis of an incident that is not over would miss its end, and the
customer must never read that. Resolving it again makes the same RCA due again, counted from
the new resolution, its template rebuilt from the whole timeline and its timers re-planned.
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
from supportbot.incidents.lifecycle import ACTIVE, Status, severity_label
from supportbot.incidents.timeline import add_event
from supportbot.oncall import lookup
from supportbot.runtime import Runtime
from supportbot.slack.followup_blocks import ACTION_RCA
from supportbot.slack.notify import notify, notify_reached
from supportbot.wording import inert, local_time, mention, time_left

REMIND, DUE = "rca_remind", "rca_due"
DUE_STATE, HELD, APPROVED = "due", "on_hold", "approved"  # RootCause.state
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


def follow(session: Session, rt: Runtime, incident: Incident, now: datetime) -> None:
    """After every change: owe the RCA at the first resolution, hold a due one while the
    incident is reopened, and make it due again when it is resolved again."""
    if incident.customer is None:
        return  # an RCA is owed to a customer only: no query on an internal incident's change
    rca = session.scalar(select(RootCause).where(RootCause.incident_id == incident.id))
    if rca is None:
        open_if_owed(session, rt, incident, now)
    elif rca.state == DUE_STATE and Status(incident.status) in ACTIVE:
        _hold(session, rt, incident, rca)
    elif rca.state == HELD and incident.status == Status.RESOLVED.value:
        _due_again(session, rt, incident, rca, now)


def _plan(
    rt: Runtime, incident: Incident, resolved: datetime
) -> tuple[Customer, datetime, datetime] | None:
    """(customer, reminder instant, due instant) of an RCA for a resolution at ``resolved``."""
    policy, customer = timers.policy_of(rt, incident), _customer(rt, incident)
    if policy is None or customer is None:
        return None
    calendar = customer.calendar()
    span = policy.rca_due.resolve(calendar)
    before = policy.rca_remind_before.resolve(calendar)
    # The reminder comes that much business time before the due instant (halfway when the
    # contract's reminder is longer than the whole allowance).
    remind_at = calendar.add(resolved, span - before if span > before else span / 2)
    return customer, remind_at, calendar.add(resolved, span)


def _draft(session: Session, incident: Incident, customer: Customer, rca: RootCause) -> str:
    zone = ZoneInfo(customer.timezone)
    return template(_facts(incident, customer, rca), entries(session, incident.id), zone)


def _schedule(session: Session, incident_id: int, remind_at: datetime, due: datetime) -> None:
    for kind, at in ((REMIND, remind_at), (DUE, due)):
        timers.schedule(session, incident_id, kind, timers.last_seq(session, incident_id, kind) + 1,
                        at)  # fmt: skip


def _cancel_timers(session: Session, incident_id: int) -> None:
    for kind in (REMIND, DUE):
        timer = timers.pending(session, incident_id, kind)
        if timer is not None:
            timers.cancel(session, timer)


def open_if_owed(session: Session, rt: Runtime, incident: Incident, now: datetime) -> None:
    """At the first resolution of a Sev1 or Sev2 with a customer: owe the RCA."""
    if incident.severity not in SEVERITIES or incident.status != Status.RESOLVED.value:
        return
    resolved = incident.resolved_at or now
    planned = _plan(rt, incident, resolved)
    if planned is None:
        return
    customer, remind_at, due = planned
    rca = RootCause(incident_id=incident.id, resolved_at=resolved, due_at=due, state=DUE_STATE,
                    template="")  # fmt: skip
    rca.template = _draft(session, incident, customer, rca)
    session.add(rca)
    add_event(session, rt, incident, "supportbot", "rca_template", rca.template)
    _schedule(session, incident.id, remind_at, due)


def _hold(session: Session, rt: Runtime, incident: Incident, rca: RootCause) -> None:
    """Reopened: the RCA is not due while the incident is not over."""
    rca.state = HELD
    _cancel_timers(session, incident.id)
    add_event(session, rt, incident, "supportbot", "rca_held",
              f":pause_button: {incident.key} was reopened: its root cause analysis is on hold, "
              "with no reminders, and cannot be approved until the incident is resolved again; "
              "then it is due again, counted from that resolution.")  # fmt: skip


def _due_again(
    session: Session, rt: Runtime, incident: Incident, rca: RootCause, now: datetime
) -> None:
    """Resolved again: the same RCA, due from this resolution, its draft covering it all."""
    resolved = incident.resolved_at or now
    planned = _plan(rt, incident, resolved)
    if planned is None:  # the customer left the contracts file: nothing to plan it on
        return
    customer, remind_at, due = planned
    rca.state, rca.resolved_at, rca.due_at = DUE_STATE, resolved, due
    rca.template = _draft(session, incident, customer, rca)
    add_event(session, rt, incident, "supportbot", "rca_template",
              f":repeat: {incident.key} was resolved again: its root cause analysis is due "
              "again, from this resolution. The draft now covers the reopened period too.\n"
              f"{rca.template}")  # fmt: skip
    _schedule(session, incident.id, remind_at, due)


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
    if rca is None or rca.state != DUE_STATE:
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
    refuse_if_not_due(incident, rca, customer)
    zone = ZoneInfo(customer.timezone)
    rca.customer_text = customer_version(
        _facts(incident, customer, rca),
        entries(session, incident.id),
        zone,
        *written,
        customer.contacts,
    )
    rca.state, rca.approved_by, rca.approved_at = APPROVED, approver, now
    add_event(session, rt, incident, approver, "rca", rca.customer_text, customer_visible=True)
    _cancel_timers(session, incident.id)
    return rca


def refuse_if_not_due(incident: Incident, rca: RootCause, customer: Customer) -> None:
    """An RCA is approved once, and only while the incident is over (the form checks it
    before it opens, the approval again under the incident's lock)."""
    if rca.state == APPROVED:
        when = local_time(rca.approved_at, ZoneInfo(customer.timezone))
        raise IncidentError(
            f"The RCA of {incident.key} was already approved by "
            f"{mention(rca.approved_by or '?')} ({when})",
            field="root_cause",
        )
    if rca.state == HELD or Status(incident.status) in ACTIVE:
        raise IncidentError(
            f"{incident.key} was reopened: its RCA cannot be approved until the incident is "
            "resolved again (the customer must not read an analysis that misses its end)",
            field="root_cause",
        )
