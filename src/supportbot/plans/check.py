"""``supportbot check`` for the plans ledger: charges under a term the contracts file no
longer has.

A ledger entry names its term by the term's start date. A term whose ``start`` was moved in
the contracts file after charges were made under it is a new term to the ledger: the
charges stop counting and the balance reads as if nothing had been used. Said here, with
what to do; the database being away is the service checks' to say.
"""

from __future__ import annotations

from sqlalchemy import func, inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from supportbot.check import Report, database_url_problem
from supportbot.contracts.customers import Contracts, load_contracts
from supportbot.datafiles import DataFileError
from supportbot.db.engine import make_engine
from supportbot.db.ledger import LedgerEntry
from supportbot.plans.balance import term_key
from supportbot.settings import Settings


def check_ledger_terms(settings: Settings, report: Report) -> None:
    if database_url_problem(settings) or not settings.contracts_file.exists():
        return  # said by the service and file checks
    try:
        contracts = load_contracts(settings.contracts_file)
    except DataFileError:
        return  # its problems are listed by the file check
    engine = make_engine(settings.sqlalchemy_url)
    try:
        if not inspect(engine).has_table(LedgerEntry.__tablename__):
            return
        with Session(engine) as session:
            report.problems.extend(orphaned_terms(session, contracts, str(settings.contracts_file)))
    except SQLAlchemyError:
        report.notes.append("plan terms not checked against the ledger: the database is away")
    finally:
        engine.dispose()


def orphaned_terms(session: Session, contracts: Contracts, path: str) -> list[str]:
    """One problem per (customer, plan, term) the ledger holds entries under and the file
    no longer has."""
    rows = session.execute(
        select(LedgerEntry.customer, LedgerEntry.plan, LedgerEntry.term, func.count())
        .where(LedgerEntry.term.is_not(None))
        .group_by(LedgerEntry.customer, LedgerEntry.plan, LedgerEntry.term)
        .order_by(LedgerEntry.customer, LedgerEntry.plan, LedgerEntry.term)
    ).all()
    found = []
    for customer_key, plan_key, term, count in rows:
        customer = contracts.by_key(customer_key)
        plan = next((p for p in customer.plans if p.key == plan_key), None) if customer else None
        if plan is None:
            continue  # a customer or plan removed: its ledger is history, nothing counts on
        if term in {term_key(t) for t in plan.terms}:
            continue
        found.append(
            f"{path}: customer {customer_key} plan {plan_key}: the ledger has {count} "
            f"entr{'y' if count == 1 else 'ies'} under the term starting {term}, which the "
            "file no longer has (was its start moved?); they no longer count in any balance. "
            f"Put the start back to {term}, or end that term and begin a new one after it"
        )
    return found
