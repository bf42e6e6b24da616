"""Summaries of an alert group's changes in its incident's thread, at most one an interval.

A delivery that changes alerts (one new, one resolved, one firing again) marks them
unreported and owes an ``ALERT_SUMMARY`` job: now if the thread had no summary within the
integration's ``summary_interval``, else when the interval ends. The job names what changed
(ten of each kind, the rest counted) and, when new alerts joined a Severity 1 nobody has
acknowledged, pages again. A storm of ten thousand alerts makes a few posts, not ten
thousand. The job id is per incident and interval, so owing it again replaces it; the
redriver finds unreported alerts whose job was lost.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from supportbot.alerts import registry, rules
from supportbot.db.models import Alert, AlertGroup, Incident
from supportbot.delivery import effects, job_ids
from supportbot.delivery.effects import owe_sync
from supportbot.delivery.kinds import ALERT_SUMMARY
from supportbot.incidents.timeline import add_event
from supportbot.paging.repage import repage_now
from supportbot.runtime import Runtime, get_runtime

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = timedelta(seconds=60)
EARLY_TOLERANCE = timedelta(seconds=2)
GRACE = timedelta(seconds=10)  # younger changes are probably still owed a queued job


def lock_group(session: Session, group_id: int) -> AlertGroup | None:
    """Take the group's lock (a row lock on PostgreSQL; SQLite writes one at a time)."""
    session.execute(
        update(AlertGroup).where(AlertGroup.id == group_id).values(version=AlertGroup.version + 1)
    )
    return session.get(AlertGroup, group_id, populate_existing=True)


def _interval(rt: Runtime, group: AlertGroup) -> timedelta:
    found = registry.find(rt, group.integration)
    return found.summary_interval if found else DEFAULT_INTERVAL


def owe_summary(session: Session, rt: Runtime, group: AlertGroup, now: datetime) -> None:
    """Owe the group's next summary: now, or when the current interval ends."""
    if group.incident_id is None:
        return
    interval = _interval(rt, group)
    due = now
    if group.summary_at is not None and group.summary_at + interval > now:
        due = group.summary_at + interval
    number = int(due.timestamp() // interval.total_seconds())
    job = job_ids.alert_summary(group.incident_id, number)
    if due <= now:
        effects.owe(session, ALERT_SUMMARY, group.id, job_id=job)
    else:
        effects.owe_at(session, due, ALERT_SUMMARY, group.id, job_id=job)


@ALERT_SUMMARY.runs
def alert_summary(group_id: int) -> str:
    return run_summary(get_runtime(), group_id)


_UNREPORTED = or_(Alert.reported.is_(None), Alert.reported != Alert.status)


def run_summary(rt: Runtime, group_id: int) -> str:
    with rt.session() as session:
        group = lock_group(session, group_id)
        if group is None or group.incident_id is None:
            return "stale"
        now = rt.now()
        interval = _interval(rt, group)
        if group.summary_at is not None and group.summary_at + interval > now + EARLY_TOLERANCE:
            owe_summary(session, rt, group, now)  # never early
            return "early"
        incident = session.get_one(Incident, group.incident_id)
        mine = Alert.incident_id == incident.id
        counts: dict[str, int] = {}
        for status, reported, n in session.execute(
            select(Alert.status, Alert.reported, func.count())
            .where(mine, _UNREPORTED)
            .group_by(Alert.status, Alert.reported)
        ):
            name = rules.category(status, reported)
            if name:
                counts[name] = counts.get(name, 0) + n
        if not counts:
            return "nothing"
        text = rules.summary_text(counts, _examples(session, incident.id), *_totals(session, mine))
        add_event(session, rt, incident, f"alerts:{group.integration}", "alerts", text)
        session.execute(
            update(Alert).where(mine, _UNREPORTED).values(reported=Alert.status)
            .execution_options(synchronize_session=False)
        )  # fmt: skip
        group.summary_at = now
        if counts.get("new") and _may_page(rt, group, now):
            reason = f"{counts['new']} new alert(s) joined {incident.key}, still unacknowledged"
            repage_now(session, rt, incident, reason)
        owe_sync(session, incident.id)
    return "posted"


def _examples(session: Session, incident_id: int) -> dict[str, list[tuple[int, str]]]:
    found: dict[str, list[tuple[int, str]]] = {}
    conditions = {
        "new": (Alert.status == "firing") & Alert.reported.is_(None),
        "again": (Alert.status == "firing") & (Alert.reported == "resolved"),
        "resolved": (Alert.status == "resolved") & _UNREPORTED,
    }
    for name, condition in conditions.items():
        rows = session.execute(
            select(Alert.severity, Alert.summary)
            .where(Alert.incident_id == incident_id, condition)
            .order_by(Alert.severity, Alert.id)
            .limit(rules.SHOWN_IN_SUMMARY)
        )
        found[name] = [(sev, text) for sev, text in rows]
    return found


def _totals(session: Session, mine: object) -> tuple[int, int]:
    query = select(Alert.status, func.count()).where(mine).group_by(Alert.status)  # type: ignore[arg-type]
    by_status = {status: int(n) for status, n in session.execute(query)}
    return by_status.get("firing", 0), by_status.get("resolved", 0)


def _may_page(rt: Runtime, group: AlertGroup, now: datetime) -> bool:
    found = registry.find(rt, group.integration)
    catalogue = registry.integrations(rt)
    return found is not None and found.may_page and catalogue.maintenance_at(found, now) is None


def redrive(rt: Runtime) -> int:
    """Redriver: groups whose incident has alerts the thread has not been told about."""
    cutoff = rt.now() - GRACE
    with rt.session() as session:
        incident_ids = set(
            session.scalars(
                select(Alert.incident_id).where(
                    Alert.incident_id.is_not(None), _UNREPORTED, Alert.changed_at <= cutoff
                )
            )
        )
        groups = session.scalars(
            select(AlertGroup).where(AlertGroup.incident_id.in_(incident_ids))
        ).all() if incident_ids else []  # fmt: skip
        for group in groups:
            owe_summary(session, rt, group, rt.now())
    if groups:
        log.info("reconciler re-queued alert summaries for %d group(s)", len(groups))
    return len(groups)
