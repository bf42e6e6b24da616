"""Prepaid-hours tasks and corrections: estimates a designated contact approves or
declines, waivers with the contract's reasons, and the approval of a held request."""

from __future__ import annotations

from sqlalchemy import select

from supportbot.contracts.plans import Plan, PlanKind
from supportbot.db.claims import claim
from supportbot.db.ledger import LedgerEntry, TaskEstimate
from supportbot.db.models import Incident
from supportbot.desk.change import Change, run
from supportbot.desk.usage import charge, held, turnover
from supportbot.desk.work import IMPLICIT_AGREEMENT, Done, check_open, customer_of
from supportbot.incidents.access import Action, Actor, may_approve
from supportbot.incidents.find import IncidentError
from supportbot.incidents.lifecycle import Status
from supportbot.plans import ledger, rollover
from supportbot.plans.balance import active_plans, incident_plan
from supportbot.plans.cards import resync_open_cards
from supportbot.plans.charging import hours_text
from supportbot.runtime import Runtime
from supportbot.slack.plan_posts import owe_post
from supportbot.wording import inert


def estimate(rt: Runtime, key: int | str, actor: Actor, minutes: int, note: str = "") -> Done:
    """``/incident estimate INC-n 6h``: post the task's estimate to the designated contacts,
    each with Approve / Decline; no work is logged until one approves."""
    done = Done()
    text = inert(" ".join(note.split())[:300])

    def apply(change: Change) -> None:
        check_open(change.incident)
        customer = customer_of(change)
        plans = active_plans(customer, change.rt.now())
        hours = next((p for p in plans if p.kind is PlanKind.PREPAID_HOURS), None)
        if hours is None:
            raise IncidentError(f"{customer.name} has no prepaid hours in force to estimate")
        if not customer.contacts:
            raise IncidentError(f"{customer.name} has no designated contact to approve it")
        task = TaskEstimate(
            incident_id=change.incident.id, customer=customer.key, minutes=minutes, note=text,
            requested_by=change.actor.user_id, requested_at=change.rt.now(),
        )  # fmt: skip
        change.session.add(task)
        change.session.flush()
        left = ledger.balance(change.session, customer, hours, change.rt.now()).text()
        owe_post(change.session, task.id)  # Approve / Decline to each designated contact
        change.event(
            "estimate",
            f"{change.who} estimated {hours_text(minutes)} for this task; sent to "
            f"{len(customer.contacts)} designated contact(s) for approval",
            customer_visible=True,
        )
        done.lines.append(f"Estimate of {hours_text(minutes)} sent for approval. {left}")

    done.incident = run(rt, key, actor, Action.LOG_TIME, apply)
    return done


def decide(rt: Runtime, estimate_id: int, actor: Actor, *, approve: bool) -> Done:
    """A designated contact answers an estimate, once (a compare-and-set on its state)."""
    with rt.session() as session:
        task = session.get(TaskEstimate, estimate_id)
        # Another organisation's estimate reads as one never made: its incident's "does not
        # exist" would tell a forged id from a real one, and name that incident.
        if task is None or (not actor.is_staff and task.customer != actor.customer):
            raise IncidentError("That estimate does not exist")
        incident_id, minutes = task.incident_id, task.minutes

    def apply(change: Change) -> None:
        may_approve(change.actor, change.incident)
        _decide(change, estimate_id, minutes, approve=approve)

    incident = run(rt, incident_id, actor, Action.APPROVE, apply)
    return Done(incident, [_decided_text(incident, minutes, approve=approve)])


def _decide(change: Change, estimate_id: int, minutes: int, *, approve: bool) -> None:
    """Answer one pending estimate of the locked incident (the caller checked who may)."""
    state = "approved" if approve else "declined"
    if change.incident.status == Status.CLOSED.value:  # no time can be logged on it now
        raise IncidentError(f"{change.incident.key} is closed: the estimate lapsed with it")
    won = claim(
        change.session, TaskEstimate, estimate_id, "pending",
        state=state, decided_by=change.actor.user_id, decided_at=change.rt.now(),
    )  # fmt: skip
    if not won:
        current = change.session.get(TaskEstimate, estimate_id)
        change.session.refresh(current)  # type: ignore[arg-type]
        raise IncidentError(f"That estimate was already {current.state if current else ''}")
    change.event(
        f"estimate_{state}",
        f"{change.who} {state} the estimate of {hours_text(minutes)}",
        customer_visible=True,
    )


def _decided_text(incident: Incident, minutes: int, *, approve: bool) -> str:
    state = "approved" if approve else "declined"
    return f"You {state} the estimate of {hours_text(minutes)} on {incident.key}."


def waive(rt: Runtime, key: int | str, actor: Actor, reason: str) -> Done:
    """Staff waive an incident's charges for one of the contract's reasons: a correcting
    entry per charge (never an edit), on the timeline and in the monthly summary. Each
    charge is waived under its own plan's reasons: charged under two plans, the reason
    waives the charges of each plan that lists it, names the reasons of one that does not,
    and is refused (nothing stored) when no plan lists it."""
    done = Done()

    def apply(change: Change) -> None:
        customer = customer_of(change)
        entries = ledger.entries_for_incident(change.session, change.incident.id)
        corrected = {e.corrects for e in entries if e.corrects is not None}
        plans = {p.key: p for p in customer.plans}
        # Time under an agreement (the contract's, or the implicit one of a customer without
        # plans) is recorded, not charged: there is nothing to give back.
        owed = [e for e in entries if e.id not in corrected and e.corrects is None
                and (e.quantity > 0 or e.amount) and e.kind != "rollover_out"
                and _charged_under(plans.get(e.plan), e.plan)]  # fmt: skip
        if not owed:
            raise IncidentError(f"{change.incident.key} has no charge to waive")
        by_plan: dict[str, list[LedgerEntry]] = {}
        for entry in owed:
            by_plan.setdefault(entry.plan, []).append(entry)
        several = len(by_plan) > 1
        chosen = {k: _reason(change.incident, plans.get(k), k, reason, several) for k in by_plan}
        refused = [why for why in chosen.values() if isinstance(why, IncidentError)]
        if len(refused) == len(chosen):
            raise IncidentError("; ".join(str(why) for why in refused))
        for plan_key, why in chosen.items():
            if isinstance(why, str):
                _waive_plan(change, plans[plan_key], by_plan[plan_key], why, done)
        done.lines += [f"Not waived: {why}" for why in refused]

    done.incident = run(rt, key, actor, Action.WAIVE, apply)
    return done


def _reason(
    incident: Incident, plan: Plan | None, key: str, reason: str, several: bool
) -> str | IncidentError:
    """The plan's own spelling of ``reason``, or why it cannot be waived under that plan
    (naming the plan when the incident was charged under ``several``)."""
    if plan is None:
        return IncidentError(
            f"{incident.key} was charged under the plan `{inert(key)}`, which is no longer "
            "in the contract, so its waiver reasons are unknown"
        )
    chosen = plan.waiver_reason(reason)
    if chosen is not None:
        return chosen
    listed = ", ".join(f"`{r}`" for r in plan.waiver_reasons) or "none in the contract"
    under = f" of the {inert(plan.key).replace('_', '-')} plan" if several else ""
    return IncidentError(f"`{inert(reason[:80])}` is not a waiver reason{under}; use {listed}")


def _waive_plan(
    change: Change, plan: Plan, owed: list[LedgerEntry], reason: str, done: Done
) -> None:
    limited = plan.kind in (PlanKind.INCIDENT_PACK, PlanKind.PREPAID_HOURS)
    if limited:  # a term's close waits for these entries, or counts them
        ledger.lock_balance(change.session, owed[0].customer, plan.key)
    for entry in owed:
        ledger.append(change.session, _waiver(entry, change, reason))
    units = sum(e.quantity for e in owed)
    # Given back to a term that has ended and was closed: they roll on as its close did.
    closed: list[str] = []
    for term in sorted({e.term for e in owed if limited and e.term is not None}):
        why = f"{reason} on {change.incident.key}"
        closed += rollover.given_back(
            change.session, change.rt, customer_of(change), plan, term, why
        )
    resync_open_cards(change.session, owed[0].customer, besides=change.incident.id)
    change.event(
        "waiver", " ".join([f"{change.who} waived {units} unit(s) of charges: {reason}", *closed]),
        customer_visible=True,
    )  # fmt: skip
    done.lines.append(f"Waived {units} unit(s) on {change.incident.key}: {reason}")
    done.lines += closed


def _charged_under(plan: Plan | None, key: str) -> bool:
    """An entry of ``plan`` is a charge unless the plan is an agreement; a plan no longer in
    the contract counts (refused with why), except the implicit agreement's own key."""
    if plan is None:
        return key != IMPLICIT_AGREEMENT.key
    return plan.metered


def _waiver(entry: LedgerEntry, change: Change, reason: str) -> ledger.Entry:
    return ledger.Entry(
        customer=entry.customer, plan=entry.plan, kind=ledger.WAIVER, unit=entry.unit,
        quantity=-entry.quantity, person=change.actor.user_id, at=change.rt.now(),
        term=entry.term, incident_id=entry.incident_id, task_id=entry.task_id,
        amount=-entry.amount if entry.amount is not None else None, currency=entry.currency,
        corrects=entry.id, reason=reason,
    )  # fmt: skip


def approve_hold(rt: Runtime, key: int | str, actor: Actor) -> Done:
    """``/incident approve INC-n``: a designated contact approves a request held for an
    exhausted balance (it is charged, as overage under the contract's rate, and worked) or,
    when none is held, the incident's newest pending estimate (as its Approve button)."""
    estimated: list[int] = []  # the minutes of the estimate approved instead of a hold

    def apply(change: Change) -> None:
        may_approve(change.actor, change.incident)
        incident = change.incident
        task = None if held(change.session, incident.id) else _pending(change)
        if task is not None:
            _decide(change, task.id, task.minutes, approve=True)
            estimated.append(task.minutes)
            return
        if incident.status in (Status.RESOLVED.value, Status.CLOSED.value):
            # Resolved without the extra charge: approving now would reopen it and bill it.
            raise IncidentError(
                f"{incident.key} is {incident.status}: it no longer waits for an approval"
            )
        if not held(change.session, incident.id):
            raise IncidentError(f"{incident.key} is not waiting for an approval")
        customer = customer_of(change)
        plan = incident_plan(customer, incident.opened_at)
        assert plan is not None, "a request is held only under a pack plan"
        use = turnover(incident, change.actor.user_id)
        charge(change.session, change.rt, incident, customer, plan, use)
        approved = f"{change.who} approved the extra charge"
        if incident.status == Status.INVESTIGATING.value:
            # Staff (or the customer's reply) moved it on while it waited: the approval
            # still bills it and lets its time be logged; there is no status to change.
            change.event("plan_hold_approved", approved, customer_visible=True)
        else:
            change.status(Status.INVESTIGATING, approved)

    incident = run(rt, key, actor, Action.APPROVE, apply)
    if estimated:
        return Done(incident, [_decided_text(incident, estimated[0], approve=True)])
    return Done(incident, [f"Approved: {incident.key} is being worked."])


def _pending(change: Change) -> TaskEstimate | None:
    """The incident's newest estimate still waiting for an answer, if any."""
    query = (
        select(TaskEstimate)
        .where(TaskEstimate.incident_id == change.incident.id, TaskEstimate.state == "pending")
        .order_by(TaskEstimate.id.desc())
    )
    return change.session.scalars(query.limit(1)).first()


def incident_entries(rt: Runtime, incident: Incident) -> list[LedgerEntry]:
    with rt.session() as session:
        return list(
            session.scalars(select(LedgerEntry).where(LedgerEntry.incident_id == incident.id))
        )
