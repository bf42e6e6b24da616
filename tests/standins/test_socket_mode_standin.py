"""The Socket Mode stand-in itself, driven by a plain websocket client (``websockets``):
one-time tickets, hello, envelope shapes, ack records and the three ways a connection ends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.standins import SlackStandin
from tests.standins.slack_api import DEFAULT_APP_TOKEN
from tests.standins.socket_mode import SocketModeStandin


@pytest.fixture
def slack() -> Iterator[SlackStandin]:
    with SlackStandin(hang_seconds=0.5) as standin:
        yield standin


def _open_url(slack: SlackStandin) -> str:
    client = WebClient(token=DEFAULT_APP_TOKEN, base_url=slack.api_url)
    return str(client.apps_connections_open(app_token=DEFAULT_APP_TOKEN)["url"])


def _recv(ws: ClientConnection) -> dict[str, Any]:
    message = json.loads(ws.recv(timeout=5))
    assert isinstance(message, dict)
    return message


def test_a_ticket_opens_one_connection_which_starts_with_hello(slack: SlackStandin) -> None:
    with SocketModeStandin(slack) as socket:
        url = _open_url(slack)
        assert url.startswith(slack.socket_url or "?") and "ticket=" in url
        with connect(url) as ws:
            hello = _recv(ws)
            assert hello["type"] == "hello" and hello["num_connections"] == 1
            assert hello["connection_info"] == {"app_id": "A0APP00001"}
            assert socket.wait_connection(1).is_open

            for refused in (url, url.replace("ticket=", "ticket=9")):
                with pytest.raises(InvalidStatus) as raised:
                    connect(refused)
                assert raised.value.response.status_code == 401
            assert len(socket.refused()) == 2
        assert len(socket.connections()) == 1
    assert slack.socket_url is None  # stopped: apps.connections.open no longer names it


def test_envelopes_carry_slacks_fields_and_acks_are_recorded(slack: SlackStandin) -> None:
    with SocketModeStandin(slack) as socket, connect(_open_url(slack)) as ws:
        _recv(ws)
        socket.wait_connection(1)
        command = socket.slash_command({"command": "/incident", "text": "help"})
        press = socket.interactive({"type": "block_actions", "actions": []})
        event = socket.events_api({"type": "event_callback", "event_id": "Ev1"})
        retried = socket.redeliver(event)

        sent = [_recv(ws) for _ in range(4)]
        assert [m["type"] for m in sent] == [
            "slash_commands",
            "interactive",
            "events_api",
            "events_api",
        ]
        assert [m["accepts_response_payload"] for m in sent] == [True, False, False, False]
        assert "retry_attempt" not in sent[0] and "retry_attempt" not in sent[1]
        assert (sent[2]["retry_attempt"], sent[2]["retry_reason"]) == (0, "")
        assert (sent[3]["retry_attempt"], sent[3]["retry_reason"]) == (1, "timeout")
        assert sent[3]["payload"] == sent[2]["payload"]
        assert len({m["envelope_id"] for m in sent}) == 4

        ws.send(json.dumps({"envelope_id": command.envelope_id, "payload": {"text": "hi"}}))
        ws.send(json.dumps({"envelope_id": press.envelope_id}))
        ack = socket.wait_ack(command)
        assert (ack.payload, ack.connection) == ({"text": "hi"}, 1)
        assert 0 <= ack.after(command) < 5
        assert socket.wait_ack(press).payload is None
        assert socket.acks(retried) == []
        assert socket.problems() == []


def test_a_wrong_ack_is_a_problem_that_fails_the_with_block(slack: SlackStandin) -> None:
    socket = SocketModeStandin(slack).start()
    with connect(_open_url(slack)) as ws:
        _recv(ws)
        socket.wait_connection(1)
        event = socket.events_api({"type": "event_callback"})
        ws.send(json.dumps({"envelope_id": event.envelope_id, "payload": {"text": "no"}}))
        ws.send(json.dumps({"envelope_id": event.envelope_id}))
        ws.send(json.dumps({"envelope_id": "never-sent"}))
        ws.send("not json")
        socket.wait_ack(event)
        for _ in range(50):
            if len(socket.problems()) == 4:
                break
            ws.ping().wait(1)  # let the stand-in read what was sent
    problems = socket.problems()
    assert [p.split(":")[0] for p in problems] == [
        "ack payload for a events_api envelope",
        "second ack of envelope " + event.envelope_id,
        "ack of an envelope not sent on #1",
        "connection #1 sent 'not json'",
    ]
    with pytest.raises(AssertionError, match="Socket Mode stand-in"):
        socket.__exit__(None, None, None)


@pytest.mark.parametrize("how", ["refresh", "drop", "abort"])
def test_the_three_ways_a_connection_ends(slack: SlackStandin, how: str) -> None:
    with SocketModeStandin(slack) as socket, connect(_open_url(slack)) as ws:
        _recv(ws)
        conn = socket.wait_connection(1)

        getattr(socket, how)()

        if how == "refresh":
            assert _recv(ws)["type"] == "disconnect"  # the client is to reconnect, and close
            assert conn.is_open
            ws.close()
            socket.wait_closed(conn)
            return
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
        socket.wait_closed(conn)
        if how == "drop":
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
        else:
            assert closed.value.rcvd is None  # no close frame: the TCP connection just ended
