"""A plan's amounts are whole units of its currency: finer ones are refused on load.

10.555 USD or 1500.5 JPY cannot be billed; accepted, every charge was rounded on its own
(three incidents at 333.5 JPY: 1,001 JPY, not 3 × 334). The contract file is refused
instead, with the file, the line and what to write, as the SLA credits' amounts already
were. Negative, NaN and infinite amounts were refused already: kept here as evidence.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.plans.test_plan_errors import load, refused

PER_INCIDENT = """      - kind: per_incident
        currency: {currency}
        price: {price}
"""
PACK = """      - kind: incident_pack
        currency: USD
        on_exhausted: bill
        overage_rate: {overage}
        terms:
          - {{start: 2026-01-01, end: 2026-12-31, incidents: 40, price: {price}}}
"""
PER_MINUTE = """      - kind: per_minute
        currency: {currency}
        price: 2.50
        deposit: {deposit}
"""
HOURS = """      - kind: prepaid_hours
        currency: USD
        list_rate: {rate}
        terms:
          - {{start: 2026-01-01, end: 2026-12-31, hours: 260, price: 20000.00}}
"""


def _said(tmp_path: Path, plans: str) -> str:
    return refused(tmp_path, plans).replace(f"{tmp_path / 'customers.yaml'}:", "FILE:")


# (the plans block, the line of the amount, where, what the error says)
TOO_FINE = {
    "a USD price in thousandths": (
        PER_INCIDENT.format(currency="USD", price="10.555"),
        12,
        "customers[0].plans[0].price",
        "10.555 USD is not an amount of USD: write at most 2 decimals",
    ),
    "a quoted USD price with its code": (
        PER_INCIDENT.format(currency="USD", price='"10.555 USD"'),
        12,
        "customers[0].plans[0].price",
        "10.555 USD is not an amount of USD: write at most 2 decimals",
    ),
    "a yen price with a fraction": (
        PER_INCIDENT.format(currency="JPY", price="1500.5"),
        12,
        "customers[0].plans[0].price",
        "1500.5 JPY is not an amount of JPY: write a whole number",
    ),
    "a dinar price in ten-thousandths": (
        PER_INCIDENT.format(currency="KWD", price="0.1255"),
        12,
        "customers[0].plans[0].price",
        "0.1255 KWD is not an amount of KWD: write at most 3 decimals",
    ),
    "a term price": (
        PACK.format(overage="200.00", price="8000.005"),
        15,
        "customers[0].plans[0].terms[0].price",
        "8000.005 USD is not an amount of USD: write at most 2 decimals",
    ),
    "an overage rate": (
        PACK.format(overage="199.999", price="8000.00"),
        13,
        "customers[0].plans[0].overage_rate",
        "199.999 USD is not an amount of USD: write at most 2 decimals",
    ),
    "a deposit in yen": (
        PER_MINUTE.format(currency="JPY", deposit="50000.5").replace("2.50", "250"),
        13,
        "customers[0].plans[0].deposit",
        "50000.5 JPY is not an amount of JPY: write a whole number",
    ),
    "a list rate": (
        HOURS.format(rate="85.005"),
        12,
        "customers[0].plans[0].list_rate",
        "85.005 USD is not an amount of USD: write at most 2 decimals",
    ),
}


@pytest.mark.parametrize("case", sorted(TOO_FINE))
def test_an_amount_finer_than_its_currency_is_refused_with_its_line(
    tmp_path: Path, case: str
) -> None:
    plans, line, where, said = TOO_FINE[case]
    message = _said(tmp_path, plans)
    assert f"FILE:{line}: {where}: {said}" in message, message
    assert "not rounded" in message, message  # why it is refused rather than rounded


@pytest.mark.parametrize(
    ("currency", "written", "amount"),
    [("USD", "10.55", "10.55"), ("USD", '"10.550"', "10.550"), ("JPY", "1500", "1500"),
     ("JPY", '"1500.00 JPY"', "1500.00"), ("KWD", "0.125", "0.125"), ("USD", "150", "150")],
)  # fmt: skip
def test_amounts_in_whole_units_load(
    tmp_path: Path, currency: str, written: str, amount: str
) -> None:
    contracts = load(tmp_path, PER_INCIDENT.format(currency=currency, price=written))
    [customer] = contracts.customers  # type: ignore[attr-defined]
    [plan] = customer.plans
    assert plan.price.amount == Decimal(amount)  # trailing zeros are no fraction


@pytest.mark.parametrize(
    ("written", "said"),
    [("-150.00", "amount -150.00 is negative"), ("-.inf", "amount -inf is negative"),
     (".nan", "'nan' is not an amount; write 85.00"), (".inf", "'inf' is not an amount"),
     ('"NaN"', "'NaN' is not an amount"), ('"Infinity"', "'Infinity' is not an amount"),
     ("0", "price must be more than zero, got 0")],
)  # fmt: skip
def test_negative_nan_and_infinite_prices_were_refused_already(
    tmp_path: Path, written: str, said: str
) -> None:
    message = _said(tmp_path, PER_INCIDENT.format(currency="USD", price=written))
    assert f"FILE:12: customers[0].plans[0].price: {said}" in message, message
