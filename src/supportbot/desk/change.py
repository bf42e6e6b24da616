"""One change to one incident: lock, authorise, apply, re-plan the clocks, owe the Slack sync.

Every typed action in :mod:`supportbot.desk.actions` runs through :func:`run`, so the order
of those steps, and the row lock that keeps two clicks from both starting from the same
state, live in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from supportbot.attention import ackwatch
from supportbot.db.models import InboundReceipt, Incident
from supportbot.delivery.effects import owe_sync
from supportbot.followups.firing import on_change as followups_on_change
from supportbot.incidents.access import Action, Actor, authorise
from supportbot.incidents.find import IncidentError, get_incident
from supportbot.incidents.lifecycle import Status, TransitionError, check_transition
from supportbot.incidents.timeline import add_event
from supportbot.runtime import Runtime
from supportbot.sla.tracking import refresh_incident
from supportbot.wording import mention


@dataclass
class Change:
    """What an action sees while it runs: the locked incident, who acts, and the helpers
    that record what it did."""

    session: Session
    rt: Runtime
    incident: Incident
    actor: Actor

    @property
    def who(self) -> str:
        return mention(self.actor.user_id)

    def event(self, kind: str, text: str, *, customer_visible: bool = False) -> None:
        add_event(
            self.session,
            self.rt,
            self.incident,
            self.actor.user_id,
            kind,
            text,
            customer_visible=customer_visible,
        )

    def status(self, target: Status, text: str) -> None:
        check_transition(self.incident.status, target)
        if self.incident.status == Status.RESOLVED.value:
            self.incident.resolved_at = None  # reopened: the resolution clock runs again
        self.incident.status = target.value
        self.event(f"status:{target.value}", text, customer_visible=True)

    def first_response(self) -> None:
        """An acknowledgement, a staff reply or a resolution is the first response."""
        if self.actor.is_staff and self.incident.first_response_at is None:
            self.incident.first_response_at = self.rt.now()

    def receipt(self, key: str) -> None:
        """The delivery's key (a form's view id), stored in this transaction: a second
        delivery of the same form fails here (IntegrityError) and changes nothing."""
        row = InboundReceipt(key=key, at=self.rt.now(), incident_id=self.incident.id)
        self.session.add(row)
        self.session.flush()

    def take_if_unassigned(self) -> None:
        if self.incident.assignee is None:
            self.incident.assignee = self.actor.user_id


Apply = Callable[[Change], None]


def refuse_if_finished(incident: Incident) -> None:
    """A stale card (or a second window) still shows the buttons of an active incident. A
    finished one changes only by being reopened, in the open: its SLA clocks were judged at
    resolution, and a severity changed afterwards would judge them again against other
    targets, changing what the customer is credited without anyone seeing why."""
    if incident.status == Status.RESOLVED.value:
        raise IncidentError(
            f"{incident.key} is resolved; reopen it first (`/incident reopen {incident.key}`)"
        )
    if incident.status == Status.CLOSED.value:
        raise IncidentError(f"{incident.key} is closed: a closed incident is final")


def run(rt: Runtime, key: int | str, actor: Actor, action: Action, apply: Apply) -> Incident:
    """Apply one action in one transaction; refuses with :class:`IncidentError`."""
    with rt.session() as session:
        incident = get_incident(session, key)
        run_in(session, rt, incident, actor, action, apply)
    return incident


def run_in(
    session: Session, rt: Runtime, incident: Incident, actor: Actor, action: Action, apply: Apply
) -> None:
    """:func:`run` inside a transaction the caller holds (alert intake stores its alerts in
    the same one)."""
    # Row lock (PostgreSQL): two clicks at once must not both start from the same state,
    # or the later one writes back stale SLA clocks and version (a lost update).
    session.refresh(incident, with_for_update=True)
    authorise(actor, incident, action)
    try:
        apply(Change(session, rt, incident, actor))
    except TransitionError as exc:
        raise IncidentError(f"{incident.key}: {exc}") from exc
    ackwatch.follow(session, rt, incident, actor.user_id)  # an acknowledgement's expiry moves
    refresh_incident(session, rt, incident)
    followups_on_change(session, rt, incident)  # update cadence, RCA (issue 13)
    owe_sync(session, incident.id)
