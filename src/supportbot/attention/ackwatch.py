"""Ack and forget: an acknowledgement that sees no progress is reminded, then released.

Every change to an incident (``desk.change.run_in``) calls :func:`follow`, which starts the
watch when the incident becomes acknowledged and owes the one job of the incident
(``ack-watch-INC-n``) for the instant owed next; a later change owes it again for its new
instant (replacing the job). The job re-reads the row and the timeline, so a note added since
only moves the instant: a run before it does nothing but owe itself again (never early), and
the reconciler re-drives a lost job (:func:`redrive`).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot import metrics
from supportbot.attention.release import release
from supportbot.db.attention import AckWatch
from supportbot.db.claims import claim
from supportbot.db.models import Incident, Page
from supportbot.delivery import effects, job_ids
from supportbot.delivery.effects import owe_sync
from supportbot.delivery.kinds import ACK_WATCH
from supportbot.incidents.progress import no_progress_beyond, progress_count
from supportbot.incidents.timeline import add_event
from supportbot.oncall import lookup
from supportbot.oncall.ack_state import WATCHED, due_of, rule_for, watch_of
from supportbot.paging.owed import owe_send
from supportbot.runtime import Runtime, get_runtime
from supportbot.slack.notify import notify
from supportbot.wording import local_time

log = logging.getLogger(__name__)

_SLACK_USER = re.compile(r"[UW][A-Z0-9]{2,}")
GRACE = timedelta(seconds=5)  # a watch this far past due has lost its job
REMINDER_STEP = -2  # Page.step_index of a reminder SMS (no escalation step)


def follow(session: Session, rt: Runtime, incident: Incident, actor: str) -> None:
    """Start, move or end the incident's watch after a change, and owe its job."""
    watch = watch_of(session, incident.id)
    now = rt.now()
    # Only a person can be reminded: an integration re-opening an incident it raised is not.
    person = actor if _SLACK_USER.fullmatch(actor) else None
    kept = watch.owner if watch is not None and watch.state == "watching" else None
    owner = incident.assignee or person or kept
    if owner and incident.status in WATCHED and rule_for(rt, incident.severity) is not None:
        if watch is None:
            watch = AckWatch(
                incident_id=incident.id, owner=owner, acked_at=now, state="watching", updated_at=now
            )
            session.add(watch)
        elif watch.state != "watching":  # acknowledged again after a release or a wait
            watch.owner, watch.acked_at, watch.state = owner, now, "watching"
            watch.reminded_at = watch.released_at = watch.reason = None
        watch.owner, watch.updated_at = owner, now
        session.flush()
        due = due_of(rt, session, incident, watch)
        if due is not None:
            _owe(session, incident.id, due.at)
    elif watch is not None and watch.state == "watching":
        watch.state, watch.updated_at = "ended", now
        effects.cancel(session, ACK_WATCH, job_ids.ack_watch(incident.id))


def _owe(session: Session, incident_id: int, at: datetime) -> None:
    effects.owe_at(session, at, ACK_WATCH, incident_id, job_id=job_ids.ack_watch(incident_id))


@ACK_WATCH.runs
def ack_watch(incident_id: int) -> str:
    return run(get_runtime(), incident_id)


def run(rt: Runtime, incident_id: int) -> str:
    """Remind or release if owed now; returns what happened, for logs and tests."""
    with rt.session() as session:
        # Lock the incident first, as every change does, so a note and this job serialise.
        incident = session.get(Incident, incident_id, with_for_update=True)
        watch = watch_of(session, incident_id)
        if incident is None or watch is None or watch.state != "watching":
            return "stale"
        # Counted before deciding, and required unchanged by the claim below: on SQLite these
        # reads take no lock, so a note another process commits after them must void the claim.
        seen = progress_count(session, incident_id, watch.acked_at)
        still = (no_progress_beyond(incident_id, watch.acked_at, seen),)
        due = due_of(rt, session, incident, watch)
        if due is None:
            return "stale"
        now = rt.now()
        if due.at > now:
            # Never early: a run before the instant (RQ counts whole seconds, or progress
            # moved it) only owes the job again for that instant.
            _owe(session, incident_id, due.at)
            return "early"
        if due.stage == "remind":
            if not claim(session, AckWatch, watch.id, watch.reminded_at, field="reminded_at",
                         unless_changed=still, reminded_at=now, updated_at=now):  # fmt: skip
                return "stale"
            session.refresh(watch)
            _remind(session, rt, incident, watch, now)
            outcome = "reminded"
        else:
            if not claim(session, AckWatch, watch.id, "watching", unless_changed=still,
                         state="released", released_at=now, updated_at=now):  # fmt: skip
                return "stale"
            session.refresh(watch)
            release(session, rt, incident, watch, now)
            outcome = "released"
        following = due_of(rt, session, incident, watch)
        if following is not None:
            _owe(session, incident_id, following.at)
        owe_sync(session, incident_id)
    metrics.ESCALATION_STEPS.labels(f"ack_{outcome}").inc()
    return outcome


def _zone_of(
    rt: Runtime, session: Session, slack_id: str, incident: Incident, now: datetime
) -> ZoneInfo:
    """A DM reads in its reader's own zone, when the rotation files give one."""
    found = lookup.resolver(rt)
    person = lookup.person_by_slack(found, slack_id) if found is not None else None
    if person is not None and person.time_zone:
        return ZoneInfo(person.time_zone)
    return lookup.display_zone(rt, session, now, incident.customer)


def _remind(
    session: Session, rt: Runtime, incident: Incident, watch: AckWatch, now: datetime
) -> None:
    rule = rule_for(rt, incident.severity)
    assert rule is not None  # due_of found one under the same lock
    release_at = now + rule.grace
    zone = _zone_of(rt, session, watch.owner, incident, now)
    minutes = int(rule.after.total_seconds() // 60)
    text = (
        f":hourglass: {incident.key}: your acknowledgement has had no progress for {minutes} min. "
        f"Post a note, a reply or a status change, or it is released to the escalation policy "
        f"at {local_time(release_at, zone)}."
    )
    notify(session, rt, incident, watch.owner, "ack_expiry", text)
    sms = ""
    if incident.severity == 1:
        sms = _remind_by_sms(session, rt, incident, watch.owner, release_at, now)
    add_event(
        session,
        rt,
        incident,
        "supportbot",
        "ack_reminder",
        f":hourglass: Acknowledgement by <@{watch.owner}> expired: no progress for {minutes} "
        f"min. Reminded by DM{sms}; released at "
        f"{local_time(release_at, lookup.display_zone(rt, session, now, incident.customer))} "
        "unless someone makes progress.",
    )


def _remind_by_sms(
    session: Session,
    rt: Runtime,
    incident: Incident,
    owner: str,
    release_at: datetime,
    now: datetime,
) -> str:
    """An SMS through the paging outbox (throttled, retried, never dropped); what to say."""
    found = lookup.resolver(rt)
    person = lookup.person_by_slack(found, owner) if found is not None else None
    if person is None:
        return " (no SMS: not on the rotation, so no phone number)"
    zone = ZoneInfo(person.time_zone or "UTC")  # read on the phone: the person's own clock
    page = Page(
        escalation_id=None,
        incident_id=incident.id,
        step_index=REMINDER_STEP,
        person=person.key,
        slack_user=person.slack,
        to_number=person.phone,
        channel="sms",
        body=(
            f"SEV1 {incident.key}: your ack has had no progress. Post an update or it is "
            f"released at {release_at.astimezone(zone):%H:%M %Z}."
        ),
        state="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(page)
    session.flush()
    owe_send(session, page.id)
    return " and SMS"


def redrive(rt: Runtime) -> int:
    """Redriver: watches whose reminder or release is past due (their job was lost)."""
    now = rt.now()
    count = 0
    with rt.session() as session:
        rows = session.execute(
            select(AckWatch, Incident)
            .join(Incident, Incident.id == AckWatch.incident_id)
            .where(AckWatch.state == "watching", Incident.status.in_(WATCHED))
        ).all()
        for watch, incident in rows:
            due = due_of(rt, session, incident, watch)
            if due is not None and due.at <= now - GRACE:
                effects.owe(session, ACK_WATCH, incident.id, job_id=job_ids.ack_watch(incident.id))
                count += 1
    return count
