"""The stand-ins' app-level token (``apps.connections.open``) and Twilio account fetch, driven
through the real slack_sdk and twilio clients, as ``supportbot check --online`` uses them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from twilio.base.exceptions import TwilioRestException

from supportbot.clients.twilio_http import make_twilio_client
from tests.standins import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, SlackStandin, TwilioStandin
from tests.standins.slack_api import DEFAULT_APP_TOKEN, DEFAULT_TOKEN


@pytest.fixture
def slack() -> Iterator[SlackStandin]:
    with SlackStandin(hang_seconds=0.5) as standin:
        yield standin


def _error(call) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(SlackApiError) as raised:
        call()
    return str(raised.value.response["error"])


def test_apps_connections_open_takes_the_app_token_only(slack: SlackStandin) -> None:
    app = WebClient(token=DEFAULT_APP_TOKEN, base_url=slack.api_url)
    url = app.apps_connections_open(app_token=DEFAULT_APP_TOKEN)["url"]
    assert url.startswith("ws://127.0.0.1:") and "ticket=" in url

    slack.socket_url = "ws://127.0.0.1:1234/socket"
    assert app.api_call("apps.connections.open")["url"].startswith("ws://127.0.0.1:1234/socket?")

    bot = WebClient(token=DEFAULT_TOKEN, base_url=slack.api_url)
    assert _error(lambda: bot.api_call("apps.connections.open")) == "not_allowed_token_type"
    assert _error(app.auth_test) == "not_allowed_token_type"
    stranger = WebClient(token="xapp-1-A0OTHER-1-x", base_url=slack.api_url)
    assert _error(lambda: stranger.api_call("apps.connections.open")) == "invalid_auth"
    assert _error(WebClient(token="xoxb-unknown", base_url=slack.api_url).auth_test) == (
        "invalid_auth"
    )
    assert bot.auth_test()["ok"]


def test_twilio_account_fetch() -> None:
    with TwilioStandin(hang_seconds=0.5) as twilio:
        client = make_twilio_client(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, twilio.url)
        account = client.api.v2010.accounts(TWILIO_ACCOUNT_SID).fetch()
        assert (account.sid, account.status) == (TWILIO_ACCOUNT_SID, "active")

        twilio.account_status = "suspended"
        assert client.api.v2010.accounts(TWILIO_ACCOUNT_SID).fetch().status == "suspended"

        with pytest.raises(TwilioRestException) as other:
            client.api.v2010.accounts("AC" + "9" * 32).fetch()
        assert other.value.status == 404

        wrong = make_twilio_client(TWILIO_ACCOUNT_SID, "0" * 32, twilio.url)
        with pytest.raises(TwilioRestException) as refused:
            wrong.api.v2010.accounts(TWILIO_ACCOUNT_SID).fetch()
        assert (refused.value.status, refused.value.code) == (401, 20003)
        assert [c.status for c in twilio.calls("Accounts.fetch")] == [200, 200, 404, 401]
