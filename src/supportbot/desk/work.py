"""Work on an incident, in the ledger: time logs, timers, appointments, task estimates,
their approval, waivers and the approval of a held request.

Each is one typed action through the change runner (:func:`supportbot.desk.change.run`):
the incident row is locked, the actor authorised, entries appended, the card re-synced.
Every entry is an INSERT, and what is derived from many (a second per-incident charge) is
computed after this transaction's own insert, under the incident's lock, so concurrent logs
on one incident still add up exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from supportbot.contracts.customers import Customer
from supportbot.contracts.plans import Plan, PlanKind
from supportbot.db.ledger import LedgerEntry, TaskEstimate, WorkTimer
from supportbot.db.models import Incident
from supportbot.desk.change import Change, run
from supportbot.desk.usage import Use, charge, held
from supportbot.incidents.access import Action, Actor
from supportbot.incidents.find import IncidentError
from supportbot.incidents.lifecycle import Status
from supportbot.plans import ledger
from supportbot.plans.balance import time_plan
from supportbot.plans.charging import (
    appointment_incidents,
    billed_minutes,
    hours_text,
    per_incident_charges,
    seconds_to_minutes,
)
from supportbot.runtime import Runtime
from supportbot.wording import inert

IMPLICIT_AGREEMENT = Plan.model_validate({"kind": "agreement"})
# A timer that ran longer than this was left running: its span is not the work done, so
# stopping it logs nothing and asks for the real time (a log is at most 24 h anyway).
MAX_TIMER_MINUTES = 12 * 60


@dataclass
class Done:
    """What an action did, in words for the person who asked."""

    incident: Incident | None = None
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(line for line in self.lines if line)


def customer_of(change: Change) -> Customer:
    incident = change.incident
    if not incident.customer:
        raise IncidentError(f"{incident.key} is internal: time is logged against a customer's plan")
    customer = change.rt.contracts.by_key(incident.customer)
    if customer is None:  # taken out of the contracts file while the incident was open
        raise IncidentError(
            f"{incident.key} belongs to customer `{inert(incident.customer)}`, which is no "
            "longer in the contracts file: restore it in contracts/customers.yaml to log time "
            "against its plan"
        )
    return customer


def check_open(incident: Incident) -> None:
    if incident.status == Status.CLOSED.value:
        raise IncidentError(f"{incident.key} is closed: no more time can be logged on it")


def check_not_held(change: Change) -> None:
    """A request held for an exhausted balance is not worked (nor billed) until a designated
    contact approves its extra charge."""
    incident = change.incident
    if held(change.session, incident.id):
        raise IncidentError(
            f"{incident.key} waits for a designated contact's approval of an extra charge "
            f"(`/incident approve {incident.key}`): no time can be logged on it until then"
        )


def _balance_line(change: Change, plan: Plan | None, customer: Customer) -> str:
    if plan is None:
        return ""
    return ledger.balance(change.session, customer, plan, change.rt.now()).text()


def log_time(
    rt: Runtime,
    key: int | str,
    actor: Actor,
    minutes: int,
    note: str = "",
    *,
    appointment: bool = False,
    receipt: str | None = None,
) -> Done:
    """``/incident time INC-n 45m [note]`` (or ``appointment``): one entry, by this person.
    ``receipt``: the Log time form's view id; a second delivery of it logs nothing (the
    answer then has no incident)."""
    done = Done()

    def apply(change: Change) -> None:
        if receipt is not None:
            change.receipt(receipt)
        check_open(change.incident)
        check_not_held(change)
        customer = customer_of(change)
        plan = _time_plan(change, customer)
        done.lines += _log(change, customer, plan, minutes, note, appointment)
        done.lines.append(_balance_line(change, plan, customer))

    try:
        done.incident = run(rt, key, actor, Action.LOG_TIME, apply)
    except IntegrityError:
        if receipt is None:
            raise
        return Done(None, ["This form was already received; the time was logged once."])
    return done


# long: one branch per kind of plan, each a few lines; splitting them hides the rules' order
def _log(
    change: Change,
    customer: Customer,
    plan: Plan | None,
    minutes: int,
    note: str,
    appointment: bool,
) -> list[str]:
    incident, who = change.incident, change.actor.user_id
    if plan is None and customer.plans:
        raise IncidentError(f"{customer.name} has no plan in force to log time against")
    plan = plan or IMPLICIT_AGREEMENT  # no plans: an agreement, as before plans existed
    kind = plan.kind
    text = inert(" ".join(note.split())[:300])
    said = [f"Logged {hours_text(minutes)} on {incident.key}" + (f": {text}" if text else "")]
    if appointment and kind in (PlanKind.INCIDENT_PACK, PlanKind.PER_INCIDENT):
        units = appointment_incidents(minutes)
        use = Use("appointment", units, who, minutes, text)
        said[0] = f"Appointment of {hours_text(minutes)} on {incident.key}: {units} incidents"
    elif kind is PlanKind.PREPAID_HOURS:
        task = _approved_task(change)
        billed = billed_minutes(minutes, int(plan.round_to.fixed.total_seconds()) // 60)
        use = Use("time", billed, who, minutes, text, task_id=task.id)
        if billed != minutes:
            said[0] += f" (billed {hours_text(billed)})"
    elif kind is PlanKind.PER_MINUTE:
        use = Use("time", minutes, who, minutes, text)
    elif kind is PlanKind.AGREEMENT:
        use = Use("time", minutes, who, minutes, text)
    else:
        use = Use("time", 0, who, minutes, text)
    said += charge(change.session, change.rt, incident, customer, plan, use)
    if kind is PlanKind.PER_INCIDENT and plan.second_charge:
        said += _second_charges(change, customer, plan)
    change.event("time", f"{change.who}: {said[0]}")
    return said


def _second_charges(change: Change, customer: Customer, plan: Plan) -> list[str]:
    """Per-incident work beyond the span opens more charges, counted from all the time
    logged so far (this transaction's entry included, under the incident's lock)."""
    incident_id = change.incident.id
    change.session.flush()
    totals = select(func.coalesce(func.sum(LedgerEntry.minutes), 0)).where(
        LedgerEntry.incident_id == incident_id, LedgerEntry.kind == "time"
    )
    made = select(func.count()).where(
        LedgerEntry.incident_id == incident_id, LedgerEntry.kind == "charge"
    )
    span = int(plan.span.fixed.total_seconds()) // 60
    due = per_incident_charges(int(change.session.scalar(totals) or 0), span, True)
    missing = due - int(change.session.scalar(made) or 0)
    for _ in range(missing):
        use = Use("charge", 1, "supportbot", note="more than the span", dedupe=None)
        charge(change.session, change.rt, change.incident, customer, plan, use)
    return [f"{missing} more charge(s): work beyond {plan.span.human()}"] if missing > 0 else []


def _time_plan(change: Change, customer: Customer) -> Plan | None:
    """Prepaid hours are spent only by a task (an estimate on this incident) a contact
    approved (seed 000: "each task estimated and approved by the client"). A customer who
    also holds another plan (KMSI, Acme: an agreement) logs the time of an incident without
    an estimate under it; an incident whose estimate waits for its approval or was declined
    is a task, refused rather than slipped under the agreement, as is every log of a
    customer whose only plan is prepaid hours (:func:`_approved_task` says why)."""
    now = change.rt.now()
    plan = time_plan(customer, now)
    if plan is None or plan.kind is not PlanKind.PREPAID_HOURS:
        return plan
    other = time_plan(customer, now, task=False)
    estimated = change.session.scalar(
        select(func.count()).where(TaskEstimate.incident_id == change.incident.id)
    )
    return plan if other is None or estimated else other


def _approved_task(change: Change) -> TaskEstimate:
    """Prepaid hours: work is logged only against an estimate a contact approved."""
    incident = change.incident
    tasks = list(
        change.session.scalars(
            select(TaskEstimate)
            .where(TaskEstimate.incident_id == incident.id)
            .order_by(TaskEstimate.id.desc())
        )
    )
    approved = next((t for t in tasks if t.state == "approved"), None)
    if approved is not None:
        return approved
    if any(t.state == "pending" for t in tasks):
        raise IncidentError(
            f"{incident.key}'s estimate is waiting for a designated contact's approval; "
            "time can be logged once it is approved"
        )
    again = "its estimate was declined: post a new one" if tasks else "post an estimate first"
    raise IncidentError(
        f"{incident.key} is prepaid-hours work: {again} "
        f"(`/incident estimate {incident.key} 6h`) and log time once a contact approves it"
    )


def start_timer(rt: Runtime, key: int | str, actor: Actor) -> Done:
    """At most one running timer per person: the person is the timer row's key."""

    def apply(change: Change) -> None:
        check_open(change.incident)
        check_not_held(change)
        customer_of(change)
        running = change.session.get(WorkTimer, actor.user_id)
        if running is not None:
            raise IncidentError(
                f"You already have a timer running on INC-{running.incident_id}; stop it "
                f"first (`/incident timer stop INC-{running.incident_id}`)"
            )
        try:
            with change.session.begin_nested():
                change.session.add(
                    WorkTimer(
                        person=actor.user_id,
                        incident_id=change.incident.id,
                        started_at=change.rt.now(),
                    )
                )
        except IntegrityError:
            raise IncidentError("You already have a timer running") from None
        change.event("timer", f"{change.who} started a timer")

    return Done(run(rt, key, actor, Action.LOG_TIME, apply), ["Timer started."])


def _forgotten(incident: Incident, minutes: int) -> str:
    return (
        f"Timer stopped after {hours_text(minutes)}; nothing was logged: a timer left running "
        f"more than {MAX_TIMER_MINUTES // 60} h was most likely forgotten. Log the time you "
        f"really worked with `/incident time {incident.key} 2h30m`."
    )


def stop_timer(rt: Runtime, key: int | str, actor: Actor) -> Done:
    """Stop this person's timer on the incident and log its started minutes, in one
    transaction: the timer row is deleted first, so two stops log it once. A timer that ran
    more than MAX_TIMER_MINUTES stops and logs nothing, asking for the real time."""
    done = Done()

    def apply(change: Change) -> None:
        running = change.session.get(WorkTimer, actor.user_id)
        if running is None:
            raise IncidentError("You have no timer running")
        if running.incident_id != change.incident.id:
            raise IncidentError(
                f"Your timer runs on INC-{running.incident_id}, not {change.incident.key}"
            )
        started_at = running.started_at
        deleted = change.session.execute(
            delete(WorkTimer).where(
                WorkTimer.person == actor.user_id, WorkTimer.started_at == started_at
            )
        )
        if not deleted.rowcount:  # type: ignore[attr-defined]
            raise IncidentError("Your timer was stopped already")
        # Started by a process whose clock runs a little ahead of this one's: no time ran.
        ran = max(0.0, (change.rt.now() - started_at).total_seconds())
        minutes = seconds_to_minutes(ran)
        if minutes > MAX_TIMER_MINUTES:
            done.lines = [_forgotten(change.incident, minutes)]
            change.event("timer", f"{change.who} stopped a timer left running; nothing logged")
            return
        # The timer stops even when its time cannot be logged (the incident closed, the
        # estimate not approved yet): a refusal that kept it running would leave this
        # person unable to stop it or to start another one, ever.
        try:
            with change.session.begin_nested():
                check_open(change.incident)
                check_not_held(change)
                customer = customer_of(change)
                plan = _time_plan(change, customer)
                done.lines += _log(change, customer, plan, minutes, "timer", False)
                done.lines.append(_balance_line(change, plan, customer))
        except IncidentError as exc:
            done.lines = [
                f"Timer stopped after {hours_text(minutes)}; nothing was logged: {exc}. "
                f"Log it with `/incident time {change.incident.key} {minutes}m` once it can be."
            ]
            change.event("timer", f"{change.who} stopped a timer; nothing logged")

    done.incident = run(rt, key, actor, Action.LOG_TIME, apply)
    return done
