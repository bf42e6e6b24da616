"""Socket Mode attacked as the HTTP edge is (tests/edge, tests/handlers): the same refusals."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis

from handlers._common import on_error
from supportbot.runtime import Runtime
from supportbot.settings import Settings
from supportbot.socket_mode import start_socket_mode
from supportbot.web import build_bolt_app
from tests.conftest import SIGNING_SECRET, make_settings
from tests.standins import SlackStandin
from tests.standins.slack_api import DEFAULT_APP_TOKEN
from tests.standins.socket_mode import SocketModeStandin
from tests.support.live import TrackingExecutor
from tests.support.slack_requests import TEAM_ID, SlackInbound
from tests.test_socket_mode import SocketDesk


@pytest.fixture
def settings(
    tmp_path: Path, redis: Redis, redis_url: str, database_url: str, slack_api: SlackStandin
) -> Settings:
    return make_settings(
        tmp_path, redis_url, database_url, slack_api.api_url, slack_app_token=DEFAULT_APP_TOKEN
    )


@pytest.fixture
def sock(rt: Runtime, slack_api: SlackStandin) -> Iterator[SocketDesk]:
    """As tests/test_socket_mode.py's, with the product's own error handler kept."""
    with SocketModeStandin(slack_api) as socket:
        bolt = build_bolt_app(rt, SIGNING_SECRET)
        listeners = TrackingExecutor()
        bolt.listener_runner.listener_executor = listeners
        bolt.listener_runner.lazy_listener_runner.executor = listeners  # type: ignore[attr-defined]
        errors: list[BaseException] = []

        @bolt.error
        def _record(error: Exception, body: dict[str, Any], response: Any) -> Any:
            errors.append(error)
            return on_error(error, body, response)

        handler = start_socket_mode(bolt, rt.settings)
        assert handler is not None
        try:
            socket.wait_connection(1)
            payloads = SlackInbound("", "", slack_api.response_url, team_id=TEAM_ID)
            yield SocketDesk(rt, slack_api, socket, payloads, listeners, errors)
            listeners.wait_idle()
        finally:
            for conn in socket.connections():
                if conn.is_open:
                    socket.drop()
                    socket.wait_closed(conn)
            handler.close()
            listeners.shutdown(wait=True)


SLACK_ACK_LIMIT = 3.0


@pytest.mark.parametrize(
    "kind, payload",
    [
        ("events_api", {"type": "event_callback", "team_id": TEAM_ID, "event": None}),
        ("events_api", {"type": "event_callback", "team_id": TEAM_ID, "event": {"user": 5}}),
        ("interactive", {"type": "block_actions", "user": 5, "actions": [{"action_id": "x"}]}),
        ("interactive", {"type": "block_actions", "user": {"id": "U1"}, "channel": True}),
    ],
)
def test_a_payload_bolt_cannot_read_is_refused_and_acked_not_a_traceback(
    sock: SocketDesk, caplog: pytest.LogCaptureFixture, kind: str, payload: dict[str, Any]
) -> None:
    """Over HTTP web.py refuses such a body (400) before Bolt reads it; over the socket it
    went straight to Bolt, which raised in its own middleware: a traceback, no ack, and Slack
    sending the same unreadable envelope again."""
    caplog.set_level(logging.WARNING)
    envelope = sock.socket.send(kind, payload)

    ack = sock.socket.wait_ack(envelope, timeout=10)
    assert ack.after(envelope) < SLACK_ACK_LIMIT
    assert ack.payload is None
    sock.settle()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert errors == [], [r.getMessage() for r in errors]
    assert any("refused" in r.getMessage() for r in caplog.records)

    # The socket still serves the next envelope.
    answer = sock.acked(sock.command("sev3 after the unreadable one")).payload
    assert answer is not None and "Opened *INC-1*" in answer["text"]
