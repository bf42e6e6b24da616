"""Support plans: what a customer bought, declared under ``plans:`` in ``customers.yaml``.

Pure and validated on load. Five kinds, from the seeds: ``agreement`` (unlimited),
``per_incident`` (a price per incident, one charge covering a span of work), ``per_minute``
(a price per agent-minute, a deposit first), ``incident_pack`` (incidents bought per term,
some rolled into the next) and ``prepaid_hours`` (hours bought per term; every task needs an
estimate a designated contact approved). One model with per-kind checks, so every error
names the field's own line (a tagged union would blame the plan's first line).

Terms are dates in the customer's zone, ``end`` inclusive: ``{start: 2026-01-01, end:
2026-12-31}`` runs from local midnight on 1 January to local midnight after 31 December.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from supportbot.contracts.currency import finer_than_unit, not_a_currency
from supportbot.contracts.tiers import Span
from supportbot.datafiles import LocatedError


class PlanKind(StrEnum):
    AGREEMENT = "agreement"
    PER_INCIDENT = "per_incident"
    PER_MINUTE = "per_minute"
    INCIDENT_PACK = "incident_pack"
    PREPAID_HOURS = "prepaid_hours"


class OnExhausted(StrEnum):
    """What happens when a pack or hours balance is used up: the contract's choice."""

    WARN = "warn"  # open, flag for billing
    BILL = "bill"  # open and charge overage at ``overage_rate``
    HOLD = "hold"  # open as pending a designated contact's approval (Sev1 site-down: at once)


_MONEY = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]{3})?\s*$")


@dataclass(frozen=True)
class Money:
    """An amount as written (``76.92`` or ``"76.92 USD"``); the currency is checked against
    the plan's after parsing."""

    amount: Decimal
    currency: str | None = None


def parse_money(value: Any) -> Money:
    if isinstance(value, Money):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"{value!r} is not an amount; write 85.00 or '85.00 USD'")
    text = str(value).strip()
    if text.startswith("-"):
        raise ValueError(f"amount {text} is negative; amounts must be positive")
    match = _MONEY.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not an amount; write 85.00 or '85.00 USD'")
    try:
        amount = Decimal(match.group(1))
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise ValueError(f"{text!r} is not an amount") from exc
    currency = match.group(2).upper() if match.group(2) else None
    return Money(amount, currency)


# The last end a term may have: the reports' last month (reports.records.LAST_YEAR), and
# ends_at of 9999-12-31 (midnight the day after) is no date: every charge and the term-end
# job, which look at each term's end, would fail.
LAST_END = date(9998, 12, 31)


class Term(BaseModel):
    """One period of a pack or of prepaid hours, and what was bought for it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: date
    end: date  # inclusive, in the customer's zone
    incidents: int | None = None  # incident_pack
    hours: Decimal | None = None  # prepaid_hours
    price: Money | None = None

    @field_validator("price", mode="before")
    @classmethod
    def _price(cls, value: Any) -> Money | None:
        return None if value is None else parse_money(value)

    @model_validator(mode="after")
    def _order(self) -> Term:
        if self.end < self.start:
            raise LocatedError(("end",), f"the term ends ({self.end}) before it starts")
        if self.end > LAST_END:  # its end, local midnight the day after, must be a date
            raise LocatedError(
                ("end",),
                f"the term's end {self.end} is too far ahead: write {LAST_END} or earlier "
                "(as the reports' last month)",
            )
        return self

    def starts_at(self, zone: str) -> datetime:
        return datetime.combine(self.start, time(0), ZoneInfo(zone))

    def ends_at(self, zone: str) -> datetime:
        """Local midnight after the inclusive end date (DST-safe: a wall time, then UTC)."""
        return datetime.combine(self.end + timedelta(days=1), time(0), ZoneInfo(zone))

    @property
    def label(self) -> str:
        same_year = self.start.year == self.end.year
        return str(self.start.year) if same_year else f"{self.start}–{self.end}"

    @property
    def size(self) -> Decimal:
        """Units bought: incidents of a pack, hours of prepaid hours."""
        return Decimal(self.incidents if self.incidents is not None else (self.hours or 0))


# Which fields each kind needs and which it may carry (besides the common ones).
_COMMON = {
    "kind", "key", "currency", "waiver_reasons", "on_exhausted", "overage_rate",
    "account_manager",
}  # fmt: skip
_FIELDS: dict[PlanKind, tuple[set[str], set[str]]] = {
    PlanKind.AGREEMENT: (set(), {"terms"}),
    PlanKind.PER_INCIDENT: ({"price"}, {"span", "second_charge", "terms"}),
    PlanKind.PER_MINUTE: ({"price"}, {"deposit_required", "deposit", "terms"}),
    PlanKind.INCIDENT_PACK: ({"terms"}, {"rollover_cap"}),
    PlanKind.PREPAID_HOURS: ({"terms"}, {"round_to", "list_rate", "discount", "rollover_cap"}),
}
_TERM_UNIT = {PlanKind.INCIDENT_PACK: "incidents", PlanKind.PREPAID_HOURS: "hours"}


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: PlanKind
    key: str = ""  # filled in from the kind when not given
    currency: str | None = None
    waiver_reasons: tuple[str, ...] = ()
    on_exhausted: OnExhausted = OnExhausted.WARN
    overage_rate: Money | None = None
    price: Money | None = None  # per incident, or per agent-minute
    span: Span = Span.parse("2h")  # what one per-incident charge covers
    second_charge: bool = False  # more time than the span opens another charge
    deposit_required: bool = True
    deposit: Money | None = None
    terms: tuple[Term, ...] = ()
    rollover_cap: int = Field(default=0, ge=0)
    round_to: Span = Span.parse("15m")  # prepaid hours: time is billed in these steps
    list_rate: Money | None = None
    # Who hears that a customer needs a deposit or more units (a Slack user id); the triage
    # channel when not given.
    account_manager: str | None = Field(default=None, pattern=r"^[UW][A-Z0-9]{2,}$")
    discount: Decimal = Field(default=Decimal(0), ge=0, lt=100)

    @model_validator(mode="before")
    @classmethod
    def _present(cls, data: Any) -> Any:
        """Per kind: the fields it needs are there and the others are not."""
        if not isinstance(data, dict):
            return data
        try:
            kind = PlanKind(str(data.get("kind", "")).strip())
        except ValueError:
            kinds = ", ".join(k.value for k in PlanKind)
            raise LocatedError(
                ("kind",), f"unknown plan kind {data.get('kind')!r}; use one of {kinds}"
            ) from None
        needed, optional = _FIELDS[kind]
        missing = sorted(needed - set(data))
        if missing:
            raise LocatedError((), f"a {kind.value} plan needs `{missing[0]}`")
        for name in data:
            if name not in _COMMON | needed | optional and name in cls.model_fields:
                raise LocatedError((name,), f"`{name}` does not apply to a {kind.value} plan")
        if data.get("on_exhausted") == "bill" and "overage_rate" not in data:
            raise LocatedError(("on_exhausted",), "`on_exhausted: bill` needs an overage_rate")
        return {**data, "key": data.get("key") or kind.value}

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        if value is not None and (problem := not_a_currency(value)):
            raise ValueError(problem)
        return value

    @field_validator("round_to", "span")
    @classmethod
    def _whole_minutes(cls, value: Span) -> Span:
        """The charging rules count whole minutes: a step in business days has no fixed
        length (a step of 0, and every log failed) and seconds were cut off (7.5m billed
        in 7 min steps)."""
        if value.business_days or value.fixed.total_seconds() % 60:
            raise ValueError(
                f"{value} is not a whole number of minutes; write a step such as 15m or 2h"
            )
        return value

    @field_validator("overage_rate", "price", "deposit", "list_rate", mode="before")
    @classmethod
    def _money(cls, value: Any) -> Money | None:
        return None if value is None else parse_money(value)

    @field_validator("waiver_reasons")
    @classmethod
    def _reasons(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(" ".join(r.split()) for r in value)
        if any(not r for r in cleaned):
            raise ValueError("a waiver reason is empty")
        if len({r.casefold() for r in cleaned}) != len(cleaned):
            raise ValueError("a waiver reason is listed twice")
        return cleaned

    @model_validator(mode="after")
    def _amounts(self) -> Plan:
        for name in ("price", "overage_rate", "list_rate"):
            money = getattr(self, name)
            if money is not None and money.amount <= 0:
                raise LocatedError((name,), f"{name} must be more than zero, got {money.amount}")
        self._currencies()
        self._in_units()
        self._terms()
        return self

    def _currencies(self) -> None:
        priced = [
            (loc, money)
            for loc, money in self._moneys()
            if money is not None and money.currency is not None
        ]
        if priced and self.currency is None:
            raise LocatedError(priced[0][0], "name the plan's `currency` (like USD)")
        if any(m is not None for _, m in self._moneys()) and self.currency is None:
            raise LocatedError((), f"a priced {self.kind.value} plan needs a `currency`")
        for loc, money in priced:
            if money.currency != self.currency:
                raise LocatedError(
                    loc,
                    f"currency mismatch: {money.amount} {money.currency} in a plan billed in "
                    f"{self.currency}",
                )

    def _in_units(self) -> None:
        """Every amount in whole units of the plan's currency: 10.555 USD or 1500.5 JPY
        cannot be billed, and rounding it on every charge would bill neither what the
        contract says nor the same as a charge of many units (3 × 333.5 JPY is 1,001)."""
        for loc, money in self._moneys():
            if money is None or self.currency is None:
                continue  # _currencies: any amount needs the plan's currency
            problem = finer_than_unit(money.amount, self.currency)
            if problem is not None:
                raise LocatedError(
                    loc, f"{problem}; a contract's amounts are billed as written, not rounded"
                )

    def _moneys(self) -> list[tuple[tuple[str | int, ...], Money | None]]:
        found: list[tuple[tuple[str | int, ...], Money | None]] = [
            ((name,), getattr(self, name))
            for name in ("price", "overage_rate", "deposit", "list_rate")
        ]
        found += [(("terms", i, "price"), term.price) for i, term in enumerate(self.terms)]
        return found

    def _terms(self) -> None:
        unit = _TERM_UNIT.get(self.kind)
        for index, term in enumerate(self.terms):
            for other in ("incidents", "hours"):
                if getattr(term, other) is not None and other != unit:
                    raise LocatedError(
                        ("terms", index, other), f"a {self.kind.value} term has no `{other}`"
                    )
            if unit is None:
                continue
            if getattr(term, unit) is None:
                raise LocatedError(("terms", index), f"a {self.kind.value} term needs `{unit}`")
            if term.size <= 0:
                raise LocatedError(
                    ("terms", index, unit), f"{unit} must be more than zero, got {term.size}"
                )
            if self.rollover_cap > term.size:
                raise LocatedError(
                    ("rollover_cap",),
                    f"rollover cap {self.rollover_cap} is above the {term.size} {unit} bought "
                    f"for the term starting {term.start}",
                )
        overlap = first_overlap(self.terms)
        if overlap is not None:
            raise LocatedError(("terms", overlap), overlapping(self.terms, overlap))

    @property
    def metered(self) -> bool:
        return self.kind is not PlanKind.AGREEMENT

    def term_at(self, instant: datetime, zone: str) -> Term | None:
        for term in self.terms:
            if term.starts_at(zone) <= instant < term.ends_at(zone):
                return term
        return None

    def active_at(self, instant: datetime, zone: str) -> bool:
        return not self.terms or self.term_at(instant, zone) is not None

    def next_term(self, term: Term) -> Term | None:
        """The term that begins the day after ``term`` ends: where its rollover goes."""
        return next((t for t in self.terms if t.start == term.end + timedelta(days=1)), None)

    def waiver_reason(self, text: str) -> str | None:
        wanted = " ".join(text.split()).casefold()
        return next((r for r in self.waiver_reasons if r.casefold() == wanted), None)


def first_overlap(terms: tuple[Term, ...]) -> int | None:
    """Index of the first term that overlaps an earlier one, in file order."""
    for index, term in enumerate(terms):
        for earlier in terms[:index]:
            if term.start <= earlier.end and earlier.start <= term.end:
                return index
    return None


def overlapping(terms: tuple[Term, ...], index: int) -> str:
    term = terms[index]
    other = next(
        t for t in terms[:index] if term.start <= t.end and t.start <= term.end
    )  # first_overlap found one
    return (
        f"term {term.start}–{term.end} overlaps the term {other.start}–{other.end}; a "
        "customer's terms of one kind of plan follow one another"
    )


def check_plans(plans: tuple[Plan, ...]) -> None:
    """Across a customer's plans: unique keys, one currency, no two plans of one kind whose
    terms overlap. Raises :class:`LocatedError` relative to the customer."""
    keys: set[str] = set()
    currency: str | None = None
    for index, plan in enumerate(plans):
        if plan.key in keys:
            raise LocatedError(("plans", index, "key"), f"plan key {plan.key!r} is used twice")
        keys.add(plan.key)
        if plan.currency is not None:
            if currency is not None and plan.currency != currency:
                raise LocatedError(
                    ("plans", index, "currency"),
                    f"currency mismatch: this plan is in {plan.currency}, an earlier one in "
                    f"{currency}; one customer is billed in one currency",
                )
            currency = plan.currency
        for earlier in plans[:index]:
            if earlier.kind is not plan.kind:
                continue
            if not plan.terms or not earlier.terms:
                raise LocatedError(
                    ("plans", index, "kind"),
                    f"two {plan.kind.value} plans without terms overlap; give each its terms",
                )
            joined = earlier.terms + plan.terms
            found = first_overlap(joined)
            if found is not None:
                raise LocatedError(
                    ("plans", index, "terms", found - len(earlier.terms)),
                    overlapping(joined, found),
                )
