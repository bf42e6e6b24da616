"""The thin loader: the rows of a period, read once, turned into plain records."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import case, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from supportbot.contracts.customers import Contracts, Customer
from supportbot.contracts.tiers import targets_for
from supportbot.db.models import Incident, SlaClock, TimelineEvent
from supportbot.db.reporting import CsatSurvey
from supportbot.db.types import UTCDateTime
from supportbot.hours.calendar import TimeBasis
from supportbot.incidents.lifecycle import SEVERITY_CHANGED, parse_severity_change
from supportbot.reports.records import (
    UTC_ZONE,
    ClockRecord,
    IncidentRecord,
    Period,
    SeveritySpan,
)
from supportbot.sla.deadlines import WALL_CLOCK, Pause, basis_for
from supportbot.sla.tracking import pauses_of

ACKNOWLEDGED = "status:acknowledged"
ESCALATED = "escalated"
STAFF_REPLY = "staff_reply"
SYSTEM_ACTOR = "supportbot"


def load_records(
    session: Session, contracts: Contracts, period: Period, customer: str | None = None
) -> list[IncidentRecord]:
    """Every incident that can count in ``period`` in some zone: opened before its widest end
    and not resolved before its widest start.

    Plain column rows, not ORM objects, and one query per table joined on the same window
    (no id lists): at 100,000 incidents building objects cost more than the figures."""
    start, end = period.widest_bounds()
    window = [
        Incident.opened_at < end,
        or_(Incident.resolved_at.is_(None), Incident.resolved_at >= start),
    ]
    if customer is not None:
        window.append(Incident.customer == customer)
    incidents = session.connection().execute(
        select(
            Incident.id, Incident.customer, Incident.severity, Incident.opened_at,
            Incident.first_response_at, Incident.resolved_at, Incident.level,
        ).where(*window).order_by(Incident.id)
    ).all()  # fmt: skip
    events = _events(session, window)
    clocks = _clocks(session, window)
    scores = _scores(session, window)
    held = _held(session, window)
    changes = _severity_changes(session, window)
    bases: dict[tuple[str | None, int], TimeBasis] = {}
    owners: dict[str | None, Customer | None] = {}  # by_key searches a list: once per key
    out = []
    for row in incidents:
        if row.customer not in owners:
            owners[row.customer] = contracts.by_key(row.customer or "")
        owner = owners[row.customer]
        basis = bases.get((row.customer, row.severity))
        if basis is None:
            basis = bases[(row.customer, row.severity)] = _basis(owner, row.severity)
        record = _record(row, owner, events.get(row.id, NO_EVENTS), clocks.get(row.id, ()),
                         scores.get(row.id), basis)  # fmt: skip
        # Paused from its opening: a request held for the customer's approval (a "waiting"
        # pressed later, before anyone answered, does not stop the response clock).
        waited = tuple(p for p in held.get(row.id, ()) if p[0] <= row.opened_at)
        if waited:
            record = replace(record, held=waited)
        if row.id in changes:
            record = replace(record, severities=_spans(row, owner, changes[row.id]))
        out.append(record)
    return out


def _before_response() -> Any:
    return or_(Incident.first_response_at.is_(None), TimelineEvent.at < Incident.first_response_at)


def _severity_changes(
    session: Session, window: list[Any]
) -> dict[int, list[tuple[datetime, int, int]]]:
    """Severity changes, per incident that had one: (instant, before, after). Few rows
    whatever the period: most incidents keep their severity. Those after the first response
    count too: the first one's "before" is the severity the response was judged under (a
    Sev1 answered late and downgraded afterwards still owes its credit); the credits leave
    out the spans that began after the response."""
    rows = session.connection().execute(
        select(TimelineEvent.incident_id, TimelineEvent.at, TimelineEvent.text)
        .join(Incident, Incident.id == TimelineEvent.incident_id)
        .where(*window, TimelineEvent.kind == SEVERITY_CHANGED)
        .order_by(TimelineEvent.incident_id, TimelineEvent.id)
    )
    found: dict[int, list[tuple[datetime, int, int]]] = defaultdict(list)
    for incident_id, at, text in rows:
        change = parse_severity_change(text)
        if change is not None:
            found[incident_id].append((at, *change))
    return found


def _spans(
    incident: Any, customer: Customer | None, changes: list[tuple[datetime, int, int]]
) -> tuple[SeveritySpan, ...]:
    first = changes[0][1]  # the severity it was opened with (or imported as)
    spans = [SeveritySpan(incident.opened_at, first, _basis(customer, first))]
    spans += [SeveritySpan(at, after, _basis(customer, after)) for at, _, after in changes]
    return tuple(spans)


def _held(session: Session, window: list[Any]) -> dict[int, tuple[Pause, ...]]:
    """Pauses before the first response, per incident that has one: only a request opened
    waiting on the customer (held for an exhausted balance) has status events before it, so
    the rows are few whatever the period."""
    rows = session.connection().execute(
        select(TimelineEvent.incident_id, TimelineEvent.kind, TimelineEvent.at)
        .join(Incident, Incident.id == TimelineEvent.incident_id)
        .where(*window, TimelineEvent.kind.like("status:%"), _before_response())
        .order_by(TimelineEvent.incident_id, TimelineEvent.id)
    )
    statuses: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    for incident_id, kind, at in rows:
        statuses[incident_id].append((kind, at))
    found = {i: tuple(pauses_of(s)) for i, s in statuses.items()}
    return {i: pauses for i, pauses in found.items() if pauses}


def _scores(session: Session, window: list[Any]) -> dict[int, int]:
    rows = session.connection().execute(
        select(CsatSurvey.incident_id, CsatSurvey.score)
        .join(Incident, Incident.id == CsatSurvey.incident_id)
        .where(*window, CsatSurvey.score.is_not(None))
    )
    return {incident_id: score for incident_id, score in rows if score is not None}


class Events(NamedTuple):
    """What an incident's timeline says for the figures, added up by the database."""

    acknowledged_at: datetime | None = None  # the first ``status:acknowledged`` event
    staff_replies: int = 0
    escalations: tuple[Any, ...] = ()  # (actor, text) of each ``escalated`` event


def _events(session: Session, window: list[Any]) -> dict[int, Events]:
    """The first acknowledgement and the count of staff replies per incident in SQL (one
    row per incident, not one per event); the rare escalations as rows, for their text."""
    first_ack = func.min(case((TimelineEvent.kind == ACKNOWLEDGED, TimelineEvent.at)))
    replies = func.sum(case((TimelineEvent.kind == STAFF_REPLY, 1), else_=0))
    counted = session.connection().execute(
        select(TimelineEvent.incident_id, type_coerce(first_ack, UTCDateTime), replies)
        .join(Incident, Incident.id == TimelineEvent.incident_id)
        .where(*window, TimelineEvent.kind.in_((ACKNOWLEDGED, STAFF_REPLY)))
        .group_by(TimelineEvent.incident_id)
    )
    out = {row[0]: Events(row[1], int(row[2] or 0)) for row in counted}
    ups: dict[int, list[Any]] = defaultdict(list)
    for row in session.connection().execute(
        select(TimelineEvent.incident_id, TimelineEvent.actor, TimelineEvent.text)
        .join(Incident, Incident.id == TimelineEvent.incident_id)
        .where(*window, TimelineEvent.kind == ESCALATED)
        .order_by(TimelineEvent.id)
    ):
        ups[row.incident_id].append(row)
    for incident_id, rows in ups.items():
        out[incident_id] = out.get(incident_id, NO_EVENTS)._replace(escalations=tuple(rows))
    return out


NO_EVENTS = Events()


def _clocks(session: Session, window: list[Any]) -> dict[int, list[ClockRecord]]:
    out: dict[int, list[ClockRecord]] = defaultdict(list)  # read with .get: no empty lists
    rows = session.connection().execute(
        select(SlaClock.incident_id, SlaClock.kind, SlaClock.target_seconds, SlaClock.due_at,
               SlaClock.stopped_at, SlaClock.state)  # breached_at: no figure reads it
        .join(Incident, Incident.id == SlaClock.incident_id)
        .where(*window)
    )  # fmt: skip
    for row in rows:
        out[row.incident_id].append(ClockRecord(*row[1:]))
    return out


def _basis(customer: Customer | None, severity: int) -> TimeBasis:
    if customer is None:
        return WALL_CLOCK
    target = targets_for(customer.tier, severity, customer.coverage, customer.sla).response
    return basis_for(target.clock, customer.calendar())


def _record(
    incident: Any,
    customer: Customer | None,
    events: Events,
    clocks: list[ClockRecord] | tuple[()],
    csat: int | None,
    basis: TimeBasis,
) -> IncidentRecord:
    ups = events.escalations
    by_breach = by_policy = by_hand = 0
    for e in ups:  # rare: most incidents never escalate
        if e.actor != SYSTEM_ACTOR:
            by_hand += 1
        elif "breach" in e.text:
            by_breach += 1
        else:
            by_policy += 1
    return IncidentRecord(
        key=f"INC-{incident.id}",
        customer=incident.customer,
        tier=customer.tier if customer else "internal",
        zone=customer.timezone if customer else UTC_ZONE,
        severity=incident.severity,
        opened_at=incident.opened_at,
        first_response_at=incident.first_response_at,
        acknowledged_at=events.acknowledged_at,
        resolved_at=incident.resolved_at,
        level=incident.level,
        escalations_by_breach=by_breach,
        escalations_by_policy=by_policy,
        escalations_by_hand=by_hand,
        staff_replies=events.staff_replies,
        clocks=tuple(sorted(clocks, key=_kind)) if len(clocks) > 1 else tuple(clocks),
        response_basis=basis,
        csat=csat,
    )


def _kind(clock: ClockRecord) -> str:
    return clock.kind
