"""The monthly usage summary of one customer: what was used, by incident and task, what was
waived, rolled over and expired, and the balance at the month's end.

The month runs from local midnight to local midnight in the customer's zone (like the SLA
report); an entry counts in the month it was written. Customer-safe: incident keys and
titles (the customer's own words, shown inert), units, money and waiver reasons, never who
logged the time or their notes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot.contracts.currency import money_text
from supportbot.contracts.customers import Customer
from supportbot.db.ledger import LedgerEntry, TaskEstimate
from supportbot.db.models import Incident
from supportbot.plans import ledger
from supportbot.plans.balance import UNIT
from supportbot.plans.charging import hours_text
from supportbot.wording import inert

_CORRECTIONS = (ledger.WAIVER, ledger.REFUND)
_TERM_END = ("rollover_out", "expiry", ledger.ROLLED_IN)


@dataclass
class Line:
    """One incident (or task) of the month."""

    plan: str
    incident: str
    title: str
    task_minutes: int | None  # the approved estimate, for prepaid-hours work
    unit: str
    used: int = 0
    minutes_worked: int = 0
    over: int = 0
    waived: int = 0
    amount: Decimal = Decimal(0)
    reasons: list[str] = field(default_factory=list)


@dataclass
class PlanTotal:
    plan: str
    unit: str
    used: int = 0
    waived: int = 0
    over: int = 0
    rolled_over: int = 0
    expired: int = 0
    amount: Decimal = Decimal(0)
    balance: str = ""


@dataclass(frozen=True)
class Summary:
    customer: Customer
    month: date
    lines: list[Line]
    totals: list[PlanTotal]
    currency: str | None


def month_bounds(customer: Customer, month: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(customer.timezone)
    start = datetime.combine(month.replace(day=1), time(0), zone)
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start, datetime.combine(following, time(0), zone)


def summarise(session: Session, customer: Customer, month: date) -> Summary:
    start, end = month_bounds(customer, month)
    rows = list(
        session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.customer == customer.key)
            .where(LedgerEntry.at >= start, LedgerEntry.at < end)
            .order_by(LedgerEntry.id)
        )
    )
    titles = _titles(session, {r.incident_id for r in rows if r.incident_id is not None})
    tasks = _tasks(session, {r.task_id for r in rows if r.task_id is not None})
    lines: dict[tuple[str, int], Line] = {}
    totals: dict[str, PlanTotal] = {}
    for row in rows:
        total = totals.setdefault(row.plan, PlanTotal(row.plan, row.unit))
        _count(total, row)
        if row.incident_id is None:
            continue
        line = lines.get((row.plan, row.incident_id))
        if line is None:
            line = lines[(row.plan, row.incident_id)] = Line(
                row.plan, f"INC-{row.incident_id}", titles.get(row.incident_id, ""),
                tasks.get(row.task_id) if row.task_id else None, row.unit,
            )  # fmt: skip
        _add(line, row)
    for plan in customer.plans:
        if plan.key in totals or plan.metered:
            total = totals.setdefault(plan.key, PlanTotal(plan.key, UNIT[plan.kind]))
            total.balance = ledger.balance(
                session, customer, plan, end - timedelta(microseconds=1), as_of=True
            ).text()
    currency = next((p.currency for p in customer.plans if p.currency), None)
    return Summary(customer, month, list(lines.values()), list(totals.values()), currency)


def _count(total: PlanTotal, row: LedgerEntry) -> None:
    total.amount += row.amount or Decimal(0)
    if row.kind == "rollover_out":
        total.rolled_over += row.quantity
    elif row.kind == "expiry":
        total.expired += row.quantity
    elif row.kind == ledger.OVERAGE:
        total.over += row.quantity
    elif row.kind in _CORRECTIONS:
        total.waived -= row.quantity
    elif row.kind != ledger.ROLLED_IN:
        total.used += row.quantity


def _add(line: Line, row: LedgerEntry) -> None:
    line.amount += row.amount or Decimal(0)
    if row.kind in _CORRECTIONS:
        line.waived -= row.quantity
        if row.reason and row.reason not in line.reasons:
            line.reasons.append(row.reason)
    elif row.kind == ledger.OVERAGE:
        line.over += row.quantity
    elif row.kind not in _TERM_END:
        line.used += row.quantity
        line.minutes_worked += row.minutes


def _titles(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    query = select(Incident.id, Incident.title).where(Incident.id.in_(ids))
    return {number: title for number, title in session.execute(query)}


def _tasks(session: Session, ids: set[int]) -> dict[int, int]:
    if not ids:
        return {}
    query = select(TaskEstimate.id, TaskEstimate.minutes).where(TaskEstimate.id.in_(ids))
    return {number: minutes for number, minutes in session.execute(query)}


def units_text(unit: str, amount: int) -> str:
    if unit == "minute":
        return hours_text(amount)
    if unit == "agent_minute":
        return f"{amount} agent-min"
    return f"{amount} incident{'s' if amount != 1 else ''}"


def grouped(summary: Summary) -> dict[str, list[Line]]:
    by_plan: dict[str, list[Line]] = defaultdict(list)
    for line in summary.lines:
        by_plan[line.plan].append(line)
    return by_plan


def customer_text(summary: Summary) -> str:
    """The post for the customer's shared channel: their own incidents, units and balance."""
    name, month = summary.customer.name, summary.month.strftime("%B %Y")
    out = [f"*Support usage for {name}, {month}*"]
    for total in summary.totals:
        bits = [f"used {units_text(total.unit, total.used)}"]
        bits += [f"waived {units_text(total.unit, total.waived)}"] if total.waived else []
        bits += [f"over {units_text(total.unit, total.over)}"] if total.over else []
        bits += [f"rolled over {units_text(total.unit, total.rolled_over)}"] * bool(
            total.rolled_over
        )
        bits += [f"expired {units_text(total.unit, total.expired)}"] if total.expired else []
        bits += [money_text(total.amount, summary.currency)] if total.amount else []
        out.append(f"• {total.plan.replace('_', ' ')}: {', '.join(bits)}. {total.balance}")
    for line in summary.lines:
        waived = f" (waived: {', '.join(line.reasons)})" if line.reasons else ""
        task = f", estimate {hours_text(line.task_minutes)}" if line.task_minutes else ""
        out.append(
            f"  – {line.incident} {inert(line.title)}: {units_text(line.unit, line.used)}"
            f"{task}{waived}"
        )
    return "\n".join(out)
