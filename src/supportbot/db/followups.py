"""Rows of issue 13's follow-ups: timers owed to an incident after or beside its SLA clocks
(customer update reminders, RCA reminders) and the root cause analyses themselves."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from supportbot.db.models import Base
from supportbot.db.types import UTCDateTime


class FollowupTimer(Base):
    """A follow-up owed at ``due_at``: ``update`` (a customer update is due; ``seq`` counts
    them), ``rca_remind`` or ``rca_due``. Like an SLA timer, the row is the promise and its
    RQ job only delivers: pending → fired | cancelled."""

    __tablename__ = "followup_timers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    seq: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("incident_id", "kind", "seq", name="uq_followup_timer"),
        Index("ix_followup_timers_due", "state", "due_at"),
    )


class RootCause(Base):
    """The root cause analysis owed for a resolved Sev1/Sev2 with a customer.

    ``template`` is what the team was given (internal, from the timeline); ``customer_text``
    is what was approved and posted to the customer (set once, with who approved it).
    ``state``: due → approved; due → on_hold while the incident is reopened → due again at
    its next resolution (``resolved_at``, ``due_at`` and ``template`` then count from it)."""

    __tablename__ = "root_causes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), unique=True)
    resolved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(20), default="due")  # due | on_hold | approved
    template: Mapped[str] = mapped_column(Text)
    customer_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    approved_by: Mapped[str | None] = mapped_column(String(50), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
