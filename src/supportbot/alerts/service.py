"""Storing a delivery of alerts and keeping its incident in step, in one transaction.

- The group is locked first (:func:`summary.lock_group`), so concurrent deliveries of one
  group (a storm, a retry) run one at a time and open one incident.
- Each alert is a row per (group, fingerprint). A repeat changes nothing and pages nobody.
- An alert that starts firing (new, or again) with no open incident for the group opens one;
  within the hold-down after the incident was resolved, it re-opens that incident instead.
- Joining an open incident, it is owed a line in the next thread summary (which pages again
  if the incident is unacknowledged), and a more severe one raises the incident's severity.
- When the last firing alert of an incident resolves, the integration resolves it (or only
  says so, with ``auto_resolve: note``).
- Inside a maintenance window, or for an integration with ``may_page: false``, all of this
  happens and nobody is paged.

The caller answers the sender once this commits; Slack and paging work is queued after.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from supportbot.alerts import registry, rules
from supportbot.alerts.integrations import Integration, Window
from supportbot.alerts.payloads import AlertIn, Batch
from supportbot.alerts.summary import lock_group, owe_summary
from supportbot.db.models import Alert, AlertGroup, Incident
from supportbot.desk import alerting
from supportbot.desk.intake import new_incident, record_opening
from supportbot.incidents.access import Actor
from supportbot.incidents.lifecycle import ACTIVE, Status
from supportbot.incidents.timeline import add_event
from supportbot.runtime import Runtime
from supportbot.wording import inert

log = logging.getLogger(__name__)

CHUNK = 500  # fingerprints per IN (...) query


@dataclass(frozen=True)
class Outcome:
    stored: int
    action: str  # opened | reopened | updated | resolved | noted | unchanged | recorded
    incident: str | None
    maintenance: str | None


@dataclass
class _Delta:
    rows: list[Alert]  # this delivery's alerts, stored
    rising: list[Alert]  # started firing: new, or firing again
    falling: list[Alert]  # stopped firing


def receive(rt: Runtime, integration: Integration, batch: Batch) -> Outcome:
    now = rt.now()
    window = registry.integrations(rt).maintenance_at(integration, now)
    page = integration.may_page and window is None
    with rt.session() as session:
        group = _group(session, integration.key, batch.group_key, now)
        delta = _store(session, integration, group, batch, now)
        action, incident_id = _route(session, rt, integration, group, batch, delta, page, window)
    return Outcome(
        stored=len(delta.rows),
        action=action,
        incident=f"INC-{incident_id}" if incident_id else None,
        maintenance=window.reason if window else None,
    )


def _group(session: Session, integration: str, key: str, now: datetime) -> AlertGroup:
    digest = hashlib.sha256(key.encode()).hexdigest()
    query = select(AlertGroup.id).where(
        AlertGroup.integration == integration, AlertGroup.key_sha256 == digest
    )
    found = session.scalar(query)
    if found is None:
        try:
            with session.begin_nested():
                row = AlertGroup(integration=integration, key_sha256=digest, group_key=key,
                                 version=0, created_at=now, updated_at=now)  # fmt: skip
                session.add(row)
        except IntegrityError:  # another delivery of the same new group got there first
            found = session.scalar(query)
        else:
            found = row.id
    assert found is not None
    group = lock_group(session, found)
    assert group is not None
    return group


def _store(
    session: Session, integration: Integration, group: AlertGroup, batch: Batch, now: datetime
) -> _Delta:
    latest = {alert.fingerprint: alert for alert in batch.alerts}  # the last one wins
    known: dict[str, Alert] = {}
    prints = list(latest)
    for start in range(0, len(prints), CHUNK):
        chunk = prints[start : start + CHUNK]
        query = select(Alert).where(Alert.group_id == group.id, Alert.fingerprint.in_(chunk))
        known.update((row.fingerprint, row) for row in session.scalars(query))
    delta = _Delta([], [], [])
    fresh = []
    for fingerprint, alert in latest.items():
        row = known.get(fingerprint)
        if row is None:
            row = _new_row(integration, group, alert, now)
            fresh.append(row)
            if alert.firing:
                delta.rising.append(row)
        elif _stale(alert, row):
            log.info("ignored a late copy of alert %s: it %s before its last change", fingerprint,
                     "started" if alert.firing else "ended")  # fmt: skip
        elif alert.firing and row.status == "resolved":
            row.status, row.changed_at, row.ends_at = "firing", now, None
            row.starts_at, row.fired_count = alert.starts_at, row.fired_count + 1
            delta.rising.append(row)
        elif not alert.firing and row.status == "firing":
            row.status, row.changed_at, row.ends_at = "resolved", now, alert.ends_at or now
            delta.falling.append(row)
        delta.rows.append(row)
    session.add_all(fresh)
    if batch.group_resolved:
        delta.falling += _resolve_the_rest(session, group, batch, set(latest), now)
    session.flush()
    return delta


def _resolve_the_rest(
    session: Session, group: AlertGroup, batch: Batch, listed: set[str], now: datetime
) -> list[Alert]:
    """A group resolved as a whole resolves its firing alerts that the body left out: cut by
    the receiver's ``max_alerts`` in a storm, they were never resolved, and the incident
    never resolved with them. One that started after the notification's last end is newer
    than what it reports (a late copy), and keeps firing."""
    ends = [alert.ends_at for alert in batch.alerts if alert.ends_at is not None]
    cutoff = max(ends, default=now)
    query = select(Alert).where(Alert.group_id == group.id, Alert.status == "firing")
    resolved = []
    for row in session.scalars(query):
        if row.fingerprint in listed or row.starts_at > cutoff:
            continue
        row.status, row.changed_at, row.ends_at = "resolved", now, cutoff
        resolved.append(row)
    return resolved


def _stale(alert: AlertIn, row: Alert) -> bool:
    """A notification older than what is recorded: a firing that started before the alert's
    recorded resolution, or a resolution that ended before its recorded (re)start. Each
    Alertmanager of an HA pair sends its own copy, and a retry can arrive late; acting on
    one reopened a resolved incident (and paged) that no later notification would close."""
    if alert.firing and row.status == "resolved" and row.ends_at is not None:
        return alert.starts_at < row.ends_at
    if not alert.firing and row.status == "firing" and alert.ends_at is not None:
        return alert.ends_at < row.starts_at
    return False


def _new_row(integration: Integration, group: AlertGroup, alert: AlertIn, now: datetime) -> Alert:
    return Alert(
        group_id=group.id,
        fingerprint=alert.fingerprint,
        status="firing" if alert.firing else "resolved",
        reported=None,
        severity=rules.severity_of(integration, alert),
        summary=rules.alert_summary(alert),
        labels=json.dumps(alert.labels, sort_keys=True),
        annotations=json.dumps(alert.annotations, sort_keys=True),
        generator_url=rules.safe_url(alert.generator_url),
        runbook_url=rules.runbook(alert),
        starts_at=alert.starts_at,
        ends_at=alert.ends_at or (None if alert.firing else now),
        fired_count=1 if alert.firing else 0,
        first_seen_at=now,
        changed_at=now,
    )


# long: the decision table of a delivery, read top to bottom
def _route(
    session: Session,
    rt: Runtime,
    integration: Integration,
    group: AlertGroup,
    batch: Batch,
    delta: _Delta,
    page: bool,
    window: Window | None,
) -> tuple[str, int | None]:
    now, actor = rt.now(), Actor.integration(integration.key)
    # Locked before anything is decided from its status: a person resolving it at the same
    # instant otherwise made this resolve it again ("cannot move from resolved to resolved").
    incident = (
        session.get(Incident, group.incident_id, with_for_update=True, populate_existing=True)
        if group.incident_id
        else None
    )
    if delta.rising and _needs_new(incident, integration, now):
        return "opened", _open(session, rt, integration, group, batch, delta, page, window)
    if incident is None:
        return "recorded", None
    action = "unchanged"
    if delta.rising and incident.status == Status.RESOLVED.value:
        for row in delta.rising:
            row.incident_id, row.reported = incident.id, "firing"
        names = ", ".join(inert(r.summary) for r in delta.rising[: rules.SHOWN_IN_SUMMARY])
        text = f"firing again within the {_span(integration)} hold-down: {names}"
        alerting.reopen(session, rt, incident, actor, text, page=page)
        action = "reopened"
    elif delta.rising:
        for row in delta.rising:
            row.incident_id = incident.id
        action = "updated"
    if delta.rising:  # re-opened or not, a more severe alert raises it (and a Sev1 pages)
        worst = min(delta.rising, key=lambda r: r.severity)
        because = f"alert {inert(worst.summary)}"
        alerting.raise_severity(session, rt, incident, actor, worst.severity, because=because,
                                page=page)  # fmt: skip
    mine = [r for r in delta.falling if r.incident_id == incident.id]
    if delta.rising or mine:
        session.flush()
        owe_summary(session, rt, group, now)
        action = "updated" if action == "unchanged" else action
    if mine and Status(incident.status) in ACTIVE and not _firing_left(session, incident.id):
        action = _all_resolved(session, rt, integration, incident, actor)
    return action, incident.id


def _needs_new(incident: Incident | None, integration: Integration, now: datetime) -> bool:
    if incident is None or incident.status == Status.CLOSED.value:
        return True
    if incident.status != Status.RESOLVED.value:
        return False
    return not rules.in_hold_down(incident.resolved_at, integration, now)


def _open(
    session: Session,
    rt: Runtime,
    integration: Integration,
    group: AlertGroup,
    batch: Batch,
    delta: _Delta,
    page: bool,
    window: Window | None,
) -> int:
    firing = [r for r in delta.rows if r.status == "firing"]
    firing_in = [a for a in batch.alerts if a.firing]
    customer = rt.contracts.by_key(integration.customer) if integration.customer else None
    incident, suggested = new_incident(
        rt,
        title=rules.title(batch, firing_in),
        severity=min(r.severity for r in firing),
        reporter=Actor.integration(integration.key).user_id,
        customer=customer,
        description=rules.description(integration, batch, firing_in),
        card_channel=integration.triage_channel,
    )
    record_opening(session, rt, incident, customer, via=integration.name, suggested=suggested,
                   page=page)  # fmt: skip
    if group.incident_id is not None:  # the group's earlier incident: its thread is done
        session.execute(
            update(Alert).where(Alert.incident_id == group.incident_id)
            .values(reported=Alert.status).execution_options(synchronize_session=False)
        )  # fmt: skip
    group.incident_id, group.summary_at, group.updated_at = incident.id, None, rt.now()
    for row in firing:
        row.incident_id, row.reported = incident.id, "firing"
    reason = _not_paged(integration, window, incident.severity)
    if reason:  # the incident is new: a plain event, with no change to authorise
        add_event(session, rt, incident, incident.reporter, "alerts", reason)
    return incident.id


def _not_paged(integration: Integration, window: Window | None, severity: int) -> str | None:
    if window is not None:
        return (
            f":construction: Inside the maintenance window “{inert(window.reason)}” until "
            f"{window.end:%Y-%m-%d %H:%M} UTC: recorded, nobody is paged."
        )
    if not integration.may_page and severity == 1:
        return f":no_bell: {inert(integration.name)} does not page (may_page: false)."
    return None


def _firing_left(session: Session, incident_id: int) -> int:
    query = select(func.count()).where(Alert.incident_id == incident_id, Alert.status == "firing")
    return int(session.scalar(query) or 0)


def _all_resolved(
    session: Session, rt: Runtime, integration: Integration, incident: Incident, actor: Actor
) -> str:
    total = session.scalar(select(func.count()).where(Alert.incident_id == incident.id)) or 0
    session.execute(
        update(Alert).where(Alert.incident_id == incident.id).values(reported=Alert.status)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    text = f"All {total} alert(s) resolved in {inert(integration.name)}"
    if integration.auto_resolve == "resolve":
        alerting.resolve(session, rt, incident, actor, text + ".")
        return "resolved"
    text = f":white_check_mark: {text}; resolve the incident when done."
    alerting.note(session, rt, incident, actor, text)
    return "noted"


def _span(integration: Integration) -> str:
    minutes = int(integration.hold_down.total_seconds() // 60)
    return f"{minutes}-minute" if minutes else f"{int(integration.hold_down.total_seconds())}s"
