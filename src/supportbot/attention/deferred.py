"""Quiet hours and the contract's clock for pages below Severity 1 (issue 13).

A Severity 1 always pages. A lower severity outside the contract's clock (the customer's
business hours, where its Severity 2 response runs on them) waits for the clock to open; one
whose people are all in their quiet hours waits for the first of them to wake or for the
level's next shift to start, and then goes to whoever holds the target at that instant. When
only some are asleep, it goes to the others now. Either way the decision is a row
(:class:`~supportbot.db.attention.DeferredPage`), shown on the card with which and why, and
a held page is a scheduled job re-driven by the reconciler, never sent early.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from supportbot.db.attention import DeferredPage
from supportbot.db.claims import claim
from supportbot.db.models import Incident
from supportbot.delivery import effects, job_ids
from supportbot.delivery.effects import owe_sync
from supportbot.delivery.kinds import DEFERRED_PAGE
from supportbot.delivery.overdue import redrive_overdue
from supportbot.hours.calendar import BusinessCalendar
from supportbot.incidents.timeline import add_event
from supportbot.oncall import Person, lookup
from supportbot.oncall.quiet import is_quiet, quiet_end
from supportbot.paging import episodes
from supportbot.paging.engine import create_pages
from supportbot.runtime import Runtime, get_runtime
from supportbot.sla.deadlines import compute_deadlines
from supportbot.wording import local_time

GRACE = timedelta(seconds=5)


@dataclass(frozen=True)
class Decision:
    now: tuple[Person, ...]  # page these at once
    skipped: tuple[Person, ...]  # asleep: left out
    hold_until: datetime | None  # nobody now: wait until then
    why: str  # what the card and the timeline say


def contract_opens(rt: Runtime, incident: Incident, at: datetime) -> tuple[datetime, str] | None:
    """When the contract's clock for this severity opens, if it is closed at ``at``."""
    customer = rt.contracts.by_key(incident.customer) if incident.customer else None
    if customer is None:
        return None
    deadlines = compute_deadlines(
        at, customer.tier, incident.severity, customer.coverage, customer.calendar(), customer.sla
    )
    basis = deadlines.response.basis
    if not isinstance(basis, BusinessCalendar) or basis.is_open(at):
        return None
    return basis.next_opening(at), f"outside {customer.name}'s {basis.describe()}"


def decide(
    rt: Runtime,
    session: Session,
    incident: Incident,
    people: tuple[Person, ...],
    level: str,
    at: datetime,
) -> Decision:
    """Whom to page now for ``people`` (the holders of ``level`` or a chosen person)."""
    if incident.severity == 1 or not people:
        return Decision(people, (), None, "")
    zone = lookup.display_zone(rt, session, at, incident.customer)
    closed = contract_opens(rt, incident, at)
    if closed is not None:
        opens, why = closed
        return Decision((), (), opens, f"{why}; it waits until {local_time(opens, zone)}")
    awake = tuple(p for p in people if not is_quiet(p, at))
    asleep = tuple(p for p in people if is_quiet(p, at))
    if awake:
        why = f"{_names(asleep)} in quiet hours, so it went to {_names(awake)}" if asleep else ""
        return Decision(awake, asleep, None, why)
    wakes = min(quiet_end(p, at) for p in asleep)
    answer = lookup.on_call(rt, session, level, at) if level != "MGMT" else None
    shift = answer.shift_end if answer is not None and answer.shift_end > at else wakes
    until = min(wakes, shift)
    then = "the next shift starts" if shift < wakes else "someone wakes"
    return Decision(
        (),
        asleep,
        until,
        f"{_names(asleep)} in quiet hours; it waits until {local_time(until, zone)} "
        f"({then}) and then goes to whoever holds it",
    )


def shown(target: str) -> str:
    """``level:L2`` reads L2; ``person:bram:L1`` reads bram."""
    kind, _, rest = target.partition(":")
    return rest.partition(":")[0] if kind == "person" else rest.replace("MGMT", "management")


def _names(people: tuple[Person, ...]) -> str:
    def one(p: Person) -> str:
        q = p.quiet_hours
        return f"{p.label} ({q.start:%H:%M}–{q.end:%H:%M} {p.time_zone})" if q else p.label

    return ", ".join(one(p) for p in people)


def hold(
    session: Session, rt: Runtime, incident: Incident, target: str, decision: Decision, by: str
) -> DeferredPage:
    """Record the decision: a page owed later (``hold_until``) or one redirected now."""
    assert decision.hold_until is not None or decision.skipped
    now = rt.now()
    row = DeferredPage(
        incident_id=incident.id,
        target=target,
        due_at=decision.hold_until or now,
        reason=decision.why,
        state="pending" if decision.hold_until is not None else "redirected",
        created_by=by[:60],
        created_at=now,
    )
    session.add(row)
    session.flush()
    if decision.hold_until is not None:
        effects.owe_at(
            session, row.due_at, DEFERRED_PAGE, row.id, job_id=job_ids.deferred_page(row.id)
        )
    text = f":zzz: Sev{incident.severity} page to {shown(target)}: {decision.why}."
    add_event(session, rt, incident, "supportbot", "page_held", text)
    return row


@DEFERRED_PAGE.runs
def deferred_page(deferred_id: int) -> str:
    return run(get_runtime(), deferred_id)


def run(rt: Runtime, deferred_id: int) -> str:
    """At its instant, a held page goes to whoever holds its target then, under the same
    rules (it may be held again, with the new reason)."""
    with rt.session() as session:
        row = session.get(DeferredPage, deferred_id)
        if row is None or row.state != "pending":
            return "stale"
        incident = session.get_one(Incident, row.incident_id, with_for_update=True)
        now = rt.now()
        if row.due_at > now:  # never early
            effects.owe_at(
                session, row.due_at, DEFERRED_PAGE, row.id, job_id=job_ids.deferred_page(row.id)
            )
            return "early"
        if not claim(session, DeferredPage, row.id, "pending", state="sent"):
            return "stale"
        if incident.status in ("resolved", "closed"):
            session.get_one(DeferredPage, row.id, populate_existing=True).state = "dropped"
            return "dropped"
        people, level = holders(rt, session, row.target, now)
        outcome = page_or_hold(session, rt, incident, row.target, people, level, row.created_by)
        if outcome != "paged":  # held again (a new row says until when and why)
            session.get_one(DeferredPage, row.id, populate_existing=True).state = "moved"
        owe_sync(session, incident.id)
    return outcome


def holders(
    rt: Runtime, session: Session, target: str, at: datetime
) -> tuple[tuple[Person, ...], str]:
    """Who a target means at ``at``: a level's holders, or a chosen person while they still
    hold their level (else whoever holds it then)."""
    kind, _, rest = target.partition(":")
    key, _, level = rest.partition(":") if kind == "person" else ("", "", rest)
    reached = lookup.people_for(rt, session, level, at)
    chosen = tuple(p for p in reached.people if p.key == key)
    return (chosen or reached.people), level


def page_or_hold(
    session: Session,
    rt: Runtime,
    incident: Incident,
    target: str,
    people: tuple[Person, ...],
    level: str,
    by: str,
) -> str:
    """Page now whom the rules allow, and hold or note the rest; what happened."""
    now = rt.now()
    decision = decide(rt, session, incident, people, level, now)
    if decision.hold_until is not None or decision.skipped:
        hold(session, rt, incident, target, decision, by)
    if not decision.now:
        return "held" if decision.hold_until is not None else "nobody"
    episode = episodes.current(session, incident.id)
    active = episode if episode is not None and episode.state == "active" else None
    names = ", ".join(p.label for p in decision.now)
    text = f":pager: Paging {names} by SMS and call (page to {shown(target)})."
    add_event(session, rt, incident, "supportbot", "paged", text)
    create_pages(session, rt, incident, decision.now, escalation=active, step=-1, now=now)
    return "paged"


def redrive(rt: Runtime) -> int:
    """Redriver: held pages past their instant whose job was lost."""
    return redrive_overdue(
        rt, DeferredPage, DeferredPage.due_at, DeferredPage.state == "pending", GRACE,
        lambda session, row: effects.owe(session, DEFERRED_PAGE, row.id,
                                         job_id=job_ids.deferred_page(row.id)),
        "held page(s)",
    )  # fmt: skip
