"""The desk with Twilio configured against the local Twilio stand-in, so the Twilio webhooks
verify signatures as in production, and a log watch that fails on any traceback."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis

from supportbot.settings import Settings
from tests.conftest import make_settings
from tests.edge.helpers import LogWatch
from tests.standins import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, SlackStandin, TwilioStandin

FROM_NUMBER = "+15005550006"


@pytest.fixture
def twilio_api() -> Iterator[TwilioStandin]:
    with TwilioStandin(hang_seconds=1.0) as standin:
        yield standin


@pytest.fixture
def settings(
    tmp_path: Path,
    redis: Redis,
    redis_url: str,
    database_url: str,
    slack_api: SlackStandin,
    twilio_api: TwilioStandin,
) -> Settings:
    return make_settings(
        tmp_path,
        redis_url,
        database_url,
        slack_api.api_url,
        twilio_account_sid=TWILIO_ACCOUNT_SID,
        twilio_auth_token=TWILIO_AUTH_TOKEN,
        twilio_from_number=FROM_NUMBER,
        twilio_api_url=twilio_api.url,
        oncall_channel="C0ONCALL01",
    )


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[LogWatch]:
    """Every record of WARNING and above, from any thread of this process (the web server's,
    Bolt's listeners', the dispatcher's)."""
    caplog.set_level(logging.WARNING)
    yield LogWatch(caplog)
