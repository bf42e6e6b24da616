"""Opening incidents and recording inbound deliveries: the hot path of every ``/incident``.

Opening is one short transaction of Core inserts (incident, timeline, receipt) plus the SLA
clocks and, for a Severity 1, the start of paging, shared by the openings that arrive
together (:mod:`supportbot.delivery.group`); the jobs it owes reach RQ after commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from supportbot import metrics
from supportbot.contracts.customers import Customer
from supportbot.contracts.triage import Suggestion, suggest
from supportbot.db.models import InboundReceipt, Incident, TimelineEvent
from supportbot.delivery.effects import owe_sync
from supportbot.delivery.group import GroupCommit
from supportbot.desk import usage
from supportbot.followups.firing import on_change as followups_on_change
from supportbot.incidents.find import IncidentError
from supportbot.incidents.lifecycle import DESCRIPTION_MAX, TITLE_MAX, Status, severity_label
from supportbot.paging import episodes
from supportbot.runtime import Runtime
from supportbot.sla import tracking as sla
from supportbot.wording import inert, mention

log = logging.getLogger(__name__)

_GROUP = "supportbot.desk.intake.openings"


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
_COLUMNS = [c for c in _INCIDENTS.columns if c.key != "id"]
_INSERT_INCIDENTS = insert(_INCIDENTS).returning(_INCIDENTS.c.id, sort_by_parameter_order=True)
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
    opening = Opening(incident, customer, via, suggested, receipt)
    try:
        _openings(rt).run(opening)
    except IntegrityError as exc:
        if receipt is None:
            raise
        raise DuplicateDelivery(_receipt_incident(rt, receipt)) from exc
    _announce(incident)
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


@dataclass(frozen=True)
class Opening:
    """An incident to store (its row not yet inserted) and how it came."""

    incident: Incident
    customer: Customer | None
    via: str
    suggested: Suggestion | None = None
    receipt: str | None = None
    page: bool = True


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
    store_openings(session, rt, [Opening(incident, customer, via, suggested, receipt, page)])
    _announce(incident)


def store_openings(session: Session, rt: Runtime, openings: list[Opening]) -> list[None]:
    """Store new incidents in one transaction, each as :func:`record_opening` would: the
    rows of all of them with one statement per table (a burst of ``/incident`` requests is
    committed together, :mod:`supportbot.delivery.group`), then each one's clocks, paging,
    follow-ups and card."""
    _insert_incidents(session, openings)
    _insert_events(session, [e for o in openings for e in _opening_events(o)])
    # In one order in every transaction (a plan's balance is locked while it is charged),
    # so that two batches charging the same customers never wait for each other in a cycle.
    for o in sorted(openings, key=lambda o: o.customer.key if o.customer else ""):
        incident, at = o.incident, o.incident.opened_at
        usage.on_opening(session, rt, incident, o.customer)  # the turnover charge (plans)
        sla.refresh(session, incident, o.customer, at, new=True)
        if o.page:
            episodes.begin(session, rt, incident, at)
        followups_on_change(session, rt, incident, new=True)  # a Sev1 with a customer owes updates
        owe_sync(session, incident.id)
    return [None] * len(openings)


def _openings(rt: Runtime) -> GroupCommit[Opening, None]:
    """This runtime's group commit of openings."""
    found = rt.extras.get(_GROUP)
    if found is None:
        found = rt.extras.setdefault(
            _GROUP,
            GroupCommit(rt.session, lambda session, o: store_openings(session, rt, o)),
        )
    return cast("GroupCommit[Opening, None]", found)


def _announce(incident: Incident) -> None:
    """Counted and logged once stored (a batch that rolls back stores its openings again)."""
    metrics.INCIDENTS_OPENED.labels(str(incident.severity)).inc()
    log.info("opened %s sev%s customer=%s", incident.key, incident.severity, incident.customer)


def _opening_events(opening: Opening) -> list[dict[str, Any]]:
    """The first timeline events (the incident has its id): who opened it, and the triage
    rules' opinion when it differs from the severity given."""
    incident, customer, via, suggested = (
        opening.incident, opening.customer, opening.via, opening.suggested
    )  # fmt: skip
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
    return [dict(event, incident_id=incident.id, at=incident.opened_at) for event in events]


def _insert_incidents(session: Session, openings: list[Opening]) -> None:
    """Insert the incidents, setting their ids, and the receipts of the deliveries that
    opened them: one statement each, whatever the number (SQLAlchemy's "insertmanyvalues",
    ids returned in the order given).

    Core inserts, not the ORM unit of work: opening is the hot path of every /incident
    request (bench/). A receipt seen before raises IntegrityError.
    """
    conn = session.connection()
    rows = [
        {c.key: getattr(o.incident, c.key) for c in _COLUMNS} for o in openings
    ]  # fmt: skip
    ids = conn.execute(_INSERT_INCIDENTS, rows).scalars().all()
    for opening, incident_id in zip(openings, ids, strict=True):
        opening.incident.id = incident_id
    receipts = [
        dict(key=o.receipt, at=o.incident.opened_at, incident_id=o.incident.id)
        for o in openings
        if o.receipt is not None
    ]
    if receipts:
        conn.execute(_INSERT_RECEIPT, receipts)


def _insert_events(session: Session, rows: list[dict[str, Any]]) -> None:
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
