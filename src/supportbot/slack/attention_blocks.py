"""The card's attention line: when the acknowledgement expires, or why it was released."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot.db.attention import DeferredPage
from supportbot.db.models import Incident
from supportbot.oncall.ack_state import due_of, watch_of
from supportbot.runtime import Runtime
from supportbot.slack import kit
from supportbot.slack.moment import Moment
from supportbot.wording import local_time


def attention_lines(rt: Runtime, session: Session, incident: Incident, moment: Moment) -> list[str]:
    return [*_ack_lines(rt, session, incident, moment), *_held_lines(session, incident)]


def _held_lines(session: Session, incident: Incident) -> list[str]:
    """Pages quiet hours or the contract's clock held back or sent elsewhere: which, why."""
    rows = session.scalars(
        select(DeferredPage)
        .where(DeferredPage.incident_id == incident.id)
        .order_by(DeferredPage.id.desc())
        .limit(3)
    ).all()
    lines = []
    for row in reversed(rows):
        kind, _, rest = row.target.partition(":")
        whom = rest.partition(":")[0] if kind == "person" else rest.replace("MGMT", "management")
        if row.state == "pending":
            lines.append(f":zzz: Sev{incident.severity} page to {whom} held: {row.reason}")
        elif row.state == "redirected":
            lines.append(f":zzz: Sev{incident.severity} page to {whom}: {row.reason}")
    return lines


def _ack_lines(rt: Runtime, session: Session, incident: Incident, moment: Moment) -> list[str]:
    watch = watch_of(session, incident.id)
    if watch is None:
        return []
    if watch.state == "released" and incident.status == "open" and watch.reason:
        return [f":rewind: Un-acknowledged: {watch.reason}."]
    due = due_of(rt, session, incident, watch)
    if due is None:
        return []
    # The triage channel reads times in the on-shift region's zone, as the SLA clocks do.
    at = local_time(due.at, moment.zone)
    if due.stage == "remind":
        return [f":hourglass_flowing_sand: Ack by <@{watch.owner}> expires {at} without progress"]
    return [f":hourglass: Ack by <@{watch.owner}> expired; released {at} unless there is progress"]


def attention_blocks(
    rt: Runtime, session: Session, incident: Incident, moment: Moment
) -> list[kit.Block]:
    lines = attention_lines(rt, session, incident, moment)
    if not lines:
        return []
    return [kit.context(lines)]
