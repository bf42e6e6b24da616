"""Storing checked history rows: incidents marked imported, their SLA clocks as the contract
counts them, and their acknowledgement on the timeline, all in the caller's transaction.

Imported incidents are history only: ``source_channel`` is :data:`IMPORTED_SOURCE` (the
reconciler never cards them), they are resolved (nothing pages, reminds or forecasts them),
their clocks are stopped (no SLA timers) and their timeline events are marked posted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from supportbot.contracts.customers import Contracts
from supportbot.db.models import Incident, SlaClock, TimelineEvent
from supportbot.history.rows import HistoryRow
from supportbot.incidents.lifecycle import IMPORTED_SOURCE, Status
from supportbot.sla.plan import Facts, plan
from supportbot.sla.tracking import contract_of

ACTOR = "import"
CHUNK = 500
# PostgreSQL's advisory lock key for imports (any constant no other lock of ours uses).
_IMPORT_LOCK = 0x5B1_1397


def lock_imports(session: Session) -> None:
    """Take the lock an import holds from its look at what is stored to its commit, first in
    its transaction: two imports of one file at once both found none of its ids stored and
    both stored every row (every incident, credit and count twice). The second now waits,
    then finds them. PostgreSQL: a transaction-scoped advisory lock (the desk's own writes
    go on). SQLite: its one writer lock, taken now (BEGIN IMMEDIATE), which every import
    held from its first insert anyway."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _IMPORT_LOCK})
    elif connection.dialect.name == "sqlite" and not connection.connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def already_imported(session: Session, external_ids: Sequence[str]) -> set[str]:
    """The external ids of ``external_ids`` that an earlier import stored."""
    found: set[str] = set()
    for at in range(0, len(external_ids), CHUNK):
        chunk = list(external_ids[at : at + CHUNK])
        found.update(
            session.scalars(
                select(Incident.source_ts).where(
                    Incident.source_channel == IMPORTED_SOURCE, Incident.source_ts.in_(chunk)
                )
            )
        )  # fmt: skip
    return found


def store(
    session: Session,
    rows: Iterable[HistoryRow],
    contracts: Contracts,
    source: str,
    now: datetime,
    done: Callable[[int], None] = lambda n: None,
) -> int:
    """Add every row (the caller commits once); ``done(n)`` after each chunk, for a bar."""
    count = 0
    batch: list[HistoryRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) == CHUNK:
            count += _store_batch(session, batch, contracts, source, now)
            done(len(batch))
            batch = []
    if batch:
        count += _store_batch(session, batch, contracts, source, now)
        done(len(batch))
    return count


def _store_batch(
    session: Session, rows: list[HistoryRow], contracts: Contracts, source: str, now: datetime
) -> int:
    incidents = [_incident(row) for row in rows]
    session.add_all(incidents)
    session.flush()  # the ids, for the clocks and events
    for row, incident in zip(rows, incidents, strict=True):
        customer = contracts.by_key(row.customer) if row.customer else None
        facts = Facts(row.opened_at, row.severity, row.level, False,
                      incident.first_response_at, row.resolved_at)  # fmt: skip
        for clock in plan(facts, contract_of(customer), now).clocks:
            session.add(SlaClock(
                incident_id=incident.id, kind=clock.kind,
                target_seconds=int(clock.target.total_seconds()), basis=clock.basis[:200],
                due_at=clock.due, state=clock.state, stopped_at=clock.stopped_at,
            ))  # fmt: skip
        note = f"imported from {source} line {row.line} (external id {row.external_id})"
        session.add(_event(incident.id, now, ACTOR, "imported", note, now))
        if row.acknowledged_at is not None:
            by = row.assignee or ACTOR
            session.add(_event(incident.id, row.acknowledged_at, by, "status:acknowledged",
                               "acknowledged (imported)", now))  # fmt: skip
    session.flush()
    return len(rows)


def _incident(row: HistoryRow) -> Incident:
    # The first staff response stops the response clock, as on the live desk: an
    # acknowledgement or the resolution counts when it came before the first reply.
    answers = [t for t in (row.first_response_at, row.acknowledged_at, row.resolved_at) if t]
    return Incident(
        title=row.title, description="", severity=row.severity, customer=row.customer,
        reporter=ACTOR, assignee=row.assignee, level=row.level, status=Status.RESOLVED.value,
        opened_at=row.opened_at, updated_at=row.resolved_at, resolved_at=row.resolved_at,
        first_response_at=min(answers), outage=row.outage, source_channel=IMPORTED_SOURCE,
        source_ts=row.external_id, version=1,
    )  # fmt: skip


def _event(
    incident_id: int, at: datetime, actor: str, kind: str, text: str, now: datetime
) -> TimelineEvent:
    # Marked posted: history is never posted to Slack (the reconciler posts unposted events).
    return TimelineEvent(incident_id=incident_id, at=at, actor=actor[:50], kind=kind,
                         text=text, visibility="internal", posted_internal_at=now)  # fmt: skip
