"""Tables of issue 13: acknowledgements being watched for progress, and pages deferred
by a person's quiet hours or a contract's clock."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from supportbot.db.models import Base
from supportbot.db.types import UTCDateTime


class AckWatch(Base):
    """One incident's acknowledgement, watched for progress (``supportbot.attention``).

    ``state``: ``watching`` while the incident is acknowledged or investigating; ``released``
    once it expired and was un-acknowledged (``reason`` says why, for the card); ``ended``
    when it stopped being owed (waiting on the customer, resolved). The instant owed next is
    derived from ``acked_at``, the timeline's progress and ``reminded_at``, never stored, so
    a note added meanwhile simply moves it.
    """

    __tablename__ = "ack_watches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), unique=True)
    owner: Mapped[str] = mapped_column(String(50))  # Slack user id of the acknowledger
    acked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(20), default="watching")
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_ack_watches_state", "state"),)


class DeferredPage(Base):
    """A Severity 2 page held back until ``due_at`` (quiet hours, the contract's clock);
    then it goes to whoever holds ``target`` (a level, or ``person:<key>``) at that instant."""

    __tablename__ = "deferred_pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    target: Mapped[str] = mapped_column(String(80))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    # pending | sent | dropped | moved (held again) | redirected (went to someone awake)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    created_by: Mapped[str] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_deferred_pages_due", "state", "due_at"),)
