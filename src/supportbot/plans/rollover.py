"""Rollover and expiry at the end of a term, once, at the term's end in the customer's zone.

When a pack (or prepaid-hours) term ends, its unused units roll into the next term up to the
contract's cap and the rest expire: three entries (``rollover_out`` and ``expiry`` in the old
term, ``rollover_in`` in the new one). A marker row, inserted first in the transaction, makes
the whole step happen once whoever runs it; the job never acts before the term's end, and the
reconciler owes it again for every ended term without a marker (a flushed Redis, a worker
that died, terms that ended while nothing ran), oldest first. What happened is kept in the
marker's value and shows in the balance ("3 rolled over from 2026") and the monthly usage
summary; nothing is posted, so catching up on old terms after an outage is silent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from supportbot.contracts.customers import Customer
from supportbot.contracts.plans import Plan, Term
from supportbot.db.ledger import LedgerEntry
from supportbot.db.models import KeyValue
from supportbot.delivery import effects, job_ids
from supportbot.delivery.kinds import PLAN_TERM_END
from supportbot.plans import ledger
from supportbot.plans.balance import UNIT, term_key
from supportbot.plans.cards import resync_open_cards
from supportbot.plans.charging import hours_text
from supportbot.runtime import Runtime, get_runtime

log = logging.getLogger(__name__)
MARK = "plan-term-end"


def marker(customer: Customer, plan: Plan, term: Term) -> str:
    return f"{MARK}:{customer.key}:{plan.key}:{term_key(term)}"


def ended_terms(customer: Customer, plan: Plan, now: datetime) -> list[Term]:
    """Terms of ``plan`` whose end has come, oldest first."""
    ended = [t for t in plan.terms if t.ends_at(customer.timezone) <= now]
    return sorted(ended, key=lambda t: t.start)


@PLAN_TERM_END.runs
def term_end(customer_key: str, plan_key: str) -> int:
    """Close every ended term of one plan not closed yet; returns how many it closed."""
    rt = get_runtime()
    customer = rt.contracts.by_key(customer_key)
    plan = next((p for p in customer.plans if p.key == plan_key), None) if customer else None
    if customer is None or plan is None:
        log.warning("plan_term_end: %s/%s is no longer in the contracts", customer_key, plan_key)
        return 0
    closed = 0
    for term in ended_terms(customer, plan, rt.now()):
        closed += close_term(rt, customer, plan, term)
    return closed


def close_term(rt: Runtime, customer: Customer, plan: Plan, term: Term) -> int:
    """One term's rollover and expiry, in one transaction; 0 if it was closed before."""
    if rt.now() < term.ends_at(customer.timezone):
        return 0  # never early
    try:
        with rt.session() as session:
            # The charges' lock: a charge timed before the end that is still in flight
            # commits first and is counted; one after waits and reads a later instant.
            ledger.lock_balance(session, customer.key, plan.key)
            session.add(KeyValue(key=marker(customer, plan, term), value="", updated_at=rt.now()))
            session.flush()  # first: a second runner stops here, before any entry
            left = max(0, ledger.balance(session, customer, plan, _inside(customer, term)).left)
            following = plan.next_term(term)
            rolled = min(left, _cap(plan)) if following is not None else 0
            end, why = term.ends_at(customer.timezone), f"end of term {term.label}"
            _entries(session, customer, plan, term, following, (rolled, left - rolled), end, why)
            text = _said(customer, plan, term, rolled, left - rolled)
            marker_row = session.get(KeyValue, marker(customer, plan, term))
            assert marker_row is not None
            marker_row.value = text
            # The open cards still show the closed term's balance: show them again.
            resync_open_cards(session, customer.key)
    except IntegrityError:
        return 0
    log.info("closed term: %s", text)
    return 1


def _inside(customer: Customer, term: Term) -> datetime:
    """An instant inside ``term`` (its start), to read its balance after it ended."""
    return term.starts_at(customer.timezone)


def _cap(plan: Plan) -> int:
    # Hours are counted in minutes in the ledger; the cap is written in the plan's units.
    return plan.rollover_cap * (60 if UNIT[plan.kind] == "minute" else 1)


def _entries(
    session: Session,
    customer: Customer,
    plan: Plan,
    term: Term,
    following: Term | None,
    split: tuple[int, int],
    at: datetime,
    reason: str,
    *,
    once: bool = True,
) -> None:
    """The close's entries: ``split`` is (rolled over, expired). ``once``: the term's own
    close (deduplicated by its marker); else a correction of it, written as often as owed."""
    key = marker(customer, plan, term)
    rolled, expired = split
    rows = [("rollover_out", rolled, term), ("expiry", expired, term)]
    if following is not None:
        rows.append((ledger.ROLLED_IN, -rolled, following))
    for kind, quantity, where in rows:
        entry = ledger.Entry(
            customer=customer.key, plan=plan.key, kind=kind, unit=UNIT[plan.kind],
            quantity=quantity, person="supportbot", at=at, term=term_key(where),
            reason=reason, dedupe=f"{key}:{kind}" if once else None,
        )  # fmt: skip
        ledger.append(session, entry)


def given_back(
    session: Session, rt: Runtime, customer: Customer, plan: Plan, key: str | None, why: str
) -> list[str]:
    """Units given back to a term already closed (a charge of it waived after its end) roll
    on as its close rolled its other units: into the next term up to what is left of the
    cap, the rest expire, in entries of their own with ``why`` (on into the term after when
    that one was closed too). Called under the plan's balance lock, after the waiver's
    entries; returns what happened, for the person. A term not closed yet: its close, which
    takes the same lock, counts the units itself."""
    said: list[str] = []
    term = next((t for t in plan.terms if term_key(t) == key), None)
    while term is not None and session.get(KeyValue, marker(customer, plan, term)) is not None:
        left = ledger.balance(session, customer, plan, _inside(customer, term)).left
        if left <= 0:
            break
        following = plan.next_term(term)
        room = max(0, _cap(plan) - _rolled_out(session, customer, plan, term))
        rolled = min(left, room) if following is not None else 0
        reason = f"{why}, waived after the end of term {term.label}"
        _entries(
            session, customer, plan, term, following, (rolled, left - rolled), rt.now(),
            reason, once=False,
        )  # fmt: skip
        said.append(_given_back_text(plan, term, following, rolled, left - rolled))
        term = following
    return said


def _rolled_out(session: Session, customer: Customer, plan: Plan, term: Term) -> int:
    query = select(func.coalesce(func.sum(LedgerEntry.quantity), 0)).where(
        LedgerEntry.customer == customer.key,
        LedgerEntry.plan == plan.key,
        LedgerEntry.term == term_key(term),
        LedgerEntry.kind == "rollover_out",
    )
    return int(session.scalar(query) or 0)


def _given_back_text(
    plan: Plan, term: Term, following: Term | None, rolled: int, expired: int
) -> str:
    amount = _amount(plan)
    into = f"{amount(rolled)} rolled over into {following.label}, " if following else ""
    return f"The term {term.label} had ended: {into}{amount(expired)} expired."


def _amount(plan: Plan) -> Callable[[int], str]:
    def amount(n: int) -> str:
        if UNIT[plan.kind] == "minute":
            return hours_text(n)
        return f"{n} incident{'s' if n != 1 else ''}"

    return amount


def _said(customer: Customer, plan: Plan, term: Term, rolled: int, expired: int) -> str:
    amount = _amount(plan)
    return (
        f"{customer.name}: the {plan.kind.value.replace('_', ' ')} term {term.label} ended; "
        f"{amount(rolled)} rolled over, {amount(expired)} expired."
    )


def redrive(rt: Runtime) -> int:
    """Redriver: owe the term-end job of every plan with an ended term not yet closed."""
    now = rt.now()
    owed = 0
    with rt.session() as session:
        done = set(session.scalars(select(KeyValue.key).where(KeyValue.key.like(f"{MARK}:%"))))
        for customer in rt.contracts.customers:
            for plan in customer.plans:
                ended = ended_terms(customer, plan, now)
                if any(marker(customer, plan, t) not in done for t in ended):
                    job = job_ids.plan_term_end(customer.key, plan.key)
                    effects.owe(session, PLAN_TERM_END, customer.key, plan.key, job_id=job)
                    owed += 1
    return owed
