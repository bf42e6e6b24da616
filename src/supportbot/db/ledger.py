"""The usage ledger's tables: entries (append-only), task estimates and running timers.

Balances are never stored: they are sums over ``ledger_entries``. A correction (a waiver, a
refund) is a new entry that points at the one it corrects. ``dedupe`` makes an entry that
must happen once (the turnover charge of an incident, a term's rollover) a unique row, so a
retried job or a second click can never write it twice.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from supportbot.db.models import Base
from supportbot.db.types import UTCDateTime


class LedgerEntry(Base):
    """One use of a unit (or a correction of one): who, when, for which incident.

    ``quantity`` counts units *used* in ``unit`` (incident, minute, agent_minute): positive
    for a use, negative for a credit (a waiver, a refund, incidents rolled into a term).
    """

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer: Mapped[str] = mapped_column(String(100))
    plan: Mapped[str] = mapped_column(String(60))
    term: Mapped[str | None] = mapped_column(String(10), nullable=True)  # term start, ISO date
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), nullable=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task_estimates.id"), nullable=True)
    person: Mapped[str] = mapped_column(String(60))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str] = mapped_column(String(12))
    quantity: Mapped[int] = mapped_column(Integer)
    # Work time behind the entry (an appointment's length, a call's agent-minutes), kept for
    # the monthly summary even when the units are incidents.
    minutes: Mapped[int] = mapped_column(Integer, default=0)
    # Three decimals: the Kuwaiti dinar and a few others count thousandths (contracts/currency).
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 3), nullable=True)
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    corrects: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    dedupe: Mapped[str | None] = mapped_column(String(160), nullable=True, unique=True)

    __table_args__ = (
        # Covers the balance query (a SUM per kind over one term) without reading the rows.
        Index("ix_ledger_customer", "customer", "plan", "term", "kind", "quantity", "amount"),
        Index("ix_ledger_incident", "incident_id"),
        Index("ix_ledger_at", "customer", "at"),
    )


class TaskEstimate(Base):
    """A prepaid-hours task: its estimate, and a designated contact's answer to it."""

    __tablename__ = "task_estimates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    customer: Mapped[str] = mapped_column(String(100))
    minutes: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(10), default="pending")  # approved | declined
    requested_by: Mapped[str] = mapped_column(String(60))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(60), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When the estimate reached the designated contacts (the job that posts it sets it; the
    # reconciler owes the post again while it is empty).
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class WorkTimer(Base):
    """A running timer: one per person (the key), so a second start is refused."""

    __tablename__ = "work_timers"

    person: Mapped[str] = mapped_column(String(60), primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
