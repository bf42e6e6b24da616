"""The typed incident actions: one function per thing a person can do to an incident.

Handlers call these. Each is one transaction (:func:`supportbot.desk.change.run`): the actor
is authorised first (:mod:`supportbot.incidents.access`), the change is recorded on the
timeline, the SLA clocks are re-planned, and paging follows the incident (a Severity 1
starts it; any sign that someone is on it stops it everywhere at once). Slack is updated
afterwards by a job, so a slow or rate-limited Slack never holds up an ack.
"""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from supportbot.csat import survey as csat
from supportbot.db.models import InboundReceipt, Incident, TimelineEvent
from supportbot.delivery import effects, job_ids
from supportbot.delivery.effects import owe_sync
from supportbot.delivery.kinds import PAGE_MANUAL_ESCALATION
from supportbot.desk import usage
from supportbot.desk.change import Change, refuse_if_finished, run
from supportbot.incidents.access import Action, Actor
from supportbot.incidents.find import IncidentError
from supportbot.incidents.lifecycle import (
    DESCRIPTION_MAX,
    LEVEL_NAMES,
    SEVERITY_CHANGED,
    Status,
    next_level,
    severity_change_text,
    severity_label,
)
from supportbot.incidents.progress import ACK_RENEWED
from supportbot.oncall.ack_state import WATCHED
from supportbot.paging import episodes
from supportbot.runtime import Runtime
from supportbot.sla.tracking import refresh_incident
from supportbot.wording import inert


def _stop_paging(change: Change, via: str) -> None:
    # Each ``via`` fits escalations.acked_via, a String(10): PostgreSQL refuses a longer one.
    episodes.stop(
        change.session,
        change.rt,
        change.incident,
        by=change.actor.user_id,
        via=via,
        now=change.rt.now(),
    )


def acknowledge(rt: Runtime, key: int | str, actor: Actor) -> Incident:
    def apply(change: Change) -> None:
        incident = change.incident
        if incident.status != Status.OPEN.value:
            raise IncidentError(
                f"{incident.key} is already {Status(incident.status).label.lower()}"
            )
        change.status(Status.ACKNOWLEDGED, f"{change.who} acknowledged")
        change.first_response()
        change.take_if_unassigned()
        _stop_paging(change, "Slack")

    return run(rt, key, actor, Action.ACKNOWLEDGE, apply)


def page_acknowledged(rt: Runtime, key: int | str, actor: Actor, *, via: str) -> str:
    """An acknowledgement by SMS or phone: idempotent, whatever the status already is.

    Returns ``acknowledged`` (taken now), ``renewed`` (already held: the code sent again, as
    the acknowledgement's reminder asks, restarts its expiry: decided under the incident's
    lock, so an expiry running at the same instant either released it first, and this takes
    it back, or finds the renewal and does nothing) or ``unchanged`` (waiting, resolved).
    """
    said = "unchanged"

    def apply(change: Change) -> None:
        nonlocal said
        # A late code (the page read after someone resolved it in Slack) must not make its
        # sender the assignee of a finished incident: that changes only by being reopened.
        refuse_if_finished(change.incident)
        if change.incident.status == Status.OPEN.value:
            change.status(Status.ACKNOWLEDGED, f"{change.who} acknowledged via {via}")
            said = "acknowledged"
        elif change.incident.status in WATCHED:
            change.event(ACK_RENEWED, f"{change.who} acknowledged again via {via}: still on it")
            said = "renewed"
        change.first_response()
        change.take_if_unassigned()
        _stop_paging(change, via)

    run(rt, key, actor, Action.PAGE_ACK, apply)
    return said


def assign(rt: Runtime, key: int | str, actor: Actor, assignee: str | None = None) -> Incident:
    """Assign to ``assignee``, or to the actor ("Assign to me")."""
    who = assignee or actor.user_id

    def apply(change: Change) -> None:
        refuse_if_finished(change.incident)  # a stale card's button, as the other actions
        if change.incident.assignee == who:
            raise IncidentError(f"{change.incident.key} is already assigned to <@{who}>")
        change.incident.assignee = who
        change.event("assigned", f"{change.who} assigned <@{who}>")

    return run(rt, key, actor, Action.ASSIGN, apply)


def set_severity(rt: Runtime, key: int | str, actor: Actor, severity: int) -> Incident:
    if severity not in (1, 2, 3, 4):
        raise IncidentError("severity must be 1, 2, 3 or 4")

    def apply(change: Change) -> None:
        incident = change.incident
        refuse_if_finished(incident)
        if severity == incident.severity:
            raise IncidentError(f"{incident.key} is already {severity_label(severity)}")
        before = incident.severity
        incident.severity, incident.suggested_severity = severity, None
        change.event(
            SEVERITY_CHANGED,
            severity_change_text(change.who, before, severity),
            customer_visible=True,
        )
        if severity == 1 and usage.work_held_sev1(change.session, change.rt, incident):
            # "A Severity 1 is never held": site down now, it cannot wait for an approval.
            if incident.status == Status.WAITING.value:
                change.status(Status.INVESTIGATING, f"{change.who} raised it to Sev1")
        if before == 1:
            # The Sev1 policy pages up to management: a downgraded incident is not paged on
            # by it (it climbed to the VP for a Sev4). Raised to Sev1 again, paging restarts.
            _stop_paging(change, "downgrade")
        episodes.begin(change.session, change.rt, incident, change.rt.now())

    return run(rt, key, actor, Action.SEVERITY, apply)


def escalate(
    rt: Runtime, key: int | str, actor: Actor, *, seen_level: str | None = None
) -> Incident:
    """Move up the matrix; ``seen_level`` is the level the person saw when they pressed."""

    def apply(change: Change) -> None:
        incident = change.incident
        refuse_if_finished(incident)
        if seen_level is not None and seen_level != incident.level:
            # Two people pressed Escalate on the same card: the second press is refused.
            raise IncidentError(
                f"{incident.key} has already moved on to {LEVEL_NAMES[incident.level]}; "
                "press Escalate again if it should go higher"
            )
        incident.level = next_level(incident.level)
        # Internal: the level is the team's business (the customer card leaves it out).
        change.event("escalated", f"{change.who} escalated to {LEVEL_NAMES[incident.level]}")
        if incident.severity == 1:
            effects.owe(
                change.session,
                PAGE_MANUAL_ESCALATION,
                incident.id,
                incident.level,
                actor.user_id,
                job_id=job_ids.page_manual_escalation(incident.id, incident.level),
            )

    return run(rt, key, actor, Action.ESCALATE, apply)


def wait_on_customer(rt: Runtime, key: int | str, actor: Actor) -> Incident:
    def apply(change: Change) -> None:
        change.status(Status.WAITING, f"{change.who} is waiting on the customer")
        _stop_paging(change, "status")

    return run(rt, key, actor, Action.WAIT, apply)


def resume(rt: Runtime, key: int | str, actor: Actor) -> Incident:
    """Back to investigating (from waiting on the customer, or from open)."""

    def apply(change: Change) -> None:
        change.status(Status.INVESTIGATING, f"{change.who} is investigating")
        _stop_paging(change, "status")

    return run(rt, key, actor, Action.RESUME, apply)


def resolve(
    rt: Runtime, key: int | str, actor: Actor, summary: str, *, receipt: str | None = None
) -> Incident | None:
    """``receipt``: the Resolve form's view id. A second delivery of it changes nothing and
    returns None (the incident is resolved by then, and the form must close, not show
    "cannot move from resolved to resolved")."""
    text = " ".join(summary.split())
    if not text:
        raise IncidentError("a resolution needs a summary of what fixed it")
    if len(text) > DESCRIPTION_MAX:
        raise IncidentError(f"the summary is too long (limit {DESCRIPTION_MAX} characters)")

    def apply(change: Change) -> None:
        if receipt is not None:
            change.receipt(receipt)  # first: the first delivery changed the status
        change.incident.resolution_summary = text
        change.incident.resolved_at = change.rt.now()
        change.first_response()
        change.status(Status.RESOLVED, f"{change.who} resolved: {inert(text, keep_mentions=True)}")
        _stop_paging(change, "resolution")
        csat.owe_survey(change.session, change.incident, change.rt)  # asked once, after commit

    try:
        return run(rt, key, actor, Action.RESOLVE, apply)
    except IntegrityError:
        if receipt is None:
            raise
        return None


def reopen(rt: Runtime, key: int | str, actor: Actor, why: str = "") -> Incident:
    """A resolved incident that is not fixed after all: investigating again, clocks running."""

    def apply(change: Change) -> None:
        if change.incident.status != Status.RESOLVED.value:
            shown = change.incident.status.replace("_", " ")
            raise IncidentError(
                f"{change.incident.key} is {shown}: only a resolved incident can be reopened"
                + (" (a closed one is final; open a new one)" if shown == "closed" else "")
            )
        because = f": {inert(why, keep_mentions=True)}" if why else ""
        change.status(Status.INVESTIGATING, f"{change.who} reopened {change.incident.key}{because}")

    return run(rt, key, actor, Action.REOPEN, apply)


def close(rt: Runtime, key: int | str, actor: Actor) -> Incident:
    def apply(change: Change) -> None:
        change.status(Status.CLOSED, f"{change.who} closed {change.incident.key}")

    return run(rt, key, actor, Action.CLOSE, apply)


def note(rt: Runtime, key: int | str, actor: Actor, text: str) -> Incident:
    """An internal note: the triage thread only, never the customer's."""

    def apply(change: Change) -> None:
        change.event("note", f"{change.who} (internal): {inert(text, keep_mentions=True)}")

    return run(rt, key, actor, Action.NOTE, apply)


def reply(rt: Runtime, key: int | str, actor: Actor, text: str) -> Incident:
    """A reply the customer sees; a customer's reply to a waiting incident resumes it."""
    return run(rt, key, actor, Action.REPLY, lambda change: _reply(change, text))


def _reply(change: Change, text: str) -> None:
    staff = change.actor.is_staff
    kind = "staff_reply" if staff else "customer_reply"
    change.event(kind, f"{change.who}: {inert(text, keep_mentions=staff)}", customer_visible=True)
    change.first_response()
    if not staff and change.incident.status == Status.WAITING.value:
        change.status(Status.INVESTIGATING, "The customer replied; back to investigating")


# What the team reads for a reply that carries no words (a file or a screenshot alone).
NO_TEXT = "(no text: a file or an attachment, see the customer's thread)"


def thread_reply(
    rt: Runtime, channel: str, thread_ts: str, actor: Actor, text: str, *, receipt: str
) -> Incident | None:
    """A message typed straight into an incident's customer thread.

    It is already visible there, so it is marked posted on the customer side and copied only
    to the internal thread, line breaks kept (a pasted trace stays readable). Every incident
    whose card is in the thread gets it (two raised from one message share it). Threads that
    belong to no incident are ignored, and so is a delivery seen before (``receipt``).
    """
    said = text.strip()[:DESCRIPTION_MAX] or NO_TEXT
    try:
        with rt.session() as session:
            # The customer's thread is the message that opened the incident, known from the
            # opening on; its card is posted there later (and only then is the thread's ts
            # stored), so a reply before the card is found by the opening message too.
            found = session.scalars(
                select(Incident)
                .where(
                    Incident.customer_channel == channel,
                    or_(
                        Incident.customer_thread_ts == thread_ts,
                        Incident.customer_thread_ts.is_(None)
                        & (Incident.source_channel == channel)
                        & (Incident.source_ts == thread_ts),
                    ),
                )
                .order_by(Incident.id)
                # Locked, as every change is (change.run_in): a reply read before a
                # resolution committed would write "investigating" over it.
                .with_for_update()
            ).all()
            # Not this organisation's thread to answer in: only its own incidents.
            mine = [i for i in found if actor.is_staff or actor.customer == i.customer]
            if not mine:
                return None
            session.add(InboundReceipt(key=receipt, at=rt.now(), incident_id=mine[0].id))
            session.flush()
            for incident in mine:
                _reply(Change(session, rt, incident, actor), said)
            for event in session.new:
                if isinstance(event, TimelineEvent) and event.kind.endswith("_reply"):
                    event.posted_customer_at = rt.now()
            for incident in mine:
                refresh_incident(session, rt, incident)
                owe_sync(session, incident.id)
    except IntegrityError:
        return None  # the same message delivered again
    return mine[0]
