"""The Slack Web API client, with retries, or a local stand-in that writes to the log.

Without a bot token the product still runs ("local mode"): every call that would reach
Slack is logged with its payload and answered like Slack would, so the same code path runs.
"""

from __future__ import annotations

import itertools
import json
import logging
import threading
import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.web.slack_response import SlackResponse

log = logging.getLogger("supportbot.slack.outbound")

LOCAL_TOKEN = "xoxb-local-mode"


class _ConnectionRetryNotPosts(ConnectionErrorRetryHandler):
    """A dropped connection is retried at once, except a post: Slack may have taken the
    message before the connection went, and a blind retry would post it twice. A failed post
    fails its job instead; RQ's retry looks for the message in Slack first
    (:mod:`supportbot.delivery.inflight`), so it is posted once."""

    def _can_retry(self, *, state: Any, request: HttpRequest, response: Any = None,
                   error: Exception | None = None) -> bool:  # fmt: skip
        if request.url.rstrip("/").endswith("/chat.postMessage"):
            return False
        return super()._can_retry(state=state, request=request, response=response, error=error)


def retry_handlers() -> list[Any]:
    # A 429 waits for Retry-After and tries again; a 5xx or a dropped connection backs off.
    return [
        RateLimitErrorRetryHandler(max_retry_count=5),
        ServerErrorRetryHandler(max_retry_count=3),
        _ConnectionRetryNotPosts(max_retry_count=3),
    ]


def make_web_client(token: str, base_url: str, timeout: int = 10) -> WebClient:
    return WebClient(
        token=token, base_url=base_url, timeout=timeout, retry_handlers=retry_handlers()
    )


# The workspace local mode pretends to be: the demo's simulated staff belong to it.
LOCAL_TEAM_ID = "T0LOCAL"


class LoggingWebClient(WebClient):
    """Local mode: log each outbound call instead of sending it, and answer plausibly."""

    def __init__(self, *, record: bool = False) -> None:
        """``record``: keep every call in :attr:`sent` (the demo shows them). Off for a
        service in local mode, which would otherwise hold every card it ever drew."""
        super().__init__(token=LOCAL_TOKEN)
        self._ts = itertools.count(1)
        self._lock = threading.Lock()
        self._record = record
        self.sent: list[tuple[str, dict[str, Any]]] = []

    def api_call(  # type: ignore[override]
        self, api_method: str, *, http_verb: str = "POST", **kwargs: Any
    ) -> SlackResponse:
        params = {**(kwargs.get("params") or {}), **(kwargs.get("json") or {})}
        params.update(kwargs.get("data") or {})
        with self._lock:
            if self._record:
                self.sent.append((api_method, params))
            ts = f"{int(time.time())}.{next(self._ts):06d}"
        if log.isEnabledFor(logging.INFO):  # a card's blocks are kilobytes of JSON
            log.info("local mode, not sent: %s %s", api_method, json.dumps(params, default=str))
        data: dict[str, Any] = {"ok": True, "ts": ts, "channel": params.get("channel", "D0LOCAL")}
        if api_method == "auth.test":
            data.update(user_id="U0LOCALBOT", bot_id="B0LOCAL", team_id=LOCAL_TEAM_ID, team="local")
        if api_method == "conversations.open":
            data["channel"] = {"id": "D" + str(params.get("users", "LOCAL")).replace(",", "")}
        if api_method == "usergroups.list":
            data["usergroups"] = []
        if api_method == "usergroups.create":
            handle = str(params.get("handle", "local"))
            data["usergroup"] = {"id": "S0LOCAL", "handle": handle, "users": []}
        return SlackResponse(
            client=self,
            http_verb=http_verb,
            api_url=api_method,
            req_args={},
            data=data,
            headers={},
            status_code=200,
        )
