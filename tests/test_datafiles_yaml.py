"""How a data file's YAML is read: decimals exactly, aliases bounded, nesting bounded.

Contracts, rotations and triage rules are edited by hand; a mistake (or a hostile edit of a
shared repository) must be refused with the file and the line, never hang `supportbot check`
or the web's reload of the file, and never change an amount on the way in.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path

import pytest

from supportbot.contracts.customers import load_contracts
from supportbot.datafiles import MAX_VALUES, DataFileError, parse_yaml
from supportbot.oncall.loader import load_rotation_files
from tests.conftest import REPO
from tests.plans.test_plan_errors import load
from tests.plans.test_plan_price_decimals import PER_INCIDENT

# Nine anchors of nine aliases: 9**9 values from a few hundred bytes ("billion laughs").
LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)


def _parse_within(path: Path, seconds: float = 60.0) -> BaseException | object:
    """Parse in a thread: a loop for ever must fail this test, not hang the suite."""
    outcome: list[BaseException | object] = []

    def run() -> None:
        try:
            outcome.append(parse_yaml(path))
        except BaseException as exc:  # noqa: BLE001 - handed back to the test to assert on
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert outcome, f"parsing {path.name} had not finished after {seconds} s"
    return outcome[0]


def _refusal(tmp_path: Path, text: str) -> str:
    path = tmp_path / "data.yaml"
    path.write_text(text)
    found = _parse_within(path)
    assert isinstance(found, DataFileError), found
    return str(found).replace(str(path), "FILE")


def test_an_alias_inside_its_own_anchor_is_refused_with_its_line(tmp_path: Path) -> None:
    said = _refusal(tmp_path, "teams:\n  - &me [1, *me]\n")
    assert said == "FILE:2: an alias inside its own anchor"


def test_a_mapping_that_contains_itself_is_refused(tmp_path: Path) -> None:
    said = _refusal(tmp_path, "top: &top\n  again: *top\n")
    assert said == "FILE:1: an alias inside its own anchor"


def test_aliases_that_expand_past_the_limit_are_refused(tmp_path: Path) -> None:
    said = _refusal(tmp_path, LAUGHS)
    # The first list that grows past the limit is named: e (66,430 values with its lists)
    # is within it, f on line 6 (nine of e) is not.
    assert said.startswith("FILE:6: aliases expand this to over 100,000 values"), said
    assert MAX_VALUES == 100_000


def test_aliases_within_the_limit_are_read_as_written(tmp_path: Path) -> None:
    path = tmp_path / "data.yaml"
    path.write_text("hours: &h {start: '09:00', end: '17:00'}\nus: *h\neu: *h\n")
    data, lines = parse_yaml(path)
    assert data["us"] == data["eu"] == {"start": "09:00", "end": "17:00"}
    assert ("eu", "start") in lines


def test_nesting_deeper_than_the_parser_goes_is_refused(tmp_path: Path) -> None:
    said = _refusal(tmp_path, "a: " + "[" * 5000 + "]" * 5000 + "\n")
    assert said == "FILE: invalid YAML: nested too deeply"


@pytest.mark.parametrize(
    ("written", "read"),
    [("12345678901234567890.12", "12345678901234567890.12"), ("0.1", "0.1"),
     ("1_000.5", "1000.5"), ("1.0e+3", "1000"), ("-2.50", "-2.50")],
)  # fmt: skip
def test_decimals_are_read_exactly_not_as_binary_floats(
    tmp_path: Path, written: str, read: str
) -> None:
    path = tmp_path / "data.yaml"
    path.write_text(f"amount: {written}\n")
    data, _ = parse_yaml(path)
    assert data["amount"] == Decimal(read) and str(data["amount"]) == read


def test_an_unquoted_price_of_twenty_digits_is_billed_as_written(tmp_path: Path) -> None:
    # As a float it was 12345678901234567168: a bill 1,168.12 off, without a word.
    plans = PER_INCIDENT.format(currency="USD", price="12345678901234567890.12")
    contracts = load(tmp_path, plans)
    [customer] = contracts.customers  # type: ignore[attr-defined]
    assert customer.plans[0].price.amount == Decimal("12345678901234567890.12")


def test_an_unquoted_monthly_fee_of_eighteen_digits_is_kept_exactly(tmp_path: Path) -> None:
    text = (REPO / "contracts" / "customers.yaml").read_text()
    assert 'monthly_fee: "12000.00"' in text
    path = tmp_path / "customers.yaml"
    path.write_text(
        text.replace('monthly_fee: "12000.00"', "monthly_fee: 123456789012345678.25", 1)
    )
    contracts = load_contracts(path)
    fees = [c.credits.monthly_fee for c in contracts.customers]
    assert Decimal("123456789012345678.25") in fees, fees


def test_a_decimal_duration_still_asks_for_its_unit(tmp_path: Path) -> None:
    text = (REPO / "rotations" / "follow-the-sun.yaml").read_text()
    assert "    repeat_after: 5m\n" in text
    path = tmp_path / "follow-the-sun.yaml"
    path.write_text(text.replace("    repeat_after: 5m\n", "    repeat_after: 1.5\n", 1))
    with pytest.raises(DataFileError) as caught:
        load_rotation_files([path])
    assert "duration 1.5 has no unit: write e.g. '5m', '90s' or '1h'" in str(caught.value)
