"""Where an incident's acknowledgement watch stands: read from its row and its timeline.

Shared by the job that reminds and releases (:mod:`supportbot.attention.ackwatch`) and the
card (:mod:`supportbot.slack.attention_blocks`), so both always agree on the instant.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot.db.attention import AckWatch
from supportbot.db.models import Incident
from supportbot.incidents.progress import last_progress
from supportbot.oncall import lookup
from supportbot.oncall.ack_rules import AckDue, AckRule, ack_due, ack_rule
from supportbot.runtime import Runtime

# Statuses in which an acknowledgement can be forgotten. Waiting on the customer is not: the
# customer holds the ball; resolved and closed are done.
WATCHED = ("acknowledged", "investigating")


def watch_of(session: Session, incident_id: int) -> AckWatch | None:
    return session.scalar(select(AckWatch).where(AckWatch.incident_id == incident_id))


def rule_for(rt: Runtime, severity: int) -> AckRule | None:
    found = lookup.resolver(rt)
    return ack_rule(found.rotation if found is not None else None, severity)


def due_of(rt: Runtime, session: Session, incident: Incident, watch: AckWatch) -> AckDue | None:
    """The reminder or release owed next, or None when nothing is (not watching, no rule)."""
    if watch.state != "watching" or incident.status not in WATCHED:
        return None
    rule = rule_for(rt, incident.severity)
    if rule is None:
        return None
    progress = last_progress(session, incident.id, watch.acked_at)
    basis = max(watch.acked_at, progress) if progress is not None else watch.acked_at
    return ack_due(rule, basis, watch.reminded_at)
