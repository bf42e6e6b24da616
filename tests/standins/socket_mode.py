"""A local stand-in for Slack's Socket Mode: the websocket that ``apps.connections.open`` names.

Started beside a :class:`SlackStandin`, it points that stand-in's ``apps.connections.open`` at
``ws://127.0.0.1:<port>/link/?ticket=…`` and serves the websocket there (the ``websockets``
library, its threaded server). As Slack does, it

- accepts each ticket that ``apps.connections.open`` issued once, and refuses the handshake
  (401) for an unknown or reused one, so a client must ask for a new URL to reconnect;
- sends ``hello`` when a connection opens;
- sends envelopes on the newest open connection when a test asks:
  ``{"envelope_id", "type", "payload", "accepts_response_payload"}``, plus ``retry_attempt``
  and ``retry_reason`` on ``events_api`` envelopes (and on any re-delivery);
- records every ack (``{"envelope_id", "payload"?}``) with its arrival time, so a test can
  hold the client to Slack's 3-second contract;
- ends connections three ways: Slack's ``disconnect`` message (what Slack sends before it
  refreshes a connection), a close frame, or the TCP connection closed with no close frame.

Anything the client sends that is not a well-formed ack of an envelope sent on that
connection, or a second ack of one envelope, is a problem: leaving the ``with`` block fails.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request as HandshakeRequest
from websockets.http11 import Response as HandshakeResponse
from websockets.sync.server import Server, ServerConnection, serve

from .slack_api import SlackStandin

APP_ID = "A0APP00001"
#: Envelopes whose ack may carry a response payload (Slack's ``accepts_response_payload``).
_ACCEPTS_PAYLOAD = {"slash_commands": True, "events_api": False}
_INTERACTIVE_WITH_PAYLOAD = frozenset({"view_submission", "block_suggestion"})


@dataclass(frozen=True)
class Envelope:
    """One envelope sent to the client."""

    envelope_id: str
    type: str
    payload: dict[str, Any]
    connection: int  # the number of the connection it went out on (1 = the first)
    sent_at: float  # time.monotonic()
    message: dict[str, Any]  # the whole JSON message as sent


@dataclass(frozen=True)
class Ack:
    """One acknowledgement received from the client."""

    envelope_id: str
    payload: dict[str, Any] | None
    connection: int
    at: float  # time.monotonic() at arrival
    message: dict[str, Any]

    def after(self, envelope: Envelope) -> float:
        """Seconds from sending ``envelope`` to this ack's arrival."""
        return self.at - envelope.sent_at


@dataclass
class SocketConnection:
    """One websocket connection the client opened."""

    number: int
    ticket: str
    opened_at: float
    ws: ServerConnection = field(repr=False)
    closed_at: float | None = None
    close_code: int | None = None  # the client's, or ours; None when the socket just ended
    sent: dict[str, Envelope] = field(default_factory=dict, repr=False)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class SocketModeStandin:
    """Slack's Socket Mode server on 127.0.0.1, for the real slack_sdk Socket Mode client."""

    def __init__(self, slack: SlackStandin, *, app_id: str = APP_ID) -> None:
        self.slack = slack
        self.app_id = app_id
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._connections: list[SocketConnection] = []
        self._acks: list[Ack] = []
        self._used_tickets: set[str] = set()
        self._refused: list[str] = []
        self._problems: list[str] = []
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> Self:
        self._server = serve(
            self._serve,
            "127.0.0.1",
            0,
            process_request=self._check_ticket,
            compression=None,  # Slack's client offers no extensions
            server_header=None,
            close_timeout=2,
        )
        port = self._server.socket.getsockname()[1]
        self.slack.socket_url = f"ws://127.0.0.1:{port}/link/"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"SocketModeStandin:{port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.slack.socket_url = None
        for conn in self.connections():
            if conn.is_open:
                self._abort(conn)
        if self._server is not None:
            self._server.shutdown()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        if exc is None and self.problems():
            raise AssertionError("Socket Mode stand-in: " + "; ".join(self.problems()))

    # -- inspection ------------------------------------------------------------------------------
    def connections(self) -> list[SocketConnection]:
        with self._lock:
            return list(self._connections)

    def refused(self) -> list[str]:
        """Handshake paths refused for an unknown or reused ticket, oldest first."""
        with self._lock:
            return list(self._refused)

    def problems(self) -> list[str]:
        with self._lock:
            return list(self._problems)

    def acks(self, envelope: Envelope | None = None) -> list[Ack]:
        with self._lock:
            return [
                a for a in self._acks if envelope is None or a.envelope_id == envelope.envelope_id
            ]

    def wait_connection(self, number: int = 1, timeout: float = 10.0) -> SocketConnection:
        """Block until the ``number``-th connection has opened (and was sent ``hello``)."""
        found = self._wait(lambda: len(self._connections) >= number, timeout)
        if not found:
            raise AssertionError(
                f"expected connection #{number} within {timeout}s; "
                f"got {len(self.connections())}, refused {self.refused()}"
            )
        return self.connections()[number - 1]

    def wait_closed(self, conn: SocketConnection, timeout: float = 10.0) -> None:
        if not self._wait(lambda: not conn.is_open, timeout):
            raise AssertionError(f"connection #{conn.number} still open after {timeout}s")

    def wait_ack(self, envelope: Envelope, timeout: float = 5.0) -> Ack:
        """The ack of ``envelope``; fails when none arrived within ``timeout`` seconds."""
        if not self._wait(lambda: bool(self.acks(envelope)), timeout):
            raise AssertionError(
                f"no ack of {envelope.type} envelope {envelope.envelope_id} within {timeout}s"
            )
        return self.acks(envelope)[0]

    def _wait(self, predicate: Callable[[], bool], timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(predicate, timeout=timeout)

    # -- what Slack sends ------------------------------------------------------------------------
    def send(
        self,
        type: str,
        payload: dict[str, Any],
        *,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
        accepts_response_payload: bool | None = None,
    ) -> Envelope:
        """Send an envelope on the newest open connection; return what was sent."""
        conn = self._current()
        if accepts_response_payload is None:
            accepts_response_payload = _ACCEPTS_PAYLOAD.get(type) or (
                type == "interactive" and payload.get("type") in _INTERACTIVE_WITH_PAYLOAD
            )
        message: dict[str, Any] = {
            "envelope_id": str(uuid.uuid4()),
            "payload": payload,
            "type": type,
            "accepts_response_payload": accepts_response_payload,
        }
        if type == "events_api" or retry_attempt is not None:
            message["retry_attempt"] = retry_attempt or 0
            message["retry_reason"] = retry_reason or ""
        with self._lock:
            envelope = Envelope(
                message["envelope_id"], type, payload, conn.number, time.monotonic(), message
            )
            conn.sent[envelope.envelope_id] = envelope
        conn.ws.send(json.dumps(message))
        return envelope

    def slash_command(self, fields: dict[str, str], **kwargs: Any) -> Envelope:
        return self.send("slash_commands", fields, **kwargs)

    def interactive(self, payload: dict[str, Any], **kwargs: Any) -> Envelope:
        return self.send("interactive", payload, **kwargs)

    def events_api(self, body: dict[str, Any], **kwargs: Any) -> Envelope:
        return self.send("events_api", body, **kwargs)

    def redeliver(self, envelope: Envelope, reason: str = "timeout") -> Envelope:
        """Slack delivering the same payload again: a new envelope, the next retry attempt."""
        attempt = int(envelope.message.get("retry_attempt") or 0) + 1
        return self.send(
            envelope.type,
            envelope.payload,
            retry_attempt=attempt,
            retry_reason=reason,
            accepts_response_payload=envelope.message["accepts_response_payload"],
        )

    # -- ending connections ----------------------------------------------------------------------
    def refresh(self, reason: str = "refresh_requested") -> SocketConnection:
        """Slack's ``disconnect`` message: the client is to open a new connection now."""
        conn = self._current()
        message = {"type": "disconnect", "reason": reason, "debug_info": {"host": "standin"}}
        conn.ws.send(json.dumps(message))
        return conn

    def drop(self, code: int = 1001, reason: str = "going away") -> SocketConnection:
        """Close the newest connection with a close frame, as a server going away does."""
        conn = self._current()
        conn.close_code = code
        # close() waits for the client's side of the handshake; do not hold up the test.
        threading.Thread(target=conn.ws.close, args=(code, reason), daemon=True).start()
        return conn

    def abort(self) -> SocketConnection:
        """Close the newest connection's TCP socket with no close frame (a network failure)."""
        conn = self._current()
        self._abort(conn)
        return conn

    def _abort(self, conn: SocketConnection) -> None:
        try:
            conn.ws.socket.shutdown(socket.SHUT_RDWR)  # FIN now, whatever else holds the socket
        except OSError:
            pass  # already gone
        conn.ws.close_socket()  # and the server's reading thread ends at once

    def _current(self) -> SocketConnection:
        with self._lock:
            for conn in reversed(self._connections):
                if conn.is_open:
                    return conn
        raise AssertionError("no open Socket Mode connection to send on")

    # -- serving ---------------------------------------------------------------------------------
    def _check_ticket(
        self, ws: ServerConnection, request: HandshakeRequest
    ) -> HandshakeResponse | None:
        split = urlsplit(request.path)
        ticket = (parse_qs(split.query).get("ticket") or [""])[0]
        with self._lock:
            known = ticket in self.slack.socket_tickets and ticket not in self._used_tickets
            if split.path == "/link/" and known:
                self._used_tickets.add(ticket)
                return None
            self._refused.append(request.path)
            self._changed.notify_all()
        return ws.respond(HTTPStatus.UNAUTHORIZED, "invalid or used ticket\n")

    def _serve(self, ws: ServerConnection) -> None:
        ticket = (parse_qs(urlsplit(ws.request.path).query).get("ticket") or [""])[0]  # type: ignore[union-attr]
        with self._lock:
            conn = SocketConnection(len(self._connections) + 1, ticket, time.monotonic(), ws)
            open_now = 1 + sum(c.is_open for c in self._connections)
        hello = {
            "type": "hello",
            "num_connections": open_now,
            "debug_info": {"host": "standin", "approximate_connection_time": 18060},
            "connection_info": {"app_id": self.app_id},
        }
        try:
            ws.send(json.dumps(hello))
            with self._changed:
                self._connections.append(conn)
                self._changed.notify_all()
            for raw in ws:
                self._receive(conn, raw)
        except ConnectionClosed:
            pass
        finally:
            with self._changed:
                conn.closed_at = time.monotonic()
                if conn.close_code is None and ws.protocol.close_rcvd is not None:
                    conn.close_code = ws.protocol.close_rcvd.code
                self._changed.notify_all()

    def _receive(self, conn: SocketConnection, raw: str | bytes) -> None:
        at = time.monotonic()
        try:
            message = json.loads(raw)
        except ValueError:
            message = None
        with self._changed:
            if not isinstance(message, dict) or not isinstance(message.get("envelope_id"), str):
                self._problems.append(f"connection #{conn.number} sent {raw!r}")
                return
            envelope_id = message["envelope_id"]
            envelope = conn.sent.get(envelope_id)
            payload = message.get("payload")
            if envelope is None:
                self._problems.append(f"ack of an envelope not sent on #{conn.number}: {raw!r}")
            elif any(a.envelope_id == envelope_id for a in self._acks):
                self._problems.append(f"second ack of envelope {envelope_id}: {raw!r}")
            elif payload is not None and not isinstance(payload, dict):
                self._problems.append(f"ack payload is not an object: {raw!r}")
            elif payload and not envelope.message["accepts_response_payload"]:
                self._problems.append(f"ack payload for a {envelope.type} envelope: {raw!r}")
            self._acks.append(Ack(envelope_id, payload, conn.number, at, message))
            self._changed.notify_all()
