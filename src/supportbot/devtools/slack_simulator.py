"""Inbound Slack requests, built and signed exactly as Slack builds and signs them.

Used by `supportbot demo`, the benchmarks and the tests to drive the real web app over HTTP.
The ``*_payload`` methods build the same payloads without posting them, for Socket Mode,
where Slack sends them as envelopes on a websocket instead.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests
from slack_sdk.signature import SignatureVerifier

TEAM_ID = "T0TEAM0001"
STAFF = "U0STAFF001"
TRIAGE = "C0TRIAGE01"

_ids = itertools.count(1)
# Trigger ids are unique across runs too: a replayed one is refused (handlers._common).
_RUN = uuid.uuid4().hex[:12]


@dataclass
class SlackInbound:
    """Posts signed requests to ``/slack/events`` of a running web app."""

    url: str
    signing_secret: str
    response_url: Any  # callable minting a response_url on the Slack stand-in
    team_id: str = TEAM_ID
    session: requests.Session = field(default_factory=requests.Session)

    def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        sig = signature or SignatureVerifier(self.signing_secret).generate_signature(
            timestamp=ts, body=body
        )
        assert sig is not None
        all_headers: dict[str, str] = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": sig,
            **(headers or {}),
        }
        return self.session.post(self.url, data=body.encode(), headers=all_headers, timeout=10)

    def form(self, fields: dict[str, str], **kwargs: Any) -> requests.Response:
        return self.post(urlencode(fields), "application/x-www-form-urlencoded", **kwargs)

    def interactive(self, payload: dict[str, Any], **kwargs: Any) -> requests.Response:
        return self.form({"payload": json.dumps(payload)}, **kwargs)

    # -- payload shapes --------------------------------------------------------------------
    def command(
        self,
        text: str,
        *,
        user: str = STAFF,
        channel: str = TRIAGE,
        command: str = "/incident",
        user_team: str | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """``user_team``: the invoking user's workspace (default ours; "" sends none)."""
        fields = self.command_payload(
            text, user=user, channel=channel, command=command, user_team=user_team
        )
        return self.form(fields, **kwargs)

    def command_payload(
        self,
        text: str,
        *,
        user: str = STAFF,
        channel: str = TRIAGE,
        command: str = "/incident",
        user_team: str | None = None,
    ) -> dict[str, str]:
        """The fields of a slash command (the form Slack posts, or a Socket Mode payload)."""
        fields = {
            "token": "legacy",
            "team_id": self.team_id if user_team is None else user_team,
            "team_domain": "test",
            "channel_id": channel,
            "channel_name": channel.lower(),
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0APP00001",
            "response_url": self.response_url(),
            "trigger_id": f"trigger.{next(_ids)}.{_RUN}",
        }
        return {k: v for k, v in fields.items() if v != ""}

    def _user(self, user: str, user_team: str | None) -> dict[str, Any]:
        """The ``user`` object; ``user_team`` "" leaves its team out (a malformed payload)."""
        found = {"id": user, "username": user.lower(), "team_id": user_team or self.team_id}
        if user_team == "":
            del found["team_id"]
        return found

    def block_action(
        self,
        action_id: str,
        *,
        value: str | None = None,
        user: str = STAFF,
        channel: str = TRIAGE,
        user_team: str | None = None,
        block_id: str = "b",
        selected: str | None = None,
        message_ts: str = "1.000001",
        **kwargs: Any,
    ) -> requests.Response:
        payload = self.block_action_payload(
            action_id,
            value=value,
            user=user,
            channel=channel,
            user_team=user_team,
            block_id=block_id,
            selected=selected,
            message_ts=message_ts,
        )
        return self.interactive(payload, **kwargs)

    def block_action_payload(
        self,
        action_id: str,
        *,
        value: str | None = None,
        user: str = STAFF,
        channel: str = TRIAGE,
        user_team: str | None = None,
        block_id: str = "b",
        selected: str | None = None,
        message_ts: str = "1.000001",
    ) -> dict[str, Any]:
        """A ``block_actions`` payload: one button press (or select) on a message."""
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id,
            "type": "button",
            "action_ts": str(time.time()),
        }
        if value is not None:
            action["value"] = value
        if selected is not None:
            action.update(
                type="static_select",
                selected_option={
                    "value": selected,
                    "text": {"type": "plain_text", "text": selected},
                },
            )
        return {
            "type": "block_actions",
            "team": {"id": self.team_id},
            "user": self._user(user, user_team),
            "api_app_id": "A0APP00001",
            "channel": {"id": channel},
            "container": {"type": "message", "message_ts": message_ts},
            "message": {"ts": message_ts, "text": ""},
            "trigger_id": f"trigger.{next(_ids)}.{_RUN}",
            "response_url": self.response_url(),
            "actions": [action],
        }

    def view_submission(
        self,
        callback_id: str,
        values: dict[str, Any],
        *,
        user: str = STAFF,
        private_metadata: str = "",
        user_team: str | None = None,
        view_id: str | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        state: dict[str, Any] = {}
        for block, value in values.items():
            if isinstance(value, dict):  # a select: {"selected": "2"}
                state[block] = {
                    "value": {
                        "type": "static_select",
                        "selected_option": {
                            "value": value["selected"],
                            "text": {"type": "plain_text", "text": "x"},
                        },
                    }
                }
            else:
                state[block] = {"value": {"type": "plain_text_input", "value": value}}
        return self.interactive(
            {
                "type": "view_submission",
                "team": {"id": self.team_id},
                "user": self._user(user, user_team),
                "api_app_id": "A0APP00001",
                "trigger_id": f"trigger.{next(_ids)}.{_RUN}",
                "view": {
                    "id": view_id or f"V{next(_ids):08d}",
                    "type": "modal",
                    "callback_id": callback_id,
                    "private_metadata": private_metadata,
                    "state": {"values": state},
                },
            },
            **kwargs,
        )

    def message_shortcut(
        self,
        callback_id: str,
        *,
        message: dict[str, Any],
        channel: str,
        user: str = STAFF,
        user_team: str | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        return self.interactive(
            {
                "type": "message_action",
                "callback_id": callback_id,
                "team": {"id": self.team_id},
                "user": self._user(user, user_team),
                "channel": {"id": channel, "name": "x"},
                "message": message,
                "message_ts": message.get("ts"),
                "trigger_id": f"trigger.{next(_ids)}.{_RUN}",
                "response_url": self.response_url(),
            },
            **kwargs,
        )

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        body = json.dumps(self.event_payload(event, event_id=event_id))
        headers = kwargs.pop("headers", {}) or {}
        if retry_num is not None:
            headers |= {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "timeout"}
        return self.post(body, "application/json", headers=headers, **kwargs)

    def event_payload(
        self, event: dict[str, Any], *, event_id: str | None = None
    ) -> dict[str, Any]:
        """The ``event_callback`` wrapped around one event, as the Events API delivers it."""
        return {
            "token": "legacy",
            "team_id": self.team_id,
            "api_app_id": "A0APP00001",
            "type": "event_callback",
            "event": event,
            "event_id": event_id or f"Ev{next(_ids):08d}",
            "event_time": int(time.time()),
        }

    def message(
        self,
        text: str,
        *,
        user: str,
        channel: str,
        ts: str | None = None,
        thread_ts: str | None = None,
        user_team: str | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        event = self.message_event(
            text, user=user, channel=channel, ts=ts, thread_ts=thread_ts, user_team=user_team
        )
        return self.event(event, **kwargs)

    def message_event(
        self,
        text: str,
        *,
        user: str,
        channel: str,
        ts: str | None = None,
        thread_ts: str | None = None,
        user_team: str | None = None,
    ) -> dict[str, Any]:
        """A ``message`` event as Slack sends it (wrap it with :meth:`event_payload`)."""
        event: dict[str, Any] = {
            "type": "message",
            "channel": channel,
            "user": user,
            "text": text,
            "ts": ts or f"{time.time():.6f}",
            "channel_type": "channel",
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        # As Slack does: the author's team on every message ("" leaves it out).
        if user_team != "":
            event["team"] = event["user_team"] = user_team or self.team_id
        return event
