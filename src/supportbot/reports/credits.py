"""SLA credits of seed 004, with the evidence of each line: pure.

- A Critical (Severity 1) response later than 1 h: 5,000.00 per incident; a High
  (Severity 2) response later than 4 h: 2,500.00 per incident (USD).
- "Later than" is measured on the clock the contract's response target runs on: the wall
  clock for a 24x7 target, the customer's business hours otherwise (a business-hours target
  starts at the next opening), so a credit never contradicts the clock the customer was sold.
- A severity changed before the response: each severity is judged while it applied, from
  the opening. A Severity 1 left unanswered past its hour and then downgraded still owes
  its credit (staff who find it was never critical waive it, with a reason, on the record);
  one downgraded before its hour ran out owes none. An incident owes one credit at most:
  the largest of those it missed.
- The amounts and limits are the contract's (``credits:`` in ``contracts/customers.yaml``,
  :mod:`supportbot.contracts.credit_terms`); the seed's figures are the defaults.
- Availability credits, waivers and the cap are per customer: :mod:`.statement`.
- Money is ``Decimal``, quantised to the cent with ROUND_HALF_UP on each line (see
  :func:`percent_of`), then summed; the total of exact lines needs no further rounding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from supportbot.contracts.credit_terms import DEFAULT_TERMS, CreditTerms, ResponseCredit
from supportbot.contracts.currency import rounded
from supportbot.hours.calendar import TimeBasis
from supportbot.reports.records import IncidentRecord, Period, within
from supportbot.sla.deadlines import due_with_pauses, first_late_instant, is_late

CENT = Decimal("0.01")
CURRENCY = "USD"
TermsOf = Callable[[str], CreditTerms]


def default_terms(customer: str) -> CreditTerms:
    return DEFAULT_TERMS


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
    currency: str = CURRENCY


@dataclass(frozen=True)
class Credits:
    customer: str | None
    period: Period
    lines: tuple[CreditLine, ...]
    undecided: tuple[str, ...]  # no response yet and not yet late: no verdict

    @property
    def currencies(self) -> tuple[str, ...]:
        return tuple(sorted({line.currency for line in self.lines}))

    @property
    def total(self) -> Decimal:
        """The sum of the lines, before waivers and caps (statement.py), in one currency."""
        if len(self.currencies) > 1:
            raise ValueError("credit lines in several currencies have no single total")
        currency = self.currencies[0] if self.currencies else None
        return money(sum((line.amount for line in self.lines), Decimal(0)), currency)


def money(value: Decimal, currency: str | None = None) -> Decimal:
    """To the currency's unit, half up: 123.455 → 123.46 (USD), 1234.5 → 1235 (JPY)."""
    return rounded(value, currency)


def percent_of(fee: Decimal, percent: Decimal, currency: str | None = None) -> Decimal:
    """``percent`` % of ``fee``, to the currency's unit, half up (the rule for availability
    credits)."""
    return money(fee * percent / Decimal(100), currency)


def credit_due(
    incident: IncidentRecord, rule: ResponseCredit, basis: TimeBasis | None = None
) -> datetime | None:
    """When the response was due for the credit (on ``basis``, by default the incident's
    response basis); None while the request is still held waiting on the customer (its wait
    does not count)."""
    basis = incident.response_basis if basis is None else basis
    if not incident.held:
        return basis.add(incident.opened_at, rule.within)
    return due_with_pauses(basis, incident.opened_at, rule.within, incident.held)


def credit_line(
    incident: IncidentRecord, as_of: datetime, terms: CreditTerms = DEFAULT_TERMS
) -> CreditLine | str | None:
    """A credit line if the response was late under a severity the incident had while it was
    late; the key if it cannot be judged yet (no response, and its severity's credit may
    still fall due)."""
    if incident.customer is None:
        return None
    actual = incident.first_response_at
    end = actual if actual is not None else as_of
    spans = incident.severity_spans()
    missed: list[tuple[ResponseCredit, datetime]] = []
    for index, span in enumerate(spans):
        if index and span.since >= end:
            break  # took this severity after the response (or after as_of)
        rule = terms.response_rule(span.severity)
        due = None if rule is None else credit_due(incident, rule, span.response_basis)
        if rule is None or due is None:
            continue
        following = spans[index + 1].since if index + 1 < len(spans) else None
        if following is None or following > end:
            late = is_late(due, end)  # still this severity when answered (or at as_of)
        else:  # late while it had this severity: its first late instant came before the change
            late = first_late_instant(due) < following
        if late:
            missed.append((rule, due))
    if not missed:
        current = terms.response_rule(spans[-1].severity)
        return None if actual is not None or current is None else incident.key
    rule, due = max(missed, key=lambda found: (found[0].amount, -found[0].severity))
    name = f"Severity {rule.severity} response within {_hours(rule.within)}"
    return CreditLine(
        incident.key, incident.customer, rule.severity, name, incident.opened_at,
        due, actual, end - due, money(rule.amount, terms.currency), terms.currency,
    )  # fmt: skip


def _hours(value: timedelta) -> str:
    minutes = int(value.total_seconds() // 60)
    return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min"


def credits(
    incidents: Iterable[IncidentRecord],
    period: Period,
    as_of: datetime,
    customer: str | None,
    terms_of: TermsOf = default_terms,
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
        verdict = credit_line(incident, as_of, terms_of(incident.customer or ""))
        if isinstance(verdict, CreditLine):
            lines.append(verdict)
        elif isinstance(verdict, str):
            undecided.append(verdict)
    lines.sort(key=lambda line: (line.customer, line.opened_at, line.key))
    return Credits(customer, period, tuple(lines), tuple(sorted(undecided)))
