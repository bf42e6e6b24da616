"""Opening incidents and recording inbound deliveries: the hot path of every ``/incident``.

Opening is one short transaction of Core inserts (incident, timeline, receipt) plus the SLA
clocks and, for a Severity 1, the start of paging; the jobs it owes reach RQ after commit.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import cast

from sqlalchemy import Table, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from supportbot import metrics
from supportbot.contracts.customers import Customer
from supportbot.contracts.triage import Suggestion, suggest
from supportbot.db.models import InboundReceipt, Incident, TimelineEvent
from supportbot.delivery.effects import owe_sync
from supportbot.desk import usage
from supportbot.followups.firing import on_change as followups_on_change
from supportbot.incidents.find import IncidentError
from supportbot.incidents.lifecycle import DESCRIPTION_MAX, TITLE_MAX, Status, severity_label
from supportbot.paging import episodes
from supportbot.runtime import Runtime
from supportbot.sla import tracking as sla
from supportbot.wording import inert, mention

log = logging.getLogger(__name__)


class DuplicateDelivery(Exception):
    """The same inbound delivery was already handled; the caller answers as before."""

    def __init__(self, incident_id: int | None) -> None:
        super().__init__(f"already handled (incident {incident_id})")
        self.incident_id = incident_id


def validate_text(title: str, description: str) -> tuple[str, str]:
    title = " ".join(title.split())
    if not title:
        raise IncidentError(
            "an incident needs a summary, e.g. `/incident sev2 checkout slow`", field="title"
        )
    if len(title) > TITLE_MAX:
        raise IncidentError(
            f"the summary is {len(title)} characters; keep it to {TITLE_MAX}"
            " and put the rest in the description",
            field="title",
        )
    if len(description) > DESCRIPTION_MAX:
        raise IncidentError(
            f"the description is {len(description)} characters; the limit is {DESCRIPTION_MAX}",
            field="description",
        )
    return title, description


# Statements built once, so SQLAlchemy's compiled cache serves every /incident request.
# Plain Core on the tables: the ORM-enabled insert costs about a millisecond more a request.
_INCIDENTS = cast(Table, Incident.__table__)
_INSERT_INCIDENT = insert(_INCIDENTS).returning(_INCIDENTS.c.id)
_INSERT_RECEIPT = insert(cast(Table, InboundReceipt.__table__))
_INSERT_EVENT = insert(cast(Table, TimelineEvent.__table__))


def open_incident(
    rt: Runtime,
    *,
    title: str,
    severity: int,
    reporter: str,
    customer: Customer | None,
    description: str = "",
    source_channel: str | None = None,
    source_ts: str | None = None,
    receipt: str | None = None,
    via: str = "slash command",
) -> Incident:
    incident, suggested = new_incident(
        rt,
        title=title,
        severity=severity,
        reporter=reporter,
        customer=customer,
        description=description,
        source_channel=source_channel,
        source_ts=source_ts,
    )
    try:
        with rt.session() as session:
            record_opening(session, rt, incident, customer, via=via, suggested=suggested,
                           receipt=receipt)  # fmt: skip
    except IntegrityError as exc:
        if receipt is None:
            raise
        raise DuplicateDelivery(_receipt_incident(rt, receipt)) from exc
    return incident


def new_incident(
    rt: Runtime,
    *,
    title: str,
    severity: int,
    reporter: str,
    customer: Customer | None,
    description: str = "",
    source_channel: str | None = None,
    source_ts: str | None = None,
    card_channel: str | None = None,
) -> tuple[Incident, Suggestion | None]:
    """The incident to open, validated, and the triage rules' suggestion; nothing stored.
    ``card_channel`` is where its card goes (default: the triage channel)."""
    title, description = validate_text(title, description)
    if severity not in (1, 2, 3, 4):
        raise IncidentError("severity must be 1, 2, 3 or 4", field="severity")
    hint = suggest(rt.triage, f"{title}\n{description}")
    suggested = hint if hint and hint.severity != severity else None
    now = rt.now()
    incident = Incident(
        title=title,
        description=description,
        severity=severity,
        suggested_severity=suggested.severity if suggested else None,
        customer=customer.key if customer else None,
        reporter=reporter,
        level="L1",
        status=Status.OPEN.value,
        opened_at=now,
        updated_at=now,
        source_channel=source_channel,
        source_ts=source_ts,
        card_channel=card_channel,
        customer_channel=_customer_channel(customer, source_channel),
        outage=False,  # core insert below: the ORM default is not applied to it
        version=1,
    )
    return incident, suggested


def record_opening(
    session: Session,
    rt: Runtime,
    incident: Incident,
    customer: Customer | None,
    *,
    via: str,
    suggested: Suggestion | None = None,
    receipt: str | None = None,
    page: bool = True,
) -> None:
    """Store a new incident in the caller's transaction: its row, the opening events, the
    SLA clocks, paging for a Severity 1 (unless ``page`` is False) and the card's sync."""
    _insert_incident(session, incident, receipt, incident.opened_at)
    _insert_events(session, incident, _opening_events(incident, customer, via, suggested))
    usage.on_opening(session, rt, incident, customer)  # the turnover charge (plans)
    sla.refresh(session, incident, customer, incident.opened_at, new=True)
    if page:
        episodes.begin(session, rt, incident, incident.opened_at)
    followups_on_change(session, rt, incident, new=True)  # a Sev1 with a customer owes updates
    owe_sync(session, incident.id)
    metrics.INCIDENTS_OPENED.labels(str(incident.severity)).inc()
    log.info("opened %s sev%s customer=%s", incident.key, incident.severity, incident.customer)


def _opening_events(
    incident: Incident, customer: Customer | None, via: str, suggested: Suggestion | None
) -> list[dict[str, str]]:
    """The first timeline events (the incident has its id): who opened it, and the triage
    rules' opinion when it differs from the severity given."""
    whose = f" for {customer.name}" if customer else ""
    events = [
        dict(
            kind="opened",
            actor=incident.reporter,
            visibility="customer" if incident.customer_channel else "internal",
            text=f"{mention(incident.reporter)} opened {incident.key}{whose} as "
            f"{severity_label(incident.severity)} via {via}: {inert(incident.title)}",
        )
    ]
    if suggested is not None:
        events.append(
            dict(
                kind="suggested",
                actor="supportbot",
                visibility="internal",
                text=f"Triage suggests {severity_label(suggested.severity)}: {suggested.because}",
            )
        )
    return events


def _insert_incident(
    session: Session, incident: Incident, receipt: str | None, now: datetime
) -> None:
    """Insert the incident, setting its id, and the receipt of the delivery that opened it.

    Core inserts, not the ORM unit of work: opening is the hot path of every /incident
    request and this keeps it to three statements with the events (bench/). A receipt seen
    before raises IntegrityError.
    """
    columns = {c.key: getattr(incident, c.key) for c in Incident.__table__.columns if c.key != "id"}
    conn = session.connection()
    incident.id = conn.execute(_INSERT_INCIDENT, columns).scalar_one()
    if receipt is not None:
        conn.execute(_INSERT_RECEIPT, dict(key=receipt, at=now, incident_id=incident.id))


def _insert_events(session: Session, incident: Incident, events: list[dict[str, str]]) -> None:
    at = incident.opened_at
    rows = [dict(event, incident_id=incident.id, at=at) for event in events]
    session.connection().execute(_INSERT_EVENT, rows)


def _customer_channel(customer: Customer | None, source_channel: str | None) -> str | None:
    if customer is None:
        return None
    if source_channel in customer.channels:
        return source_channel
    return customer.channels[0]


def _receipt_incident(rt: Runtime, receipt: str) -> int | None:
    with rt.session() as session:
        row = session.get(InboundReceipt, receipt)
        return row.incident_id if row else None


def claim_receipt(rt: Runtime, receipt: str) -> bool:
    """Record an inbound delivery that opens nothing; False if it was seen before."""
    try:
        with rt.session() as session:
            session.add(InboundReceipt(key=receipt, at=rt.now()))
    except IntegrityError:
        return False
    return True
