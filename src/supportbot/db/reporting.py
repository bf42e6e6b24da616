"""Tables of issue 10 (reports): maintenance windows, credit waivers, CSAT surveys.

Both are append-only records: a window is cancelled by stamping ``cancelled_at``, never
deleted, and a waiver is a row of its own beside the credit it waives.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from supportbot.db.models import Base
from supportbot.db.types import UTCDateTime


class MaintenanceWindow(Base):
    """Planned work declared for a customer: its time never counts as downtime."""

    __tablename__ = "maintenance_windows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_by: Mapped[str | None] = mapped_column(String(50), nullable=True)

    __table_args__ = (Index("ix_maintenance_customer", "customer", "starts_at"),)


class CreditWaiver(Base):
    """A credit line of a customer's month waived by staff, with the reason."""

    __tablename__ = "credit_waivers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer: Mapped[str] = mapped_column(String(100))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM in the customer's zone
    line: Mapped[str] = mapped_column(String(40))  # INC-n or "availability"
    reason: Mapped[str] = mapped_column(Text)
    waived_by: Mapped[str] = mapped_column(String(50))
    waived_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("customer", "month", "line", name="uq_credit_waiver"),)


class CsatSurvey(Base):
    """One satisfaction question per resolved customer incident, asked once in its shared
    thread; the customer's side answers once (1–5), with an optional comment."""

    __tablename__ = "csat_surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), unique=True)
    customer: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    channel: Mapped[str | None] = mapped_column(String(50), nullable=True)
    message_ts: Mapped[str | None] = mapped_column(String(40), nullable=True)
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rated_by: Mapped[str | None] = mapped_column(String(50), nullable=True)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    commented_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_csat_unasked", "asked_at"),)


class ReportPost(Base):
    """A customer's monthly report: posted for review in the triage channel, then, once a
    lead approves it, to the customer's channel. The texts are fixed when the row is made,
    so the customer gets exactly what was reviewed. ``key`` is unique: one per month."""

    __tablename__ = "report_posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    customer: Mapped[str] = mapped_column(String(100))
    month: Mapped[str] = mapped_column(String(7))
    review_text: Mapped[str] = mapped_column(Text)
    customer_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    review_channel: Mapped[str] = mapped_column(String(50))
    review_ts: Mapped[str | None] = mapped_column(String(40), nullable=True)
    approved_by: Mapped[str | None] = mapped_column(String(50), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    customer_channel: Mapped[str] = mapped_column(String(50))
    customer_ts: Mapped[str | None] = mapped_column(String(40), nullable=True)
