"""SLA credits of seed 004, with the evidence of each line: pure.

- A Critical (Severity 1) response later than 1 h: 5,000.00 per incident; a High
  (Severity 2) response later than 4 h: 2,500.00 per incident (USD).
- "Later than" is measured on the clock the contract's response target runs on: the wall
  clock for a 24x7 target, the customer's business hours otherwise (a business-hours target
  starts at the next opening), so a credit never contradicts the clock the customer was sold.
- Availability credits (below 99.9 / 99.5 / 99.0 %: 10 / 25 / 50 % of the monthly fee, the
  total capped at 100 % of the fee) need a monthly fee and availability figures, which the
  contracts do not carry yet: they are not computed, and every report says so.
- Money is ``Decimal``, quantised to the cent with ROUND_HALF_UP on each line (see
  :func:`percent_of`), then summed; the total of exact lines needs no further rounding.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from supportbot.reports.records import IncidentRecord, Period, within

CENT = Decimal("0.01")
CURRENCY = "USD"
AVAILABILITY_NOTE = (
    "availability credits (below 99.9 %, 99.5 %, 99.0 %: 10 %, 25 %, 50 % of the monthly "
    "fee, capped at 100 %) are not computed: the contracts carry no monthly fee and no "
    "availability figures"
)


@dataclass(frozen=True)
class CreditRule:
    severity: int
    name: str
    within: timedelta
    amount: Decimal


RULES = {
    1: CreditRule(1, "Critical response within 1 h", timedelta(hours=1), Decimal("5000.00")),
    2: CreditRule(2, "High response within 4 h", timedelta(hours=4), Decimal("2500.00")),
}


@dataclass(frozen=True)
class CreditLine:
    """One credit owed, with its evidence."""

    key: str
    customer: str
    severity: int
    target: str
    opened_at: datetime
    due_at: datetime
    actual_at: datetime | None  # None: still no response at the report's instant
    late_by: timedelta
    amount: Decimal


@dataclass(frozen=True)
class Credits:
    customer: str | None
    period: Period
    lines: tuple[CreditLine, ...]
    undecided: tuple[str, ...]  # no response yet and not yet late: no verdict
    currency: str = CURRENCY
    notes: tuple[str, ...] = (AVAILABILITY_NOTE,)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00")).quantize(CENT)


def money(value: Decimal) -> Decimal:
    """To the cent, half up: 123.455 → 123.46, 123.454 → 123.45."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def percent_of(fee: Decimal, percent: Decimal) -> Decimal:
    """``percent`` % of ``fee``, to the cent, half up (the rule for availability credits)."""
    return money(fee * percent / Decimal(100))


def credit_due(incident: IncidentRecord, rule: CreditRule) -> datetime:
    return incident.response_basis.add(incident.opened_at, rule.within)


def credit_line(incident: IncidentRecord, as_of: datetime) -> CreditLine | str | None:
    """A credit line if the response was late; the key if it cannot be judged yet."""
    rule = RULES.get(incident.severity)
    if rule is None or incident.customer is None:
        return None
    due = credit_due(incident, rule)
    actual = incident.first_response_at
    end = actual if actual is not None else as_of
    if end <= due:
        return None if actual is not None else incident.key
    return CreditLine(
        incident.key, incident.customer, incident.severity, rule.name, incident.opened_at,
        due, actual, end - due, money(rule.amount),
    )  # fmt: skip


def credits(
    incidents: Iterable[IncidentRecord], period: Period, as_of: datetime, customer: str | None
) -> Credits:
    """Credits for incidents of ``customer`` (all customers when None) opened in ``period``
    in their customer's zone, judged at ``as_of``."""
    lines: list[CreditLine] = []
    undecided: list[str] = []
    for incident in incidents:
        if customer is not None and incident.customer != customer:
            continue
        if not within(incident.opened_at, period.bounds(incident.zone)):
            continue
        verdict = credit_line(incident, as_of)
        if isinstance(verdict, CreditLine):
            lines.append(verdict)
        elif isinstance(verdict, str):
            undecided.append(verdict)
    lines.sort(key=lambda line: (line.customer, line.opened_at, line.key))
    return Credits(customer, period, tuple(lines), tuple(sorted(undecided)))
