"""A plan's billing step (`round_to` of prepaid hours, `span` of a per-incident plan) that
is no whole number of minutes: the charging rules count whole minutes, so such a contract
must be refused with its line, not loaded and then fail (or bill another step) at the desk."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.plans.test_plan_errors import GOOD_PACK, HOURS, load, refused

PER_INCIDENT = """      - kind: per_incident
        currency: USD
        price: 150.00
        span: 2h
        second_charge: true
"""


@pytest.mark.parametrize("step", ["1bd", "30s", "7.5m", "1h 1bd"])
def test_a_prepaid_step_that_is_no_whole_minutes_is_refused_with_its_line(
    tmp_path: Path, step: str
) -> None:
    """`round_to: 1bd` (or 30s) loaded as a step of 0 minutes: every time log on the
    prepaid hours then raised ValueError in `started(…, 0)`; 7.5m billed in 7 min steps."""
    plans = GOOD_PACK + HOURS.replace("discount: 10\n", f"discount: 10\n        round_to: {step}\n")
    message = refused(tmp_path, plans)
    assert f"{tmp_path / 'customers.yaml'}:22: customers[0].plans[1].round_to: " in message
    assert "whole number of minutes" in message


@pytest.mark.parametrize("step", ["1bd", "30s", "90s"])
def test_a_per_incident_span_that_is_no_whole_minutes_is_refused_with_its_line(
    tmp_path: Path, step: str
) -> None:
    message = refused(tmp_path, PER_INCIDENT.replace("span: 2h", f"span: {step}"))
    assert f"{tmp_path / 'customers.yaml'}:13: customers[0].plans[0].span: " in message
    assert "whole number of minutes" in message


def test_whole_minute_steps_still_load(tmp_path: Path) -> None:
    plans = HOURS.replace("discount: 10\n", "discount: 10\n        round_to: 6m\n")
    [customer] = load(tmp_path, plans + PER_INCIDENT.replace("2h", "1h30m")).customers  # type: ignore[attr-defined]
    hours, per_incident = customer.plans
    assert hours.round_to.fixed.total_seconds() == 360
    assert per_incident.span.fixed.total_seconds() == 5400
