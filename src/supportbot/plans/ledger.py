"""The ledger: append entries, derive balances. Entries are never updated or deleted.

Every write is an INSERT, so any number of processes may log time on one incident at once
and the sums stay exact; what must happen once (a turnover charge, a rollover) carries a
``dedupe`` key and is written inside a savepoint, so a duplicate is a no-op, not an error
that aborts the caller's transaction.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from supportbot.contracts.customers import Customer
from supportbot.contracts.plans import Plan, PlanKind
from supportbot.db.ledger import LedgerEntry
from supportbot.plans.balance import Balance, Usage, active_plans, term_key

# Entries that move a term's balance. Overage is counted apart (beyond the balance), and
# incidents rolled in add to the term's total rather than to what was used.
ROLLED_IN = "rollover_in"
OVERAGE = "overage"
WAIVER, REFUND = "waiver", "refund"


@dataclass(frozen=True)
class Entry:
    """What to append; ``at`` and ``person`` say when and who."""

    customer: str
    plan: str
    kind: str
    unit: str
    quantity: int
    person: str
    at: datetime
    term: str | None = None
    incident_id: int | None = None
    task_id: int | None = None
    minutes: int = 0
    amount: Decimal | None = None
    currency: str | None = None
    corrects: int | None = None
    reason: str | None = None
    note: str = ""
    dedupe: str | None = None


def append(session: Session, entry: Entry) -> LedgerEntry | None:
    """Append one entry; None when its ``dedupe`` key was written before."""
    row = LedgerEntry(**entry.__dict__)
    if entry.dedupe is None:
        session.add(row)
        session.flush()
        return row
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return row


def lock_balance(session: Session, customer: str, plan: str) -> None:
    """Hold one plan's balance until this transaction ends, so two charges on two incidents
    cannot both spend the last unit, and a term's end (:mod:`supportbot.plans.rollover`)
    waits for a charge in flight and a charge for the close: an advisory lock on PostgreSQL;
    on SQLite, the database's single write lock, taken now (before the balance is read) by a
    write statement that changes nothing. One lock per plan, not per term: a charge read
    just before a term's end and the job closing it must meet on the same lock."""
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(f"{customer}:{plan}".encode()) - 2**31
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    else:
        session.execute(text("UPDATE kv_state SET key = key WHERE 1 = 0"))


def entries_for_incident(session: Session, incident_id: int) -> list[LedgerEntry]:
    query = select(LedgerEntry).where(LedgerEntry.incident_id == incident_id)
    return list(session.scalars(query.order_by(LedgerEntry.id)))


def usage(session: Session, customer: str, plan: str, **where: Any) -> Usage:
    """Sums over the plan's entries: of one term (``term=``) or a period (``since``,
    ``until``); with ``written_by``, only the entries written by then.

    A waiver or refund gives back what the entry it corrects took: units of the plan for a
    charge, units over it for an overage (counted as a unit of the plan, a waived overage
    refilled an exhausted pack, and the next incident was taken from it unbilled)."""
    corrected = aliased(LedgerEntry)
    query = (
        select(
            LedgerEntry.kind,
            corrected.kind,
            func.sum(LedgerEntry.quantity),
            func.sum(LedgerEntry.amount),
        )
        .outerjoin(corrected, corrected.id == LedgerEntry.corrects)
        .where(LedgerEntry.customer == customer, LedgerEntry.plan == plan)
    )
    if "term" in where:
        query = query.where(LedgerEntry.term == where["term"])
    if "since" in where:
        query = query.where(LedgerEntry.at >= where["since"], LedgerEntry.at < where["until"])
    if where.get("written_by") is not None:
        query = query.where(LedgerEntry.at <= where["written_by"])
    used = rolled = over = waived = 0
    amount = Decimal(0)
    grouped = query.group_by(LedgerEntry.kind, corrected.kind)
    for kind, corrects, quantity, money in session.execute(grouped):
        quantity = int(quantity or 0)
        amount += Decimal(money or 0)
        if kind in (WAIVER, REFUND):
            waived -= quantity
            if corrects == OVERAGE:
                over += quantity
            else:
                used += quantity
        elif kind == ROLLED_IN:
            rolled -= quantity
        elif kind == OVERAGE:
            over += quantity
        else:
            used += quantity
    return Usage(used, rolled, over, amount, waived)


def month_bounds(customer: Customer, at: datetime) -> tuple[datetime, datetime]:
    """The calendar month holding ``at``, local midnight to local midnight in the
    customer's zone."""
    zone = ZoneInfo(customer.timezone)
    local = at.astimezone(zone)
    start = datetime.combine(local.date().replace(day=1), time(0), zone)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    end = datetime.combine(local.date().replace(year=year, month=month, day=1), time(0), zone)
    return start, end


def balance(
    session: Session, customer: Customer, plan: Plan, at: datetime, *, as_of: bool = False
) -> Balance:
    """The balance of the term (or month) holding ``at``: every entry of it, or with
    ``as_of`` only those written by ``at`` (a month's end in a report read later in the
    term; the desk reads the whole term, which the covering index serves alone)."""
    zone = customer.timezone
    by = at if as_of else None
    if plan.kind in (PlanKind.INCIDENT_PACK, PlanKind.PREPAID_HOURS):
        term = plan.term_at(at, zone)
        found = usage(session, customer.key, plan.key, term=term_key(term), written_by=by)
        earlier = [t for t in plan.terms if term is not None and plan.next_term(t) == term]
        previous = earlier[0].label if earlier else None
        return Balance(customer, plan, term, found, previous)
    since, until = month_bounds(customer, at)
    found = usage(session, customer.key, plan.key, since=since, until=until, written_by=by)
    return Balance(customer, plan, None, found)


def balances(
    session: Session, customer: Customer, at: datetime, *, as_of: bool = False
) -> list[Balance]:
    """Every active plan's balance at ``at``, in the contract's order."""
    return [
        balance(session, customer, plan, at, as_of=as_of) for plan in active_plans(customer, at)
    ]
