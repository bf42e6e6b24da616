"""A contract's currency is a current ISO 4217 currency: a typo or a withdrawn code is
refused with its file and line, in a plan and in the credit terms alike, instead of billing
as if it were a two-decimal currency."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportbot.contracts.currency import THREE_DECIMALS, ZERO_DECIMALS, not_a_currency
from supportbot.contracts.customers import load_contracts
from supportbot.datafiles import DataFileError

HEAD = """customers:
  - key: kmsi
    name: KMSI
    tier: Standard
    timezone: America/New_York
    business_hours: {}
    channels: [C0KMSI]
    contacts: [U0KMSIANN]
"""
PLAN = """    plans:
      - kind: incident_pack
        currency: USD
        on_exhausted: hold
        terms:
          - {start: 2026-01-01, end: 2026-12-31, incidents: 40, price: 8000}
"""
CREDITS = """    credits:
      monthly_fee: 12000
      currency: USD
"""


@pytest.mark.parametrize("code", ["USD", "EUR", "JPY", "KWD", "CHF", "ZWG", "SLE"])
def test_current_codes_load_in_plans_and_credit_terms(tmp_path: Path, code: str) -> None:
    path = tmp_path / "customers.yaml"
    path.write_text(HEAD + PLAN.replace("USD", code) + CREDITS.replace("USD", code))
    customer = load_contracts(path).by_key("kmsi")
    assert customer is not None
    assert customer.plans[0].currency == code and customer.credits.currency == code


@pytest.mark.parametrize(
    ("code", "why"),
    [
        ("UDS", "not a current ISO 4217 currency"),  # a typo of USD
        ("XYZ", "not a current ISO 4217 currency"),
        ("HRK", "not a current ISO 4217 currency"),  # withdrawn: Croatia uses EUR since 2023
        ("XXX", "not a current ISO 4217 currency"),  # "no currency involved"
        ("XTS", "not a current ISO 4217 currency"),  # reserved for testing
        ("usd", "not an ISO 4217 code"),
        ('"USD\\n"', "not an ISO 4217 code"),  # a trailing newline is no part of a code
    ],
)
@pytest.mark.parametrize(("block", "line"), [(PLAN, 11), (CREDITS, 11)])
def test_a_code_that_is_no_currency_is_refused_with_file_and_line(
    tmp_path: Path, code: str, why: str, block: str, line: int
) -> None:
    path = tmp_path / "customers.yaml"
    path.write_text(HEAD + block.replace("currency: USD", f"currency: {code}"))
    with pytest.raises(DataFileError) as refused:
        load_contracts(path)
    text = str(refused.value)
    assert f"{path}:{line}:" in text and why in text, text


def test_the_lists_of_decimals_name_only_current_currencies() -> None:
    """ZERO_DECIMALS and THREE_DECIMALS are kept by hand: a code dropped from ISO 4217 (or
    mistyped here) shows up as a failure, not as a currency nobody can bill in."""
    assert [code for code in sorted(ZERO_DECIMALS | THREE_DECIMALS) if not_a_currency(code)] == []
