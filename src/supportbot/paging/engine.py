"""Running an escalation policy: each step pages whoever holds its targets now.

A step job carries (escalation id, step index) and does nothing unless that step is the one
owed; acknowledging from any channel moves the episode out of ``active``, so every later
step job is stale. A step that reaches nobody says so in Slack and moves straight on.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from supportbot import metrics
from supportbot.db.claims import claim
from supportbot.db.models import Escalation, InboundNumber, Incident, Page
from supportbot.delivery.effects import owe_sync
from supportbot.delivery.kinds import PAGE_MANUAL_ESCALATION, PAGE_STEP
from supportbot.incidents.lifecycle import LEVEL_NAMES
from supportbot.incidents.timeline import add_event
from supportbot.oncall import EscalationPolicy, Person, Target, step_at, total_steps
from supportbot.oncall.quiet import contact_plan
from supportbot.paging.owed import owe_send, owe_step
from supportbot.paging.targets import reach
from supportbot.runtime import Runtime, get_runtime
from supportbot.slack.notify import warn_triage
from supportbot.wording import plain

log = logging.getLogger(__name__)


def page_text(incident: Incident, code: str, customer: str | None) -> str:
    whose = f" {plain(customer)}:" if customer else ":"
    head = f"SEV{incident.severity} {incident.key}{whose} {plain(incident.title)[:90]}."
    return f"{head} Reply {code} to acknowledge."


def create_pages(
    session: Session,
    rt: Runtime,
    incident: Incident,
    people: tuple[Person, ...],
    *,
    escalation: Escalation | None,
    step: int,
    now: datetime,
) -> int:
    """An SMS and a call to each person, sent once the transaction commits; how many."""
    customer = rt.contracts.by_key(incident.customer) if incident.customer else None
    code = escalation.ack_code if escalation else ""
    body = page_text(incident, code, customer.name if customer else None)
    if escalation is None:
        body = body.replace(f" Reply {code} to acknowledge.", "")
    rows = []
    for person in people:
        # Each person's contact methods in order (default: SMS and a call at once); a later
        # method waits its delay, and an acknowledgement meanwhile cancels it.
        for channel, number, delay in contact_plan(person):
            rows.append(
                Page(
                    escalation_id=escalation.id if escalation else None,
                    incident_id=incident.id,
                    step_index=step,
                    person=person.key,
                    slack_user=person.slack,
                    to_number=number,
                    channel=channel,
                    body=body,
                    state="pending",
                    attempts=0,
                    next_attempt_at=now + delay,
                    created_at=now,
                    updated_at=now,
                )
            )
    session.add_all(rows)
    # A new page re-opens the conversation: loop protection starts counting afresh.
    session.execute(
        update(InboundNumber)
        .where(InboundNumber.number.in_({row.to_number for row in rows}))
        .values(unrecognised_replies=0)
    )
    session.flush()
    for row in rows:
        owe_send(session, row.id, at=row.next_attempt_at if row.next_attempt_at > now else None)
    return len(rows)


@PAGE_STEP.runs
def page_step(escalation_id: int, index: int) -> str:
    return run_step(get_runtime(), escalation_id, index)


def run_step(rt: Runtime, escalation_id: int, index: int) -> str:
    with rt.session() as session:
        escalation = session.scalar(
            select(Escalation).where(Escalation.id == escalation_id).with_for_update()
        )
        if escalation is None or escalation.state != "active" or escalation.step_index != index:
            return "stale"
        now = rt.now()
        due = escalation.next_step_at or now
        if due > now:
            # Never early (as SLA timers): a run before the step's instant only owes it again.
            owe_step(session, escalation_id, index, at=due)
            outcome = "early"
        else:
            # The step index moves only by compare-and-set: one worker runs each step.
            if not claim(
                session,
                Escalation,
                escalation_id,
                index,
                field="step_index",
                step_index=index + 1,
            ):
                return "stale"
            session.refresh(escalation)
            if escalation.state != "active":
                return "stale"
            incident = session.get_one(Incident, escalation.incident_id)
            outcome = _step(session, rt, incident, escalation, index, now)
            owe_sync(session, incident.id)
    if outcome != "early":
        metrics.ESCALATION_STEPS.labels(outcome).inc()
    return outcome


def _step(
    session: Session,
    rt: Runtime,
    incident: Incident,
    escalation: Escalation,
    index: int,
    now: datetime,
) -> str:
    policy = EscalationPolicy.model_validate_json(escalation.policy)
    total = total_steps(policy)
    if index >= total:
        escalation.state, escalation.next_step_at = "exhausted", None
        text = (
            f":sos: {incident.key}: nobody acknowledged the Sev1 page after {total} steps. "
            "Page someone by hand; the SLA escalation continues."
        )
        warn_triage(session, rt, incident, "paging", text)
        log.error("%s: paging exhausted without an acknowledgement", incident.key)
        return "exhausted"
    step = step_at(policy, index)
    reached_anyone = False
    seen: set[str] = set()
    for target in step.targets:
        reached = reach(rt, session, incident, target, now)
        people = tuple(p for p in reached.people if p.key not in seen)
        seen.update(p.key for p in people)
        if reached.people:
            reached_anyone = True
            if target.level == "L1":  # the region paging it (paging/repage.py follows it)
                escalation.region = reached.region or escalation.region
        if people:
            names = ", ".join(p.label for p in people)
            add_event(
                session,
                rt,
                incident,
                "supportbot",
                "paged",
                f":pager: Step {index + 1}: paging {names} ({_target(target)}) by SMS "
                f"and call{' (dry run)' if rt.pager.dry_run else ''}.",
            )
            create_pages(session, rt, incident, people, escalation=escalation, step=index, now=now)
        elif not reached.people:
            text = (
                f":warning: {incident.key} step {index + 1}: nobody to page for "
                f"{_target(target)} ({reached.reason}); moving straight on."
            )
            warn_triage(session, rt, incident, "paging", text)
            metrics.PAGE_UNREACHABLE.labels(str(target)).inc()
            log.error("%s: %s", incident.key, text)
    escalation.step_index = index + 1
    if index + 1 < total:
        following = step_at(policy, index + 1)
        due = escalation.started_at + following.delay_from_start
    else:
        due = now + policy.repeat_after  # then the episode is declared exhausted
    # A step that reached nobody does not wait out its delay.
    escalation.next_step_at = max(due, now) if reached_anyone else now
    owe_step(session, escalation.id, index + 1, at=escalation.next_step_at)
    return "paged" if reached_anyone else "nobody"


def _target(target: Target) -> str:
    if target.level == "management":
        return "management"
    return f"{LEVEL_NAMES[target.level]} {target.slot}"


def escalate_now(
    rt: Runtime, incident: Incident, session: Session, *, seen_step: int, by: str
) -> str:
    """Keypress 2 on a call: run the next step now, once, whoever else asked at the same time.

    ``seen_step`` is the step the caller was paged by; the request succeeds only if the
    episode is still waiting for the step after it.
    """
    escalation = session.scalar(
        select(Escalation)
        .where(Escalation.incident_id == incident.id)
        .order_by(Escalation.id.desc())
        .limit(1)
        .with_for_update()
    )
    if escalation is not None and escalation.state == "exhausted":
        return "no further step"  # its pages are still owed: paging has not stopped
    if escalation is None or escalation.state != "active":
        return "not paging any more"
    if escalation.step_index != seen_step + 1:
        return "already moved on"
    policy = EscalationPolicy.model_validate_json(escalation.policy)
    if escalation.step_index >= total_steps(policy):
        # Only the exhaustion is owed: running it now would page nobody.
        return "no further step"
    escalation.next_step_at = rt.now()
    add_event(
        session,
        rt,
        incident,
        by,
        "paging",
        f":arrow_up: <@{by}> asked to escalate now (from the phone).",
    )
    owe_step(session, escalation.id, escalation.step_index)
    return "escalating"


@PAGE_MANUAL_ESCALATION.runs
def page_manual_escalation(incident_id: int, level: str, by: str) -> str:
    return manual_escalation(get_runtime(), incident_id, level, by)


def manual_escalation(rt: Runtime, incident_id: int, level: str, by: str) -> str:
    """A person escalated a Sev1 by hand: page the new level now, and record who asked."""
    paged = 0
    with rt.session() as session:
        incident = session.get_one(Incident, incident_id)
        if incident.level != level or incident.status in ("resolved", "closed"):
            return "stale"
        now = rt.now()
        if level == "MGMT":
            target = Target(level="management", slot="all")
        else:
            target = Target(level=level, slot="all")  # type: ignore[arg-type]
        reached = reach(rt, session, incident, target, now)
        latest = session.scalar(
            select(Escalation)
            .where(Escalation.incident_id == incident.id)
            .order_by(Escalation.id.desc())
            .limit(1)
        )
        if reached.people:
            names = ", ".join(p.label for p in reached.people)
            add_event(
                session,
                rt,
                incident,
                by,
                "paged",
                f":pager: <@{by}> escalated by hand: paging {names} ({LEVEL_NAMES[level]}).",
            )
            paged = create_pages(
                session,
                rt,
                incident,
                reached.people,
                escalation=latest if latest is not None and latest.state == "active" else None,
                step=-1,
                now=now,
            )
        else:
            text = (
                f":warning: {incident.key}: manual escalation to {LEVEL_NAMES[level]} "
                f"reached nobody ({reached.reason})."
            )
            warn_triage(session, rt, incident, "paging", text)
        owe_sync(session, incident_id)
    return "paged" if paged else "nobody"
