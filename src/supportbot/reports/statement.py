"""One customer's credit statement for one month: every line with its evidence, waivers and
the cap. Pure.

- Lines: one per late response (its incident, opened, due and answered times) and at most one
  availability line (its outage incidents with their intervals, the maintenance windows
  removed, the availability and the band).
- A waived line stays on the statement with its reason, who waived it and when, and counts
  nothing; waivers are rows of their own (and events on the incidents' timelines), never
  edits to a line.
- Gross = the sum of the lines not waived; total = the gross capped at ``cap_percent`` % of
  the monthly fee (each amount already to the cent, so the cap is exact). Without a monthly
  fee there is no availability line and no cap, and the statement says so.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from supportbot.contracts.credit_terms import CreditTerms
from supportbot.reports.availability import Availability, band_for, met_target
from supportbot.reports.credits import CreditLine, money, percent_of
from supportbot.reports.records import Period

AVAILABILITY = "availability"
NO_FEE = (
    "no monthly fee in the contract: availability credits and the cap are not computed "
    "(add credits.monthly_fee to contracts/customers.yaml)"
)
PROVISIONAL = "the month is not over: availability and its credit so far (a floor)"


@dataclass(frozen=True)
class Waiver:
    customer: str
    month: str  # YYYY-MM
    line: str  # an incident key, or "availability"
    reason: str
    by: str
    at: datetime


@dataclass(frozen=True)
class AvailabilityLine:
    result: Availability
    percent_of_fee: Decimal  # the band's percentage
    amount: Decimal


@dataclass(frozen=True)
class Statement:
    customer: str
    period: Period
    terms: CreditTerms
    responses: tuple[CreditLine, ...]
    availability: Availability | None  # None: no fee, not computed
    availability_line: AvailabilityLine | None  # None: no band applies
    waivers: Mapping[str, Waiver]  # by line
    notes: tuple[str, ...]

    @property
    def currency(self) -> str:
        return self.terms.currency

    def amounts(self) -> list[tuple[str, Decimal]]:
        """(line, amount) of every line, waived or not."""
        out = [(line.key, line.amount) for line in self.responses]
        if self.availability_line is not None:
            out.append((AVAILABILITY, self.availability_line.amount))
        return out

    @property
    def gross(self) -> Decimal:
        kept = (amount for line, amount in self.amounts() if line not in self.waivers)
        return money(sum(kept, Decimal(0)), self.currency)

    @property
    def waived(self) -> Decimal:
        gone = (amount for line, amount in self.amounts() if line in self.waivers)
        return money(sum(gone, Decimal(0)), self.currency)

    @property
    def cap(self) -> Decimal | None:
        fee = self.terms.monthly_fee
        return None if fee is None else percent_of(fee, self.terms.cap_percent, self.currency)

    @property
    def total(self) -> Decimal:
        cap = self.cap
        return self.gross if cap is None else min(self.gross, cap)

    @property
    def capped(self) -> bool:
        return self.cap is not None and self.gross > self.cap

    @property
    def target_met(self) -> bool | None:
        return None if self.availability is None else met_target(self.availability, self.terms)


def statement(
    customer: str,
    period: Period,
    terms: CreditTerms,
    responses: Sequence[CreditLine],
    result: Availability | None,
    waivers: Sequence[Waiver],
) -> Statement:
    """The statement of ``customer``; ``result`` is ignored when the contract has no fee."""
    notes: list[str] = []
    line = None
    fee = terms.monthly_fee
    if fee is None:
        result = None
        notes.append(NO_FEE)
    elif result is not None:
        band = band_for(result.fraction, terms.availability)
        if band is not None:
            owed = percent_of(fee, band.percent, terms.currency)
            line = AvailabilityLine(result, band.percent, owed)
        if not result.final:
            notes.append(PROVISIONAL)
    mine = [r for r in responses if r.customer == customer]
    keys = {r.key for r in mine} | ({AVAILABILITY} if line else set())
    kept = {w.line: w for w in waivers if w.customer == customer and w.month == period.label}
    return Statement(
        customer,
        period,
        terms,
        tuple(mine),
        result,
        line,
        {k: w for k, w in kept.items() if k in keys},
        tuple(notes),
    )
