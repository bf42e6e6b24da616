"""The thin loader: the rows of a period, read once, turned into plain records."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from supportbot.contracts.customers import Contracts, Customer
from supportbot.contracts.tiers import targets_for
from supportbot.db.models import Incident, SlaClock, TimelineEvent
from supportbot.db.reporting import CsatSurvey
from supportbot.hours.calendar import TimeBasis
from supportbot.reports.records import UTC_ZONE, ClockRecord, IncidentRecord, Period
from supportbot.sla.deadlines import WALL_CLOCK, basis_for

ACKNOWLEDGED = "status:acknowledged"
COUNTED_KINDS = (ACKNOWLEDGED, "escalated", "staff_reply")
SYSTEM_ACTOR = "supportbot"


def load_records(
    session: Session, contracts: Contracts, period: Period, customer: str | None = None
) -> list[IncidentRecord]:
    """Every incident that can count in ``period`` in some zone: opened before its widest end
    and not resolved before its widest start."""
    start, end = period.widest_bounds()
    query = select(Incident).where(
        Incident.opened_at < end,
        or_(Incident.resolved_at.is_(None), Incident.resolved_at >= start),
    )
    if customer is not None:
        query = query.where(Incident.customer == customer)
    incidents = list(session.scalars(query.order_by(Incident.id)))
    ids = [i.id for i in incidents]
    events = _events(session, ids)
    clocks = _clocks(session, ids)
    scores = _scores(session, ids)
    return [
        _record(i, contracts.by_key(i.customer or ""), events[i.id], clocks[i.id], scores.get(i.id))
        for i in incidents
    ]


def _scores(session: Session, ids: Sequence[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for chunk in _chunks(ids):
        rows = session.execute(
            select(CsatSurvey.incident_id, CsatSurvey.score).where(
                CsatSurvey.incident_id.in_(chunk), CsatSurvey.score.is_not(None)
            )
        )
        out.update({incident_id: score for incident_id, score in rows if score is not None})
    return out


def _events(session: Session, ids: Sequence[int]) -> dict[int, list[TimelineEvent]]:
    out: dict[int, list[TimelineEvent]] = defaultdict(list)
    for chunk in _chunks(ids):
        rows = session.scalars(
            select(TimelineEvent)
            .where(TimelineEvent.incident_id.in_(chunk), TimelineEvent.kind.in_(COUNTED_KINDS))
            .order_by(TimelineEvent.id)
        )
        for event in rows:
            out[event.incident_id].append(event)
    return out


def _clocks(session: Session, ids: Sequence[int]) -> dict[int, list[ClockRecord]]:
    out: dict[int, list[ClockRecord]] = defaultdict(list)
    for chunk in _chunks(ids):
        for row in session.scalars(select(SlaClock).where(SlaClock.incident_id.in_(chunk))):
            out[row.incident_id].append(
                ClockRecord(
                    row.kind,
                    row.target_seconds,
                    row.due_at,
                    row.stopped_at,
                    row.state,
                    row.breached_at,
                )  # fmt: skip
            )
    return out


def _chunks(ids: Sequence[int], size: int = 500) -> list[Sequence[int]]:
    return [ids[n : n + size] for n in range(0, len(ids), size)]


def _basis(customer: Customer | None, severity: int) -> TimeBasis:
    if customer is None:
        return WALL_CLOCK
    target = targets_for(customer.tier, severity, customer.coverage, customer.sla).response
    return basis_for(target.clock, customer.calendar())


def _record(
    incident: Incident,
    customer: Customer | None,
    events: list[TimelineEvent],
    clocks: list[ClockRecord],
    csat: int | None = None,
) -> IncidentRecord:
    acks = [e.at for e in events if e.kind == ACKNOWLEDGED]
    ups = [e for e in events if e.kind == "escalated"]
    return IncidentRecord(
        key=incident.key,
        customer=incident.customer,
        tier=customer.tier if customer else "internal",
        zone=customer.timezone if customer else UTC_ZONE,
        severity=incident.severity,
        opened_at=incident.opened_at,
        first_response_at=incident.first_response_at,
        acknowledged_at=min(acks) if acks else None,
        resolved_at=incident.resolved_at,
        level=incident.level,
        escalations_by_breach=sum(1 for e in ups if e.actor == SYSTEM_ACTOR and "breach" in e.text),
        escalations_by_policy=sum(
            1 for e in ups if e.actor == SYSTEM_ACTOR and "breach" not in e.text
        ),
        escalations_by_hand=sum(1 for e in ups if e.actor != SYSTEM_ACTOR),
        staff_replies=sum(1 for e in events if e.kind == "staff_reply"),
        clocks=tuple(sorted(clocks, key=lambda c: c.kind)),
        response_basis=_basis(customer, incident.severity),
        csat=csat,
    )
