"""What the edge tests share: signing as Slack and Twilio do, timing an answer, watching the log
for tracebacks, and reading what Slack would render from the bot's posts."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from prometheus_client import REGISTRY
from twilio.request_validator import RequestValidator

from tests.standins import TWILIO_AUTH_TOKEN, SlackStandin

#: Slack gives up on an answer after 3 seconds (and retries an event, or shows an error).
SLACK_DEADLINE = 3.0


def slack_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's v0 signature: HMAC-SHA256 of ``v0:{timestamp}:{body}`` with the signing secret."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_slack_headers(secret: str, body: bytes, content_type: str) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": slack_signature(secret, timestamp, body),
    }


def post_twilio(
    session: requests.Session,
    base_url: str,
    path: str,
    params: dict[str, str],
    *,
    token: str = TWILIO_AUTH_TOKEN,
) -> requests.Response:
    """POST a form to ``path`` (with any query string) signed as Twilio signs its webhooks:
    the full URL it called plus every form field, sorted, HMAC-SHA1 with the auth token."""
    url = base_url + path
    signature = RequestValidator(token).compute_signature(url, params)
    headers = {
        "X-Twilio-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
    }
    return session.post(url, data=urlencode(params).encode(), headers=headers, timeout=10)


@dataclass
class Timed:
    response: requests.Response
    seconds: float


def timed(send: Any, *args: Any, **kwargs: Any) -> Timed:
    started = time.monotonic()
    response = send(*args, **kwargs)
    return Timed(response, time.monotonic() - started)


def refused(reason: str) -> float:
    """How many requests were refused for ``reason`` so far (the Prometheus counter)."""
    found = REGISTRY.get_sample_value("supportbot_requests_refused_total", {"reason": reason})
    return found or 0.0


@dataclass
class LogWatch:
    caplog: pytest.LogCaptureFixture

    def tracebacks(self) -> list[str]:
        """Records that carry a traceback (or print one), or an ERROR naming an exception."""
        found = []
        for record in self.caplog.records:
            message = record.getMessage()
            if record.exc_info or record.exc_text or record.stack_info:
                found.append(f"{record.name}: {message} (with exc_info)")
            elif "Traceback" in message:
                found.append(f"{record.name}: {message}")
            elif record.levelno >= logging.ERROR and ("Error" in message or "xception" in message):
                found.append(f"{record.name}: {message}")
        if "Traceback (most recent call last)" in self.caplog.text and not found:
            found.append(self.caplog.text)
        return found

    def assert_no_traceback(self) -> None:
        found = self.tracebacks()
        assert not found, "a traceback reached the log:\n" + "\n---\n".join(found)

    def clear(self) -> None:
        self.caplog.clear()


# -- what Slack renders -------------------------------------------------------------------------
def _mrkdwn(value: Any) -> list[str]:
    """Texts Slack parses for control sequences in a Block Kit structure: mrkdwn text objects.

    Plain-text objects (headers, button labels) and button values are shown as typed or not
    shown at all: ``<!channel>`` there notifies nobody.
    """
    found: list[str] = []
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
            found.append(value["text"])
        for key, inner in value.items():
            if key in ("text", "value") and not isinstance(inner, dict | list):
                continue
            found += _mrkdwn(inner)
    elif isinstance(value, list):
        for inner in value:
            found += _mrkdwn(inner)
    return found


@dataclass(frozen=True)
class Rendered:
    method: str
    channel: str
    text: str


def rendered_posts(api: SlackStandin) -> list[Rendered]:
    """Every message the bot posted, updated, sent ephemerally or through a response URL, as
    the texts Slack would parse: the top-level ``text`` (a mrkdwn fallback and notification)
    and every mrkdwn object of its blocks and attachments."""
    out: list[Rendered] = []
    for call in api.calls():
        if call.method not in (
            "chat.postMessage",
            "chat.update",
            "chat.postEphemeral",
            "response_url",
        ):
            continue
        params = call.params
        texts = [params["text"]] if isinstance(params.get("text"), str) else []
        for field in ("blocks", "attachments"):
            texts += _mrkdwn(_decoded(params.get(field)))
        channel = str(params.get("channel") or call.path)
        out += [Rendered(call.method, channel, text) for text in texts]
    return out


def _decoded(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
