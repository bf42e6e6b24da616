"""The month's credit statements, read from the database: outages, maintenance windows,
waivers and late responses, handed to the pure formulas (availability, credits, statement).

The one other module of ``reports`` (besides ``load``) that reads the database.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from supportbot.contracts.credit_terms import DEFAULT_TERMS, CreditTerms
from supportbot.contracts.customers import Contracts
from supportbot.db.models import Incident, TimelineEvent
from supportbot.db.reporting import CreditWaiver, MaintenanceWindow
from supportbot.reports.availability import Interval, OutageRecord, WindowRecord, availability
from supportbot.reports.credits import TermsOf, credits
from supportbot.reports.load import load_records
from supportbot.reports.records import IncidentRecord, Period
from supportbot.reports.statement import Statement, Waiver, statement


def outages(session: Session, period: Period, customer: str | None) -> list[OutageRecord]:
    """Severity 1 incidents marked as an outage that overlap the month in any zone."""
    start, end = period.widest_bounds()
    query = select(Incident.id, Incident.customer, Incident.opened_at, Incident.resolved_at).where(
        Incident.severity == 1,
        Incident.outage.is_(True),
        Incident.customer.is_not(None),
        Incident.opened_at < end,
        or_(Incident.resolved_at.is_(None), Incident.resolved_at >= start),
    )
    if customer is not None:
        query = query.where(Incident.customer == customer)
    rows = session.execute(query.order_by(Incident.id)).all()
    gaps = _resolved_gaps(session, [row.id for row in rows])
    return [
        OutageRecord(
            f"INC-{row.id}", row.customer, row.opened_at, row.resolved_at, gaps.get(row.id, ())
        )
        for row in rows
    ]


def _resolved_gaps(session: Session, ids: list[int]) -> dict[int, tuple[Interval, ...]]:
    """Per outage, when it sat resolved before it was reopened: from each resolution to the
    status that reopened it (a resolution never reopened ends the outage: its resolved_at)."""
    found: dict[int, list[Interval]] = {}
    started: dict[int, datetime] = {}
    rows = session.execute(
        select(TimelineEvent.incident_id, TimelineEvent.kind, TimelineEvent.at)
        .where(TimelineEvent.incident_id.in_(ids), TimelineEvent.kind.like("status:%"))
        .order_by(TimelineEvent.incident_id, TimelineEvent.id)
    )
    for incident_id, kind, at in rows:
        if kind in FINISHED:
            started.setdefault(incident_id, at)
        elif incident_id in started:
            found.setdefault(incident_id, []).append((started.pop(incident_id), at))
    return {incident_id: tuple(gaps) for incident_id, gaps in found.items()}


# A resolution (and a close after it) ends downtime; any other status after them reopens.
FINISHED = ("status:resolved", "status:closed")


def windows(session: Session, period: Period, customer: str | None) -> list[WindowRecord]:
    """Maintenance windows, not cancelled, that overlap the month in any zone."""
    start, end = period.widest_bounds()
    query = select(MaintenanceWindow).where(
        MaintenanceWindow.cancelled_at.is_(None),
        MaintenanceWindow.starts_at < end,
        MaintenanceWindow.ends_at > start,
    )
    if customer is not None:
        query = query.where(MaintenanceWindow.customer == customer)
    return [
        WindowRecord(w.id, w.customer, w.starts_at, w.ends_at, w.reason)
        for w in session.scalars(query.order_by(MaintenanceWindow.starts_at))
    ]


def waivers(session: Session, period: Period, customer: str | None) -> list[Waiver]:
    query = select(CreditWaiver).where(CreditWaiver.month == period.label)
    if customer is not None:
        query = query.where(CreditWaiver.customer == customer)
    return [
        Waiver(w.customer, w.month, w.line, w.reason, w.waived_by, w.waived_at)
        for w in session.scalars(query.order_by(CreditWaiver.id))
    ]


def terms_of(contracts: Contracts) -> TermsOf:
    def terms(key: str) -> CreditTerms:
        found = contracts.by_key(key)
        return found.credits if found else DEFAULT_TERMS

    return terms


def statements(
    session: Session,
    contracts: Contracts,
    period: Period,
    as_of: datetime,
    customer: str | None = None,
    records: list[IncidentRecord] | None = None,
) -> list[Statement]:
    """One statement per customer of the contracts file (or only ``customer``); ``records``
    when the caller already read the period's rows for the same customer(s)."""
    if records is None:
        records = load_records(session, contracts, period, customer)
    late = credits(records, period, as_of, customer, terms_of(contracts))
    down, planned = outages(session, period, customer), windows(session, period, customer)
    waived = waivers(session, period, customer)
    out = []
    for one in contracts.customers:
        if customer is not None and one.key != customer:
            continue
        result = availability(one.key, one.timezone, period, down, planned, as_of)
        out.append(statement(one.key, period, one.credits, late.lines, result, waived))
    return out
