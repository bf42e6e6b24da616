"""What the dashboard shows, from the same reports code as the CLI and Slack (one source).

Staff get every customer; a designated contact gets only their own organisation's figures,
and the customer-safe form of them (no waiver reasons, no internal notes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from supportbot.contracts.customers import Customer
from supportbot.db.models import Incident
from supportbot.plans import ledger
from supportbot.reports import render, render_credits
from supportbot.reports.figures import Figures, grouped
from supportbot.reports.load import load_records
from supportbot.reports.monthly import statements
from supportbot.reports.records import Period
from supportbot.reports.statement import Statement
from supportbot.runtime import Runtime

TABLES = ("sla", "breaches", "credits")
CREDIT_KEYS = ("period", "credit", "availability", "waiver", "cap")


@dataclass(frozen=True)
class View:
    period: Period
    as_of: datetime
    groups: dict[tuple[str, str], Figures]
    reports: list[Statement]
    open_by_severity: dict[int, int]

    @property
    def overall(self) -> Figures:
        return self.groups[("overall", "all")]

    def customer(self, key: str) -> Figures | None:
        return self.groups.get(("customer", key))

    def statement(self, key: str) -> Statement | None:
        return next((r for r in self.reports if r.customer == key), None)


def _open_now(session: Session, customer: str | None) -> dict[int, int]:
    query = select(Incident.severity, func.count()).where(Incident.resolved_at.is_(None))
    if customer is not None:
        query = query.where(Incident.customer == customer)
    found = {sev: n for sev, n in session.execute(query.group_by(Incident.severity))}
    return {s: int(found.get(s, 0)) for s in (1, 2, 3, 4)}


def load(rt: Runtime, period: Period, customer: Customer | None) -> View:
    """Everything one page needs, read once; ``customer`` None means every customer."""
    key = customer.key if customer else None
    now = rt.now()
    with rt.session() as session:
        records = load_records(session, rt.contracts, period, key)
        reports = statements(session, rt.contracts, period, now, key, records)
        open_now = _open_now(session, key)
    return View(period, now, grouped(records, period, now), reports, open_now)


def balances(rt: Runtime, customer: Customer, period: Period) -> tuple[str, list[str]]:
    """The customer's plan balances in the words of the card and ``/sla``: now during the
    month shown, at its last instant once it has ended (as the usage report reads them),
    none for a month to come. Read apart from the cached view: a log shows at once."""
    start, end = period.bounds(customer.timezone)
    now = rt.now()
    if not customer.plans or now < start:
        return "", []
    at = min(now, end - timedelta(microseconds=1))
    with rt.session() as session:
        lines = [b.text() for b in ledger.balances(session, customer, at, as_of=True)]
    return ("now" if at == now else f"at the end of {period.label}"), lines


def csv_table(view: View, table: str, *, staff: bool) -> str:
    """One table as CSV, its definitions first (as the CLI writes it)."""
    title = f"supportbot {table} {view.period.label}, as of {view.as_of.isoformat()}"
    if table == "sla":
        rows = [render.sla_row(g, n, f) for (g, n), f in view.groups.items()]
        return render.to_csv(title, rows, render.SLA_COLUMNS, render.SLA_KEYS)
    if table == "breaches":
        columns = ("incident", "customer", "severity", "target", "due_at", "actual_at",
                   "late_by_s")  # fmt: skip
        return render.to_csv(title, render.breach_rows(view.groups), columns, ("period",))
    rows = [row for report in view.reports for row in credit_rows(report, staff=staff, csv=True)]
    # The notes the CLI's CSV carries (a month not over, a contract without a fee), for staff
    # as on the page.
    notes = render_credits.notes(view.reports) if staff else ()
    return render.to_csv(title, rows, render_credits.LINE_COLUMNS, CREDIT_KEYS, notes)


def credit_rows(report: Statement, *, staff: bool, csv: bool = False) -> list[dict[str, Any]]:
    """The statement's lines (``csv``: with the cap as a line, so the amounts add up)."""
    rows = (render_credits.csv_rows if csv else render_credits.line_rows)(report)
    if not staff:  # customer-safe: whether a line was waived, never why or by whom
        for row in rows:
            row["waiver_reason"] = row["waived_by"] = None
    return rows
