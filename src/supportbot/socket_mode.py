"""Socket Mode: the Bolt listeners served over Slack's websocket instead of (or beside) HTTP.

With ``SLACK_APP_TOKEN`` set, ``supportbot web`` opens the socket here, with slack_bolt's
built-in ``SocketModeHandler``. It asks ``apps.connections.open`` (through the app's
``WebClient``, so ``SLACK_API_URL`` applies) for a one-time websocket URL, acks every envelope
with the listener's answer, and asks for a new URL and reconnects when Slack says
``disconnect`` or the socket closes. Retried Events API deliveries carry their retry number
on as ``X-Slack-Retry-Num``, as over HTTP. tests/test_socket_mode.py runs it against a local
Socket Mode stand-in.
"""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from supportbot.settings import Settings
from supportbot.web import refused_envelope

log = logging.getLogger(__name__)


class _CheckedHandler(SocketModeHandler):
    """Bolt's handler, refusing first what ``/slack/events`` refuses before Bolt reads it.

    Such an envelope is acked bare: unacked, Slack sends the same unreadable payload again.
    """

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        if refused_envelope(req.payload):
            client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            return
        super().handle(client, req)


def start_socket_mode(bolt: App, settings: Settings) -> SocketModeHandler | None:
    """Connect ``bolt`` over Socket Mode when an app token is set; None when it is not.

    Returns once the first connection is open; the handler's own threads receive envelopes
    and reconnect from then on. ``close()`` it to stop.
    """
    if settings.slack_app_token is None:
        return None
    handler = _CheckedHandler(bolt, settings.slack_app_token.get_secret_value())
    handler.connect()
    log.info("Socket Mode connected; /slack/events is also served over HTTP")
    return handler
