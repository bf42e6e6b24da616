"""Units used at the desk: the turnover charge, exhausted balances and the notices.

Called inside the transaction that changes the incident (opening, a time log), so a charge
and the change it belongs to commit together or not at all. The rules are
:mod:`supportbot.plans.charging`; the sums are :mod:`supportbot.plans.ledger`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from supportbot.contracts.currency import money_text
from supportbot.contracts.customers import Customer
from supportbot.contracts.plans import OnExhausted, Plan, PlanKind
from supportbot.db.models import Incident, KeyValue, TimelineEvent
from supportbot.incidents.access import Actor
from supportbot.incidents.find import IncidentError
from supportbot.incidents.lifecycle import Status
from supportbot.incidents.timeline import add_event
from supportbot.plans import ledger
from supportbot.plans.balance import (
    NOTICE_AT,
    UNIT,
    Balance,
    deposit_text,
    incident_plan,
    needs_deposit,
    term_key,
)
from supportbot.plans.cards import resync_open_cards
from supportbot.plans.charging import money
from supportbot.runtime import Runtime
from supportbot.slack.jobs import post_later
from supportbot.slack.notify import notify
from supportbot.wording import mention

log = logging.getLogger(__name__)
SYSTEM = "supportbot"


@dataclass(frozen=True)
class Use:
    """Units to charge to a plan for one incident; split against the balance when used."""

    kind: str  # charge | appointment | time
    quantity: int
    person: str
    minutes: int = 0
    note: str = ""
    task_id: int | None = None
    dedupe: str | None = None


def charge(
    session: Session, rt: Runtime, incident: Incident, customer: Customer, plan: Plan, use: Use
) -> list[str]:
    """Append ``use`` to the plan's ledger; the part beyond an exhausted pack or hours
    balance is overage under the contract's policy. Returns what to tell the person."""
    if plan.kind in (PlanKind.INCIDENT_PACK, PlanKind.PREPAID_HOURS):
        ledger.lock_balance(session, customer.key, plan.key)
    # The charge's instant, read under the plan's lock, decides its term: the term-end job
    # closes a term under the same lock once its end has passed, so a charge timed before
    # the end is in the books it closes, and one that waited for the close reads a later
    # instant and lands in the next term.
    now = rt.now()
    before = ledger.balance(session, customer, plan, now)
    within = min(use.quantity, max(0, before.left)) if before.limited else use.quantity
    over = use.quantity - within
    said: list[str] = []
    base = ledger.Entry(
        customer=customer.key, plan=plan.key, kind=use.kind, unit=UNIT[plan.kind],
        quantity=within, person=use.person, at=now, term=term_key(before.term),
        incident_id=incident.id, task_id=use.task_id, minutes=use.minutes, note=use.note,
        currency=plan.currency, amount=_price(plan, within), dedupe=use.dedupe,
    )  # fmt: skip
    if ledger.append(session, base) is None:
        return said  # charged before (the same delivery, a retried job)
    resync_open_cards(session, customer.key, besides=incident.id)
    if over:
        said.append(_overage(session, rt, incident, plan, base, over))
    after = ledger.balance(session, customer, plan, now)
    _notices(session, rt, incident, after)
    return said


def _price(plan: Plan, quantity: int) -> Decimal | None:
    """Money owed now for ``quantity``: per-incident and per-minute plans bill as they go;
    packs and hours were paid in advance."""
    if plan.price is None or plan.kind not in (PlanKind.PER_INCIDENT, PlanKind.PER_MINUTE):
        return None
    return money(quantity, plan.price.amount, plan.currency) if quantity else None


def _overage(
    session: Session,
    rt: Runtime,
    incident: Incident,
    plan: Plan,
    base: ledger.Entry,
    over: int,
) -> str:
    """Units beyond the balance: flagged (warn) or billed at the overage rate (bill, and
    hold once approved or for a Sev1 worked at once)."""
    rate = plan.overage_rate.amount if plan.overage_rate else None
    hours = plan.kind is PlanKind.PREPAID_HOURS
    amount = None
    if rate is not None and plan.on_exhausted is not OnExhausted.WARN:
        amount = money(Decimal(over) / 60 if hours else over, rate, plan.currency)
    entry = ledger.Entry(
        **{**base.__dict__, "kind": ledger.OVERAGE, "quantity": over, "amount": amount,
           "dedupe": f"{base.dedupe}-over" if base.dedupe else None}
    )  # fmt: skip
    ledger.append(session, entry)
    what = f"{over} min" if hours else f"{over} incident{'s' if over != 1 else ''}"
    billed = f", billed {money_text(amount, plan.currency)}" if amount is not None else ""
    text = f"Beyond the {plan.kind.value.replace('_', ' ')} balance: {what}{billed}"
    text += " (flagged for billing)" if amount is None else ""
    add_event(session, rt, incident, base.person, "overage", text)
    return text


def _notices(session: Session, rt: Runtime, incident: Incident, after: Balance) -> None:
    """80 % used, and used up: the triage channel and the designated contacts hear once
    per term (a marker row; a second writer's insert fails and it stays silent)."""
    if not after.limited:
        return
    owed = []
    if after.fraction_used >= NOTICE_AT:
        owed.append(("80", f"{int(after.fraction_used * 100)} % used"))
    if after.exhausted:
        owed.append(("exhausted", "used up"))
    for mark, how in owed:
        key = f"plan-notice:{after.customer.key}:{after.plan.key}:{term_key(after.term)}:{mark}"
        if session.get(KeyValue, key) is not None:
            continue
        try:
            # Two logs on two incidents of one customer may cross the line together: the
            # second marker insert fails inside its savepoint, and its log still commits.
            with session.begin_nested():
                session.add(KeyValue(key=key, value=incident.key, updated_at=rt.now()))
        except IntegrityError:
            continue
        text = f"{after.customer.name}: {after.text()} ({how}; noticed on {incident.key})."
        _tell(session, rt, incident, after.customer, text)


def _tell(session: Session, rt: Runtime, incident: Incident, customer: Customer, text: str) -> None:
    if rt.settings.triage_channel:
        notify(session, rt, incident, rt.settings.triage_channel, "plan", text)
    for contact in customer.contacts:
        notify(session, rt, incident, contact, "plan", text)
    add_event(session, rt, incident, SYSTEM, "plan_notice", text)


def turnover(incident: Incident, by: str) -> Use:
    """The one incident a request turned over to the team is charged, once whoever asks
    (the opening, an approval of a hold, a raise to Sev1): its dedupe key is the incident's."""
    return Use("charge", 1, by, dedupe=f"turnover-{incident.id}")


def on_opening(
    session: Session, rt: Runtime, incident: Incident, customer: Customer | None
) -> None:
    """A request turned over to the support team is charged one incident; an exhausted
    pack follows the contract's policy. Runs inside the opening transaction."""
    if customer is None:
        return
    plan = incident_plan(customer, incident.opened_at)
    if plan is None:
        return
    ledger.lock_balance(session, customer.key, plan.key)  # hold or not: a fresh balance
    before = ledger.balance(session, customer, plan, incident.opened_at)
    use = turnover(incident, incident.reporter)
    if not (before.exhausted and plan.on_exhausted is OnExhausted.HOLD):
        charge(session, rt, incident, customer, plan, use)
        return
    if incident.severity == 1:
        # Site down: always worked at once, whatever the balance, and billed afterwards.
        charge(session, rt, incident, customer, plan, use)
        add_event(session, rt, incident, SYSTEM, "plan_hold",
                  f"{before.text()}: Sev1 worked at once and billed afterwards")  # fmt: skip
        return
    _hold(session, rt, incident, customer, before)


def _hold(
    session: Session, rt: Runtime, incident: Incident, customer: Customer, before: Balance
) -> None:
    """Open as pending a designated contact's approval: waiting on the customer (the SLA
    clocks pause) until one approves the charge with ``/incident approve INC-n``."""
    session.execute(
        update(Incident).where(Incident.id == incident.id).values(status=Status.WAITING.value)
    )
    incident.status = Status.WAITING.value
    text = (
        f"{before.text()}. {incident.key} waits for a designated contact's approval of an "
        f"extra charge: `/incident approve {incident.key}`"
    )
    add_event(session, rt, incident, SYSTEM, "plan_hold", text, customer_visible=True)
    # The status change on the timeline, as any other: the SLA clocks read their pauses
    # from it (sla/tracking.waiting_intervals), and approval's "investigating" ends it.
    waiting = "Waiting on the customer: a designated contact's approval of an extra charge"
    status = add_event(session, rt, incident, SYSTEM, f"status:{Status.WAITING.value}", waiting)
    status.at = incident.opened_at  # opened waiting: the response clock is paused from then
    _tell(session, rt, incident, customer, text)


def held(session: Session, incident_id: int) -> bool:
    """Opened on hold and not yet approved (no turnover charge recorded)."""
    holds = select(TimelineEvent.id).where(
        TimelineEvent.incident_id == incident_id, TimelineEvent.kind == "plan_hold"
    )
    turnover = f"turnover-{incident_id}"
    charged = any(e.dedupe == turnover for e in ledger.entries_for_incident(session, incident_id))
    return session.scalar(holds.limit(1)) is not None and not charged


def work_held_sev1(session: Session, rt: Runtime, incident: Incident) -> bool:
    """A held request raised to Severity 1 is held no longer: like a Sev1 opened on an
    exhausted balance, it is worked at once and billed (its turnover charge, over the
    balance under the contract's policy). Returns whether it was held."""
    customer = rt.contracts.by_key(incident.customer) if incident.customer else None
    plan = incident_plan(customer, incident.opened_at) if customer else None
    if customer is None or plan is None or not held(session, incident.id):
        return False
    charge(session, rt, incident, customer, plan, turnover(incident, incident.reporter))
    add_event(session, rt, incident, SYSTEM, "plan_hold",
              "Raised to Sev1: worked at once and billed afterwards")  # fmt: skip
    return True


def ask_account_manager(rt: Runtime, actor: Actor, customer_key: str) -> str:
    """A per-minute customer without a deposit asks for their account manager: a post to
    the manager (or the triage channel), once a minute per customer at most."""
    customer = rt.contracts.by_key(customer_key)
    if customer is None or (not actor.is_staff and actor.customer != customer.key):
        raise IncidentError("Only your own organisation's account manager can be notified.")
    plan = needs_deposit(customer, rt.now())
    if plan is None:
        return "A deposit is on file now: you can open a request."
    target = plan.account_manager or rt.settings.triage_channel
    if target is None:
        raise IncidentError("No account manager or triage channel is configured to notify.")
    text = (
        f":moneybag: {mention(actor.user_id)} of {customer.name} asks for a deposit (or a card "
        "on file) for per-minute support, so their questions can be answered."
    )
    minute = rt.now().strftime("%Y%m%d%H%M")
    post_later(rt, "chat.postMessage", f"deposit-{customer.key}-{minute}", channel=target,
               text=text)  # fmt: skip
    return "Your account manager has been notified and will be in touch about the deposit."


def turnover_balance(rt: Runtime, incident: Incident) -> str:
    """The balance of the plan charged when ``incident`` was turned over ("" if none)."""
    customer = rt.contracts.by_key(incident.customer) if incident.customer else None
    plan = incident_plan(customer, incident.opened_at) if customer else None
    if customer is None or plan is None:
        return ""
    with rt.session() as session:
        text = ledger.balance(session, customer, plan, rt.now()).text()
        return text + (" · on hold for approval" if held(session, incident.id) else "")


def check_deposit(rt: Runtime, actor: Actor, customer: Customer | None) -> None:
    """A per-minute customer whose deposit is required and missing opens nothing; staff
    can still open the incident."""
    if actor.is_staff or customer is None or needs_deposit(customer, rt.now()) is None:
        return
    raise IncidentError(deposit_text(customer.name), field="customer")
