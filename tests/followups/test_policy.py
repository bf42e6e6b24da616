"""The contracts file's follow-up terms: defaults, per tier, per customer, and bad values
refused with the file and line (the last good copy stays in force)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from supportbot.contracts.customers import load_contracts
from supportbot.contracts.followups import FollowupPolicy
from supportbot.contracts.tiers import Span
from supportbot.datafiles import DataFileError

CUSTOMER = """
  - key: acme
    name: Acme Corp
    tier: Premier
    timezone: America/New_York
    business_hours: {{}}
    channels: [C0ACMESHARED]
{extra}
"""


def _load(tmp_path: Path, top: str = "", extra: str = "") -> object:
    path = tmp_path / "customers.yaml"
    path.write_text(f"{top}customers:{CUSTOMER.format(extra=extra)}")
    return load_contracts(path)


def test_defaults_tier_then_customer(tmp_path: Path) -> None:
    assert FollowupPolicy() == FollowupPolicy(
        update_every=Span(fixed=timedelta(minutes=30)),
        missed_before_l2=2,
        rca_due=Span(business_days=5),
        rca_remind_before=Span(business_days=1),
        forecast_threshold=0.7,
        auto_escalate=False,
    )
    contracts = _load(
        tmp_path,
        top="followups:\n  premier: {update_every: 20m, rca_due: 3bd}\n",
        extra="    followups: {rca_due: 2bd, auto_escalate: true}",
    )
    customer = contracts.customers[0]  # type: ignore[attr-defined]
    tier = contracts.followups.for_tier(customer.tier)  # type: ignore[attr-defined]
    policy = tier.merged(customer.followups)
    assert policy.update_every == Span(fixed=timedelta(minutes=20))  # the tier's
    assert policy.rca_due == Span(business_days=2)  # the customer's own
    assert policy.auto_escalate and policy.forecast_threshold == 0.7  # default kept


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ("    followups: {update_every: 2m}", "at least 5m"),
        ("    followups: {update_every: 1bd}", "runs on the wall clock"),
        ("    followups: {forecast_threshold: 1.5}", "less than 1"),
        ("    followups: {missed_before_l2: 0}", "greater than or equal to 1"),
        ("    followups: {rca_due: soon}", "cannot read target"),
        ("    followups: {remind: 1h}", "Extra inputs are not permitted"),
    ],
)
def test_bad_follow_up_terms_are_refused_with_their_line(
    tmp_path: Path, extra: str, says: str
) -> None:
    with pytest.raises(DataFileError) as caught:
        _load(tmp_path, extra=extra)
    message = str(caught.value)
    assert says in message and "customers.yaml:8" in message, message


def test_an_unknown_tier_in_the_per_tier_terms_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataFileError) as caught:
        _load(tmp_path, top="followups:\n  gold: {update_every: 20m}\n")
    assert "customers.yaml:2" in str(caught.value)
