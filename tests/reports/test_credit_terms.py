"""Credit terms in contracts/customers.yaml: read as written, refused with file and line."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from supportbot.contracts.credit_terms import DEFAULT_TERMS
from supportbot.contracts.customers import load_contracts
from supportbot.datafiles import DataFileError
from tests.conftest import REPO

CONTRACTS = (REPO / "contracts" / "customers.yaml").read_text()
GOOD = """customers:
  - key: acme
    name: Acme
    tier: Premier
    timezone: America/New_York
    business_hours: {}
    channels: [C0ACME]
    credits:
      monthly_fee: "12,000.50"
      currency: CHF
      availability_target: 99.95
      availability:
        - {below: 99.95, percent: 5}
        - {below: 99.0, percent: 30}
      response:
        - {severity: 1, within: 30m, amount: 1000}
      cap_percent: 50
"""


def test_the_shipped_contracts_carry_fees_and_the_seed_defaults() -> None:
    contracts = load_contracts(REPO / "contracts" / "customers.yaml")
    acme, globex, initech = (contracts.by_key(k) for k in ("acme", "globex", "initech"))
    assert acme and globex and initech
    assert acme.credits.monthly_fee == Decimal("12000.00") and acme.credits.currency == "USD"
    assert globex.credits.currency == "EUR" and globex.credits.response == DEFAULT_TERMS.response
    assert initech.credits.monthly_fee is None


def test_terms_are_read_as_written(tmp_path: Path) -> None:
    path = tmp_path / "customers.yaml"
    path.write_text(GOOD)
    (acme,) = load_contracts(path).customers
    terms = acme.credits
    assert terms.monthly_fee == Decimal("12000.50") and terms.currency == "CHF"
    assert [(b.below, b.percent) for b in terms.availability] == [
        (Decimal("99.95"), Decimal(5)), (Decimal("99.0"), Decimal(30))
    ]  # fmt: skip
    rule = terms.response_rule(1)
    assert rule and rule.within == timedelta(minutes=30) and rule.amount == Decimal(1000)
    assert terms.response_rule(2) is None and terms.cap_percent == 50


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ('monthly_fee: "12,000.50"', "monthly_fee: 12000.505", 9, "12000.505 CHF is not an"),
        ('monthly_fee: "12,000.50"', "monthly_fee: 12000.5051", 9, "finer than any currency"),
        ("amount: 1000}", "amount: 1000.001}", 16, "at most 2 decimals"),
        ('monthly_fee: "12,000.50"', "monthly_fee: -5", 9, "cannot be negative"),
        ('monthly_fee: "12,000.50"', "monthly_fee: lots", 9, "is not a number"),
        ("currency: CHF", "currency: dollars", 10, "not an ISO 4217 code"),
        ("availability_target: 99.95", "availability_target: 101", 11, "between 0 and 100"),
        ("{below: 99.0, percent: 30}", "{below: 99.96, percent: 30}", 14, "must be below"),
        ("{below: 99.0, percent: 30}", "{below: 99.0, percent: 1}", 14, "cannot cost less"),
        ("within: 30m", "within: 1bd", 16, "hours or minutes"),
        ("within: 30m", "within: soon", 16, "cannot read target"),
        ("{severity: 1,", "{severity: 7,", 16, "less than or equal to 4"),
        ("cap_percent: 50", "cap_percent: 150", 17, "between 0 and 100"),
        ("cap_percent: 50", "cap_percent: 50\n      refunds: yes", 18, "Extra inputs"),
    ],
)
def test_a_bad_term_names_file_and_line_and_keeps_nothing_half_read(
    tmp_path: Path, old: str, new: str, line: int, message: str
) -> None:
    path = tmp_path / "customers.yaml"
    assert old in GOOD
    path.write_text(GOOD.replace(old, new))
    with pytest.raises(DataFileError) as raised:
        load_contracts(path)
    text = str(raised.value)
    assert f"{path}:{line}: customers[0].credits" in text and message in text, text


@pytest.mark.parametrize(
    ("currency", "fee", "amount", "accepted"),
    [
        ("KWD", "12000.505", "250.125", True),  # the dinar counts thousandths
        ("JPY", "1500000", "5000.00", True),  # trailing zeros are no fraction of a yen
        ("JPY", "1500000.50", "5000", False),
        ("USD", "12000.50", "1000.001", False),
        ("BHD", "1.5", "0.125", True),
    ],
)
def test_amounts_are_in_whole_units_of_their_currency(
    tmp_path: Path, currency: str, fee: str, amount: str, accepted: bool
) -> None:
    path = tmp_path / "customers.yaml"
    path.write_text(
        GOOD.replace("currency: CHF", f"currency: {currency}")
        .replace('monthly_fee: "12,000.50"', f'monthly_fee: "{fee}"')
        .replace("amount: 1000}", f'amount: "{amount}"}}')
    )
    if accepted:
        (acme,) = load_contracts(path).customers
        assert acme.credits.monthly_fee == Decimal(fee)
        assert acme.credits.response[0].amount == Decimal(amount)
    else:
        with pytest.raises(DataFileError) as raised:
            load_contracts(path)
        assert f"is not an amount of {currency}" in str(raised.value)


def test_a_second_line_for_one_severity_is_refused_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "customers.yaml"
    path.write_text(
        GOOD.replace(
            "        - {severity: 1, within: 30m, amount: 1000}\n",
            "        - {severity: 1, within: 30m, amount: 1000}\n"
            "        - {severity: 1, within: 2h, amount: 10}\n",
        )
    )
    with pytest.raises(DataFileError) as raised:
        load_contracts(path)
    assert f"{path}:17: customers[0].credits.response[1].severity: severity 1 has two" in str(
        raised.value
    )
