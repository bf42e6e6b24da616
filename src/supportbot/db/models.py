"""The tables. Rows, not queue entries, are the record of every promise the bot makes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from supportbot.db.types import UTCDateTime


class Base(DeclarativeBase):
    pass


class Incident(Base):
    __tablename__ = "incidents"

    # The autoincrement key is the incident number: unique across any number of processes
    # because the database hands it out.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[int] = mapped_column(Integer)
    suggested_severity: Mapped[int | None] = mapped_column(Integer, nullable=True)
    customer: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    reporter: Mapped[str] = mapped_column(String(50))
    assignee: Mapped[str | None] = mapped_column(String(50), nullable=True)
    level: Mapped[str] = mapped_column(String(10), default="L1")
    status: Mapped[str] = mapped_column(String(30), default="open", index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The first staff response (acknowledgement, staff reply, resolution): stops the
    # response clock.
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolution_summary: Mapped[str | None] = mapped_column(Text, nullable=True)
    outage: Mapped[bool] = mapped_column(default=False)  # site down: counts as downtime
    source_channel: Mapped[str | None] = mapped_column(String(50), nullable=True)
    source_ts: Mapped[str | None] = mapped_column(String(40), nullable=True)
    card_channel: Mapped[str | None] = mapped_column(String(50), nullable=True)
    card_ts: Mapped[str | None] = mapped_column(String(40), nullable=True)
    customer_channel: Mapped[str | None] = mapped_column(String(50), nullable=True)
    customer_thread_ts: Mapped[str | None] = mapped_column(String(40), nullable=True)
    customer_card_ts: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # Bumped on every change; jobs compare it to skip work made stale by a later change.
    version: Mapped[int] = mapped_column(Integer, default=1)

    events: Mapped[list[TimelineEvent]] = relationship(
        back_populates="incident", order_by="TimelineEvent.id"
    )

    @property
    def key(self) -> str:
        return f"INC-{self.id}"


class TimelineEvent(Base):
    """Append-only history. ``visibility`` decides whether a customer may ever see it."""

    __tablename__ = "timeline_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text)
    visibility: Mapped[str] = mapped_column(String(10), default="internal")
    posted_internal_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    posted_customer_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    incident: Mapped[Incident] = relationship(back_populates="events")

    __table_args__ = (Index("ix_timeline_unposted", "posted_internal_at"),)


class InboundReceipt(Base):
    """One row per inbound delivery already handled (Slack event_id, message ts...).

    Slack retries events; inserting the receipt in the same transaction as the incident makes
    a second delivery a no-op even across processes.
    """

    __tablename__ = "inbound_receipts"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    incident_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class SlaClock(Base):
    """The computed state of one SLA clock, kept for the card, ``/sla`` and reports.

    Recomputed from the incident on every change; ``breached_at`` is written once, by the
    breach timer, and never cleared, with what the breach was judged against
    (``breach_due_at``, ``breach_severity``): a later severity change moves ``due_at``.
    """

    __tablename__ = "sla_clocks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # response | resolution
    target_seconds: Mapped[int] = mapped_column(Integer)
    basis: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    state: Mapped[str] = mapped_column(String(20))  # running | paused | met | breached
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    breach_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    breach_severity: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (UniqueConstraint("incident_id", "kind", name="uq_sla_clock"),)

    @property
    def target_moved_since_breach(self) -> bool:
        """A recorded breach whose due instant is no longer the clock's: a severity change
        recomputed the target, so the breach must be read against its own due, not this one."""
        if self.breach_due_at is not None:
            return self.breach_due_at != self.due_at
        # Recorded before the breach kept its due (migration 0012): a due after the breach
        # can only be a target that moved since.
        return (
            self.breached_at is not None
            and self.due_at is not None
            and self.due_at > self.breached_at
        )


class SlaTimer(Base):
    """A reminder, breach or engagement that is owed at ``due_at``.

    The row is the promise; the RQ job scheduled for it only delivers. A job that finds the
    row no longer pending does nothing, so a reminder fires once however often its job runs.
    """

    __tablename__ = "sla_timers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    clock: Mapped[str] = mapped_column(String(20))  # response | resolution | engage_l3
    threshold: Mapped[int] = mapped_column(Integer)  # percent of the target; 100 = breach
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("incident_id", "clock", "threshold", name="uq_sla_timer"),
        Index("ix_sla_timers_due", "state", "due_at"),
    )


class Notification(Base):
    """A direct message or channel post owed to a person (reminders, escalations)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(50))  # a Slack user or channel id
    kind: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    button: Mapped[str | None] = mapped_column(String(40), nullable=True)  # action id (0009)

    __table_args__ = (Index("ix_notifications_unsent", "sent_at"),)


class OncallOverride(Base):
    """``/oncall override``: a person who holds a level's pager for a while, over the roster."""

    __tablename__ = "oncall_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person: Mapped[str] = mapped_column(String(50))  # rotation person key (not a Slack id)
    level: Mapped[str] = mapped_column(String(10))
    slot: Mapped[str] = mapped_column(String(10), default="primary")
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_early_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_by: Mapped[str | None] = mapped_column(String(50), nullable=True)  # Slack user id


class Escalation(Base):
    """One paging episode of a Severity 1: the policy snapshot and how far it has climbed.

    The policy is copied in when paging starts, so an edit to the rotation files made
    mid-incident does not change an escalation already under way (Grafana OnCall's rule).
    ``step_index`` is the next step owed; a step job for any other index is stale.
    """

    __tablename__ = "escalations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    policy: Mapped[str] = mapped_column(Text)  # JSON snapshot of the EscalationPolicy
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    step_index: Mapped[int] = mapped_column(Integer, default=0)
    next_step_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    state: Mapped[str] = mapped_column(String(20), default="active")
    region: Mapped[str | None] = mapped_column(String(60), nullable=True)
    ack_code: Mapped[str] = mapped_column(String(12), unique=True)
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    acked_by: Mapped[str | None] = mapped_column(String(60), nullable=True)
    acked_via: Mapped[str | None] = mapped_column(String(10), nullable=True)

    __table_args__ = (Index("ix_escalations_due", "state", "next_step_at"),)


class Page(Base):
    """One outgoing SMS or call: pending → sending → sent → delivered, or failed.

    ``deadline_at`` bounds how long a row may sit in ``sending``; the reconciler returns a
    row stuck past it (a worker died mid-send) to ``pending``.
    """

    __tablename__ = "pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    escalation_id: Mapped[int | None] = mapped_column(ForeignKey("escalations.id"), nullable=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    step_index: Mapped[int] = mapped_column(Integer, default=0)
    person: Mapped[str] = mapped_column(String(60))  # rotation person key
    slack_user: Mapped[str | None] = mapped_column(String(50), nullable=True)
    to_number: Mapped[str] = mapped_column(String(20), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # sms | voice
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    provider_sid: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    bundled_into: Mapped[int | None] = mapped_column(Integer, nullable=True)
    fallback_of: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_pages_due", "state", "next_attempt_at"),)


class InboundNumber(Base):
    """Loop protection: how many unrecognised texts a number has been answered since its
    last page, so an auto-responder cannot start an endless SMS exchange."""

    __tablename__ = "inbound_numbers"

    number: Mapped[str] = mapped_column(String(20), primary_key=True)
    unrecognised_replies: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OncallPost(Base):
    """A message owed to the on-call channel (an override change, a handoff).

    The row is the promise: the job that posts it reloads it and does nothing once sent, and
    the reconciler re-queues any left unsent, so an announcement survives a Redis flush.
    ``key`` is unique, so one change or handoff can never be announced twice.
    """

    __tablename__ = "oncall_posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    channel: Mapped[str] = mapped_column(String(50))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ts: Mapped[str | None] = mapped_column(String(40), nullable=True)

    __table_args__ = (Index("ix_oncall_posts_unsent", "sent_at"),)


class KeyValue(Base):
    """Small durable markers, such as the last instant the handoff announcer has covered."""

    __tablename__ = "kv_state"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AlertGroup(Base):
    """One group of alerts from one integration (Alertmanager's ``groupKey``, a generic
    ``dedup_key``), and the incident it currently belongs to.

    Every request for a group first bumps ``version`` (a row lock on PostgreSQL, the write
    lock on SQLite), so the requests and summary jobs of one group run one at a time and a
    storm of concurrent deliveries opens one incident.
    """

    __tablename__ = "alert_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    integration: Mapped[str] = mapped_column(String(64))
    key_sha256: Mapped[str] = mapped_column(String(64))  # of the group key, which may be long
    group_key: Mapped[str] = mapped_column(Text)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    # When the thread last got a summary of the group's changes (at most one an interval).
    summary_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("integration", "key_sha256", name="uq_alert_group"),)


class Alert(Base):
    """One alert of a group, by its fingerprint, with its own status and times.

    ``reported`` is the status the incident's thread last said it had: an alert whose status
    differs (a new one, one resolved, one firing again) is owed a line in the next summary.
    """

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("alert_groups.id"))
    fingerprint: Mapped[str] = mapped_column(String(255))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(10))  # firing | resolved
    reported: Mapped[str | None] = mapped_column(String(10), nullable=True)
    severity: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(String(300))
    labels: Mapped[str] = mapped_column(Text)  # JSON
    annotations: Mapped[str] = mapped_column(Text)  # JSON
    generator_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    runbook_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    fired_count: Mapped[int] = mapped_column(Integer, default=1)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("group_id", "fingerprint", name="uq_alert_fingerprint"),
        Index("ix_alerts_incident", "incident_id", "status"),
    )
