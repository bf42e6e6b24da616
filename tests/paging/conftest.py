"""Paging scenarios: the desk with Twilio configured against the local Twilio stand-in, at a
fixed instant (Tuesday 24 November 2026, 10:00 in Dublin: EMEA holds the pager)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from redis import Redis

from supportbot.clock import TravelClock
from supportbot.settings import Settings
from tests.conftest import Desk, make_settings
from tests.standins import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, SlackStandin, TwilioStandin

FROM_NUMBER = "+15005550006"
TUESDAY_10_DUBLIN = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # Dublin is UTC in winter

# The example rotation's EMEA L1 roster, rotating daily at 08:00 Dublin from 2025-01-06.
EMEA_L1 = {"aoife": "+353855550101", "bram": "+353855550102", "chloe": "+353855550103"}
EMEA_L1_SLACK = {"aoife": "U0EMEA0001", "bram": "U0EMEA0002", "chloe": "U0EMEA0003"}


def emea_l1_on(day: date) -> tuple[str, str]:
    """(primary, secondary) by plain arithmetic, independent of the resolver."""
    names = list(EMEA_L1)
    index = (day - date(2025, 1, 6)).days % 3
    return names[index], names[(index + 1) % 3]


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(TUESDAY_10_DUBLIN, ticking=True)


@pytest.fixture
def twilio_api() -> Iterator[TwilioStandin]:
    with TwilioStandin(hang_seconds=1.0) as standin:
        yield standin


@pytest.fixture
def overrides() -> dict[str, object]:
    """Settings a test changes (parametrize this name to change them)."""
    return {}


@pytest.fixture
def rotation_yaml() -> str | None:
    """A rotation file to use instead of the example (parametrize this name)."""
    return None


@pytest.fixture
def settings(
    tmp_path: Path,
    redis: Redis,
    redis_url: str,
    database_url: str,
    slack_api: SlackStandin,
    twilio_api: TwilioStandin,
    overrides: dict[str, object],
    rotation_yaml: str | None,
) -> Settings:
    values: dict[str, object] = dict(
        twilio_account_sid=TWILIO_ACCOUNT_SID,
        twilio_auth_token=TWILIO_AUTH_TOKEN,
        twilio_from_number=FROM_NUMBER,
        twilio_api_url=twilio_api.url,
        oncall_channel="C0ONCALL01",
    )
    if rotation_yaml is not None:
        rotations = tmp_path / "rotations"
        rotations.mkdir()
        (rotations / "small.yaml").write_text(rotation_yaml)
        values["rotations_dir"] = rotations
    values.update(overrides)
    return make_settings(tmp_path, redis_url, database_url, slack_api.api_url, **values)


@dataclass
class Pager:
    desk: Desk
    twilio: TwilioStandin

    @property
    def sms_url(self) -> str:
        return self.desk.url + "/twilio/sms"

    def reply(self, from_: str, body: str, **kwargs: object) -> tuple[int, str]:
        return self.twilio.send_inbound_sms(self.sms_url, from_, FROM_NUMBER, body, **kwargs)


@pytest.fixture
def pager(desk: Desk, twilio_api: TwilioStandin) -> Pager:
    # Twilio calls back the web app's own URL; signatures are checked against it.
    desk.rt.settings = desk.rt.settings.model_copy(update={"public_url": desk.url})
    twilio_api.set_clock(desk.rt.clock.now)
    return Pager(desk, twilio_api)
