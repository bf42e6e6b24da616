"""A contract's SLA credit terms (``credits:`` of a customer in ``contracts/customers.yaml``).

Pure: validated with the rest of the contracts file, so a bad fee, an unknown currency or
availability bands out of order are named with their file and line. The defaults are the
seed's credit structure (seed 004, "SLA Credit Structure"): a Critical response later than
1 h costs 5,000.00 per incident, a High response later than 4 h 2,500.00; availability below
99.9 / 99.5 / 99.0 % costs 10 / 25 / 50 % of the monthly fee; the total is capped at 100 %
of the fee. Without a monthly fee, availability credits and the cap cannot be computed, and
every report says so.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from supportbot.contracts.currency import finer_than_unit, not_a_currency
from supportbot.contracts.tiers import Span
from supportbot.datafiles import LocatedError

HUNDRED = Decimal(100)


def _decimal(value: object) -> Decimal:
    """Money and percentages from YAML: a number or a string, never a float's binary noise."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"{value!r} is not a number")
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number; write e.g. 12000.00") from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return number


def _money(value: object) -> Decimal:
    amount = _decimal(value)
    if amount < 0:
        raise ValueError(f"an amount cannot be negative, got {value!r}")
    # The currency's own unit (cents, whole yen, thousandths of a dinar) is checked with the
    # currency (CreditTerms._in_units); no currency has a unit finer than a thousandth.
    if amount != amount.quantize(Decimal("0.001")):
        raise ValueError(f"{value!r} is finer than any currency's unit; write at most 3 decimals")
    return amount


def _percent(value: object) -> Decimal:
    share = _decimal(value)
    if not Decimal(0) <= share <= HUNDRED:
        raise ValueError(f"a percentage is between 0 and 100, got {value!r}")
    return share


Money = Annotated[Decimal, BeforeValidator(_money)]
Percent = Annotated[Decimal, BeforeValidator(_percent)]


def _duration(value: object) -> timedelta:
    span = Span.of(value)  # type: ignore[arg-type]
    if span.business_days:
        raise ValueError(
            f"{value!r}: a credit line is measured on the response target's own clock; "
            "write it in hours or minutes, e.g. '1h'"
        )
    return span.fixed


class AvailabilityBand(BaseModel):
    """Availability strictly below ``below`` % costs ``percent`` % of the monthly fee."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    below: Percent
    percent: Percent


class ResponseCredit(BaseModel):
    """A response of ``severity`` later than ``within`` costs ``amount`` per incident."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    severity: int = Field(ge=1, le=4)
    within: Annotated[timedelta, BeforeValidator(_duration)]
    amount: Money


DEFAULT_BANDS = (
    AvailabilityBand(below=Decimal("99.9"), percent=Decimal(10)),
    AvailabilityBand(below=Decimal("99.5"), percent=Decimal(25)),
    AvailabilityBand(below=Decimal("99.0"), percent=Decimal(50)),
)
DEFAULT_RESPONSE = (
    ResponseCredit(severity=1, within=timedelta(hours=1), amount=Decimal("5000.00")),
    ResponseCredit(severity=2, within=timedelta(hours=4), amount=Decimal("2500.00")),
)


class CreditTerms(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    monthly_fee: Money | None = None
    currency: str = "USD"
    availability_target: Percent = Decimal("99.9")
    availability: tuple[AvailabilityBand, ...] = DEFAULT_BANDS
    response: tuple[ResponseCredit, ...] = DEFAULT_RESPONSE
    cap_percent: Percent = HUNDRED

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if problem := not_a_currency(value):
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _ordered(self) -> CreditTerms:
        # Bands read top down: each lower threshold costs at least as much as the one above,
        # so a worse month can never cost less.
        for index, (upper, lower) in enumerate(pairwise(self.availability)):
            if not lower.below < upper.below:
                raise LocatedError(
                    ("availability", index + 1, "below"),
                    f"bands go from the highest threshold down: {lower.below} % must be below "
                    f"{upper.below} %",
                )
            if lower.percent < upper.percent:
                raise LocatedError(
                    ("availability", index + 1, "percent"),
                    f"a lower availability cannot cost less: {lower.percent} % after "
                    f"{upper.percent} %",
                )
        seen: set[int] = set()
        for index, line in enumerate(self.response):
            if line.severity in seen:
                raise LocatedError(
                    ("response", index, "severity"),
                    f"severity {line.severity} has two response credit lines",
                )
            seen.add(line.severity)
        return self

    @model_validator(mode="after")
    def _in_units(self) -> CreditTerms:
        """Every amount in whole units of the currency (:func:`finer_than_unit`)."""
        amounts = [(("monthly_fee",), self.monthly_fee)] + [
            (("response", index, "amount"), line.amount) for index, line in enumerate(self.response)
        ]
        for where, amount in amounts:
            problem = None if amount is None else finer_than_unit(amount, self.currency)
            if problem is not None:
                raise LocatedError(where, problem)
        return self

    def response_rule(self, severity: int) -> ResponseCredit | None:
        return next((r for r in self.response if r.severity == severity), None)


DEFAULT_TERMS = CreditTerms()
