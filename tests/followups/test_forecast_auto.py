"""Predictive escalation where the contract says to escalate by itself (Acme's contract is
changed for this module: auto_escalate, at a 60 % forecast)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from redis import Redis

from supportbot.settings import Settings
from supportbot.slack import cards
from tests.conftest import REPO, Desk, make_settings
from tests.followups.helpers import ACME, button_values, incident, internal_thread
from tests.followups.test_forecast_scenarios import forecasts, history
from tests.standins import SlackStandin


@pytest.fixture
def settings(
    tmp_path: Path, redis: Redis, redis_url: str, database_url: str, slack_api: SlackStandin
) -> Settings:
    """Acme's contract escalates by itself on a forecast of 60 % or more."""
    contracts = yaml.safe_load((REPO / "contracts" / "customers.yaml").read_text())
    acme = next(c for c in contracts["customers"] if c["key"] == "acme")
    acme["followups"] = {"auto_escalate": True, "forecast_threshold": 0.6}
    path = tmp_path / "customers.yaml"
    path.write_text(yaml.safe_dump(contracts))
    return make_settings(tmp_path, redis_url, database_url, slack_api.api_url, contracts_file=path)


def test_a_contract_that_says_so_escalates_by_itself(desk: Desk) -> None:
    history(desk, hours=150)
    desk.slack.command("sev2 export stalls again", channel=ACME)
    desk.drain()
    desk.travel(timedelta(seconds=20))
    [posted] = forecasts(desk, 7)
    assert "; alert at 60%)." in posted and "Escalated to L2 automatically" in posted
    assert incident(desk, 7).level == "L2"
    assert any("escalated to L2 by the breach forecast" in t for t in internal_thread(desk, 7))
    assert button_values(desk, cards.ACTION_ESCALATE, 7) == ["7:L2"]  # no forecast button
