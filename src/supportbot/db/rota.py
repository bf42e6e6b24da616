"""Tables of the rota's conversation with people: DMs owed to them, and shift swaps.

A DM is a row before it is a Slack message (the same promise as ``oncall_posts``): a shift
reminder is written ahead of its instant and delivered then, a weekly summary or a change
notice once per key, so a lost job or a restart neither drops nor repeats one. A reminder whose
shift moved before its instant is dropped with the reason, never sent.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from supportbot.db.models import Base
from supportbot.db.types import UTCDateTime


class RotaDm(Base):
    __tablename__ = "rota_dms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # reminder, weekly, change, swap
    person: Mapped[str] = mapped_column(String(50))  # rotation person key
    recipient: Mapped[str] = mapped_column(String(50))  # Slack user id
    text: Mapped[str] = mapped_column(Text)  # a reminder's is written when it is sent
    detail: Mapped[str] = mapped_column(Text, default="{}")  # JSON: a reminder's shift
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ts: Mapped[str | None] = mapped_column(String(40), nullable=True)
    dropped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    dropped_reason: Mapped[str | None] = mapped_column(String(300), nullable=True)

    __table_args__ = (Index("ix_rota_dms_unsent", "sent_at", "dropped_at", "due_at"),)


class RotaSwap(Base):
    """``/oncall swap``: the proposer's shift ``give`` goes to the invitee and the invitee's
    shift ``take`` to the proposer, as a pair of overrides once the invitee accepts."""

    __tablename__ = "rota_swaps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    proposer: Mapped[str] = mapped_column(String(50))
    invitee: Mapped[str] = mapped_column(String(50))
    level: Mapped[str] = mapped_column(String(10))
    slot: Mapped[str] = mapped_column(String(10))
    give_start: Mapped[datetime] = mapped_column(UTCDateTime)
    give_end: Mapped[datetime] = mapped_column(UTCDateTime)
    take_start: Mapped[datetime] = mapped_column(UTCDateTime)
    take_end: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(20), index=True)  # proposed → accepted|…
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(50), nullable=True)
    outcome: Mapped[str | None] = mapped_column(Text, nullable=True)
