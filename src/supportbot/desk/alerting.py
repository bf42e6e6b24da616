"""The typed actions of a monitoring integration on the incident it opened.

They run inside the transaction that stores the alerts (:mod:`supportbot.alerts.service`),
through :func:`supportbot.desk.change.run_in`: the integration is authorised as itself
(:meth:`Actor.integration`, recognised by its token), only on its own incidents, and every
change is on the timeline, naming the integration.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from supportbot.db.models import Incident
from supportbot.desk.change import Change, run_in
from supportbot.incidents.access import Action, Actor
from supportbot.incidents.lifecycle import ACTIVE, Status, severity_label
from supportbot.paging import episodes
from supportbot.runtime import Runtime


def raise_severity(
    session: Session, rt: Runtime, incident: Incident, actor: Actor, severity: int, *,
    because: str, page: bool,
) -> None:  # fmt: skip
    """A more severe alert joined: the incident takes its severity (never lowered)."""

    def apply(change: Change) -> None:
        before = change.incident.severity
        change.incident.severity, change.incident.suggested_severity = severity, None
        change.event(
            "severity",
            f"{change.who} raised severity {severity_label(before)} → "
            f"{severity_label(severity)}: {because}",
        )
        if page:
            episodes.begin(session, rt, change.incident, rt.now())

    if severity < incident.severity and Status(incident.status) in ACTIVE:
        run_in(session, rt, incident, actor, Action.ALERT, apply)


def resolve(session: Session, rt: Runtime, incident: Incident, actor: Actor, text: str) -> None:
    """Every alert of the incident resolved, and the integration resolves it."""

    def apply(change: Change) -> None:
        change.incident.resolution_summary = text
        change.incident.resolved_at = rt.now()
        change.status(Status.RESOLVED, f"{change.who} resolved {incident.key}: {text}")
        episodes.stop(
            session, rt, change.incident, by=actor.user_id, via="resolution", now=rt.now()
        )

    run_in(session, rt, incident, actor, Action.ALERT, apply)


def reopen(
    session: Session, rt: Runtime, incident: Incident, actor: Actor, text: str, *, page: bool
) -> None:
    """An alert fired again within the hold-down: the same incident, open again. Someone had
    answered it (acknowledged, replied, resolved): they still have it, investigating, and
    nobody is paged. Nobody had: it is open and pages again."""

    def apply(change: Change) -> None:
        answered = change.incident.first_response_at is not None
        target = Status.INVESTIGATING if answered else Status.OPEN
        change.status(target, f"{change.who} re-opened {incident.key}: {text}")
        if not answered and page:
            episodes.begin(session, rt, change.incident, rt.now())

    run_in(session, rt, incident, actor, Action.ALERT, apply)


def note(session: Session, rt: Runtime, incident: Incident, actor: Actor, text: str) -> None:
    """Something the team should know, on the timeline and in the thread."""
    run_in(session, rt, incident, actor, Action.ALERT, lambda c: c.event("alerts", text))
