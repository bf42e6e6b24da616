"""Which plan applies, and what is left of it: pure, from a plan and the sums of its entries.

A customer may hold several plans at once (KMSI: an agreement for incidents plus prepaid
hours for specialist tasks). The plan charged when a request is turned over is the first
active per-incident or pack plan; time is logged against prepaid hours first (only the work of a
task whose estimate was approved: any other time goes on down the order), then per-minute,
per-incident and pack plans, and is only recorded under an agreement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from supportbot.contracts.currency import money_text
from supportbot.contracts.customers import Customer
from supportbot.contracts.plans import Plan, PlanKind, Term
from supportbot.plans.charging import hours_text

UNIT = {
    PlanKind.AGREEMENT: "minute",
    PlanKind.PER_INCIDENT: "incident",
    PlanKind.PER_MINUTE: "agent_minute",
    PlanKind.INCIDENT_PACK: "incident",
    PlanKind.PREPAID_HOURS: "minute",
}
_TIME_ORDER = (
    PlanKind.PREPAID_HOURS,
    PlanKind.PER_MINUTE,
    PlanKind.PER_INCIDENT,
    PlanKind.INCIDENT_PACK,
    PlanKind.AGREEMENT,
)
NOTICE_AT = Decimal("0.8")  # the triage channel and the contacts hear at 80 % used


def active_plans(customer: Customer, at: datetime) -> list[Plan]:
    return [p for p in customer.plans if p.active_at(at, customer.timezone)]


def incident_plan(customer: Customer, at: datetime) -> Plan | None:
    """The plan charged one incident when a request is turned over to the support team."""
    kinds = (PlanKind.PER_INCIDENT, PlanKind.INCIDENT_PACK)
    return next((p for p in active_plans(customer, at) if p.kind in kinds), None)


def time_plan(customer: Customer, at: datetime, *, task: bool = True) -> Plan | None:
    """The plan time is logged against (None: no plan, time is not recorded in a ledger).
    ``task=False``: the work is no task with an approved estimate, which prepaid hours
    alone pay for, so it goes to the next plan in the order."""
    active = active_plans(customer, at)
    for kind in _TIME_ORDER if task else _TIME_ORDER[1:]:
        found = next((p for p in active if p.kind is kind), None)
        if found is not None:
            return found
    return None


def needs_deposit(customer: Customer, at: datetime) -> Plan | None:
    """The per-minute plan whose deposit (or card) is required and missing, if any."""
    for plan in active_plans(customer, at):
        if plan.kind is PlanKind.PER_MINUTE and plan.deposit_required:
            if plan.deposit is None or plan.deposit.amount <= 0:
                return plan
    return None


def deposit_text(customer_name: str) -> str:
    return (
        f"{customer_name}'s support is billed per minute and needs a prepaid deposit (or a "
        "card on file) before a question can be answered. No deposit is on file, so no "
        "request was opened. Your account manager can set one up."
    )


def term_key(term: Term | None) -> str | None:
    return term.start.isoformat() if term else None


@dataclass(frozen=True)
class Usage:
    """Sums of one plan's entries in one term (pack, hours) or month (the others)."""

    used: int = 0  # units used, corrections netted
    rolled_in: int = 0  # units carried into this term from the one before
    over: int = 0  # units used beyond an exhausted balance (overage)
    amount: Decimal = Decimal(0)
    waived: int = 0


@dataclass(frozen=True)
class Balance:
    customer: Customer
    plan: Plan
    term: Term | None
    usage: Usage
    previous: str | None = None  # the label of the term rolled over from

    @property
    def bought(self) -> int:
        if self.term is None:
            return 0
        size = self.term.size
        return int(size * 60) if self.plan.kind is PlanKind.PREPAID_HOURS else int(size)

    @property
    def total(self) -> int:
        return self.bought + self.usage.rolled_in

    @property
    def left(self) -> int:
        return self.total - self.usage.used

    @property
    def limited(self) -> bool:
        return self.plan.kind in (PlanKind.INCIDENT_PACK, PlanKind.PREPAID_HOURS)

    @property
    def fraction_used(self) -> Decimal:
        if not self.limited or self.total <= 0:
            return Decimal(0)
        return Decimal(self.usage.used) / Decimal(self.total)

    @property
    def exhausted(self) -> bool:
        return self.limited and self.left <= 0

    def _beyond(self, units: Callable[[int], str]) -> str:
        """More used than the term holds: the contract was edited to a smaller pack (or
        fewer hours) after they were used. Said, rather than a negative balance."""
        if self.left >= 0:
            return ""
        used, more = units(self.usage.used), units(-self.left)
        return f" ({used} used: {more} more than the term now holds)"

    def text(self) -> str:
        """One line for the card, ``/incident`` and ``/sla`` (customer-safe)."""
        kind, usage = self.plan.kind, self.usage
        currency = self.plan.currency
        money = f" ({money_text(usage.amount, currency)})" if usage.amount else ""
        over = f", {usage.over} over" if usage.over else ""
        if kind is PlanKind.INCIDENT_PACK:
            rolled = (
                f", {usage.rolled_in} rolled over from {self.previous}" if usage.rolled_in else ""
            )
            return (
                f"Pack: {max(0, self.left)} of {self.total} left{self._beyond(str)}{rolled}{over}"
            )
        if kind is PlanKind.PREPAID_HOURS:
            over = f", {hours_text(usage.over)} over" if usage.over else ""
            rolled = (
                f", {hours_text(usage.rolled_in)} rolled over from {self.previous}"
                if usage.rolled_in
                else ""
            )
            left, total = hours_text(max(0, self.left)), hours_text(self.total)
            return f"Hours: {left} of {total} left{self._beyond(hours_text)}{rolled}{over}"
        if kind is PlanKind.PER_MINUTE:
            deposit = self.plan.deposit
            held = (  # 0 in the file is none on file, as the intake reads it
                f"deposit {money_text(deposit.amount, self.plan.currency)}"
                if deposit and deposit.amount > 0
                else "no deposit"
            )
            return f"Per minute: {usage.used} agent-minutes this month{money}; {held}"
        if kind is PlanKind.PER_INCIDENT:
            return f"Per incident: {usage.used} charged this month{money}"
        return "Agreement: unlimited"
