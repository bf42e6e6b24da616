"""The Severity 1 customer update cadence (seed 004: "real-time status updates").

While a Sev1 with a customer is active, a customer update is owed every ``update_every``
(the contract's, 30 minutes by default). Each due instant is a ``FollowupTimer`` (kind
``update``); when one comes due with no update posted since it was set, the assignee (else
the on-shift lead) is reminded, and from the ``missed_before_l2``-th miss in a row the L2
on call too. Posting an update resets the cadence from that instant; the customer's thread
says when the next one is due. The cadence stops when the incident is resolved, closed or
downgraded (:func:`track`, called on every change).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from supportbot.contracts.followups import FollowupPolicy
from supportbot.db.followups import FollowupTimer
from supportbot.db.models import Incident, TimelineEvent
from supportbot.followups import timers
from supportbot.incidents.lifecycle import ACTIVE, Status
from supportbot.incidents.timeline import add_event
from supportbot.oncall import lookup
from supportbot.runtime import Runtime
from supportbot.slack.followup_blocks import ACTION_UPDATE
from supportbot.slack.notify import notify, notify_reached
from supportbot.wording import inert, local_time

UPDATE = "update"
EVENT = "customer_update"


def _schedule_next(session: Session, incident_id: int, due: datetime) -> None:
    seq = timers.last_seq(session, incident_id, UPDATE) + 1
    timers.schedule(session, incident_id, UPDATE, seq, due)


def owes_updates(incident: Incident, policy: FollowupPolicy | None) -> bool:
    return (
        policy is not None
        and incident.severity == 1
        and Status(incident.status) in ACTIVE
        and incident.customer is not None
    )


def customer_zone(rt: Runtime, incident: Incident) -> ZoneInfo:
    customer = rt.contracts.by_key(incident.customer) if incident.customer else None
    return ZoneInfo(customer.timezone if customer else "UTC")


def track(
    session: Session, rt: Runtime, incident: Incident, now: datetime, *, new: bool = False
) -> None:
    """Start the cadence of a Sev1 with a customer, or stop it once that no longer holds.
    A ``new`` incident has no timer yet: its opening (the ack path) skips the query."""
    policy = policy_of_incident(rt, incident)
    timer = None if new else timers.pending(session, incident.id, UPDATE)
    if owes_updates(incident, policy) and timer is None:
        assert policy is not None
        # The customer's card shows when it is due (slack/followup_blocks.customer_blocks).
        _schedule_next(session, incident.id, now + policy.update_every.fixed)
    elif timer is not None and not owes_updates(incident, policy):
        timers.cancel(session, timer)


def policy_of_incident(rt: Runtime, incident: Incident) -> FollowupPolicy | None:
    return timers.policy_of(rt, incident)


def restart(session: Session, rt: Runtime, incident: Incident, now: datetime) -> datetime | None:
    """An update was posted: the next one is owed ``update_every`` from now (None: no
    cadence is owed, e.g. a Sev2's update)."""
    policy = policy_of_incident(rt, incident)
    timer = timers.pending(session, incident.id, UPDATE)
    if timer is not None:
        timers.cancel(session, timer)
    if not owes_updates(incident, policy):
        return None
    assert policy is not None
    due = now + policy.update_every.fixed
    _schedule_next(session, incident.id, due)
    return due


def missed_in_a_row(session: Session, incident_id: int) -> int:
    """Update timers fired since the last customer update was posted, and since the cadence
    last started: a cancelled timer marks where it stopped (a downgrade, a resolution) or
    restarted, so misses before a downgrade or a reopening are not in a row with later ones."""
    last = session.scalar(
        select(func.max(TimelineEvent.at)).where(
            TimelineEvent.incident_id == incident_id, TimelineEvent.kind == EVENT
        )
    )
    stopped = session.scalar(
        select(func.max(FollowupTimer.seq)).where(
            FollowupTimer.incident_id == incident_id,
            FollowupTimer.kind == UPDATE,
            FollowupTimer.state == "cancelled",
        )
    )
    query = select(func.count()).where(
        FollowupTimer.incident_id == incident_id,
        FollowupTimer.kind == UPDATE,
        FollowupTimer.state == "fired",
    )
    if last is not None:
        query = query.where(FollowupTimer.fired_at >= last)
    if stopped is not None:
        query = query.where(FollowupTimer.seq > stopped)
    return int(session.scalar(query) or 0)


def remind(
    session: Session, rt: Runtime, incident: Incident, timer: FollowupTimer, now: datetime
) -> str:
    """An update came due and none was posted: remind, escalate from the Nth miss, and owe
    the next due instant on the same cadence (skipping instants a long outage passed)."""
    policy = policy_of_incident(rt, incident)
    if not owes_updates(incident, policy):
        return "stopped"
    assert policy is not None
    following = timer.due_at + policy.update_every.fixed
    while following <= now:
        following += policy.update_every.fixed
    timers.schedule(session, incident.id, UPDATE, timer.seq + 1, following)
    missed = missed_in_a_row(session, incident.id)
    zone = lookup.display_zone(rt, session, now, incident.customer)
    text = (
        f":memo: {incident.key}: a customer update was due at {local_time(timer.due_at, zone)} "
        f"and none was posted ({missed} missed in a row). Press *Post customer update* on "
        f"the card or in the reminder's direct message; the next is due at "
        f"{local_time(following, zone)}. {inert(incident.title)}"
    )
    add_event(session, rt, incident, "supportbot", "update_reminder", text)
    if incident.assignee:
        notify(session, rt, incident, incident.assignee, "update_reminder", text,
               button=ACTION_UPDATE)  # fmt: skip
    else:
        notify_reached(
            session, rt, incident, lookup.lead(rt, session, now), "update_reminder", text,
            who="the on-shift lead (no assignee)", button=ACTION_UPDATE,
        )  # fmt: skip
    if missed < policy.missed_before_l2:
        return "reminded"
    escalated = (
        f":arrow_up: {incident.key}: {missed} customer updates missed in a row; the L2 on call "
        f"is asked to make sure the customer hears from us. {inert(incident.title)}"
    )
    add_event(session, rt, incident, "supportbot", "update_escalated", escalated)
    notify_reached(
        session, rt, incident, lookup.people_for(rt, session, "L2", now), "update_escalation",
        escalated, who="L2", button=ACTION_UPDATE,
    )  # fmt: skip
    return "escalated"
