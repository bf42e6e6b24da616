"""A local stand-in for the Slack Web API, reached through the real slack_sdk ``WebClient``.

Point a client at ``SlackStandin.api_url`` (``WebClient(base_url=...)`` or ``SLACK_API_URL``).
It answers the methods the bot uses with Slack's response shapes and error codes, checks the bot
token, serves ``response_url`` endpoints, and records everything so tests can assert on what the
bot posted.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ._server import TRANSPORT_FAULTS, Clock, Reply, Request, StandinServer

DEFAULT_TOKEN = "xoxb-test-token"
DEFAULT_APP_TOKEN = "xapp-1-A0APP00001-test-app-token"
#: Methods that take an app-level token (xapp-…), like Socket Mode's; all others a bot token.
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
OIDC_CLIENT_ID = "1234567890.0987654321"
OIDC_CLIENT_SECRET = "oidc-test-client-secret"
OIDC_AUTHORIZE = "openid/connect/authorize"  # a browser page, not a Web API method
Payload = dict[str, Any]
MethodHandler = Callable[[Payload], Payload]
_ERROR_CODE = re.compile(r"^[a-z][a-z_]*$")
_JSON_FIELDS = ("blocks", "attachments", "metadata", "view")
_FAULT_ERRORS = {"429": "ratelimited", "500": "internal_error", "503": "service_unavailable"}


class SlackError(Exception):
    """Raised inside a method handler to answer ``{"ok": false, "error": code}``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _need(params: Payload, name: str, error: str = "invalid_arguments") -> Any:
    if not params.get(name):
        raise SlackError(error)
    return params[name]


def _check_blocks(blocks: Any, limit: int) -> None:
    """Apply Slack's main Block Kit limits, so oversized cards fail here as they would live."""
    if not isinstance(blocks, list) or len(blocks) > limit:
        raise SlackError("invalid_blocks")
    for block in blocks:
        if not isinstance(block, dict) or "type" not in block:
            raise SlackError("invalid_blocks")
        text = block.get("text")
        cap = 150 if block["type"] == "header" else 3000
        if isinstance(text, dict) and len(str(text.get("text", ""))) > cap:
            raise SlackError("invalid_blocks")
        if len(block.get("elements") or []) > 25 or len(str(block.get("block_id", ""))) > 255:
            raise SlackError("invalid_blocks")


def block_text(value: Any) -> str:
    """All human-readable text in a message or Block Kit structure, joined, for assertions."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        parts = [block_text(value[k]) for k in ("text", "value") if isinstance(value.get(k), str)]
        parts += [block_text(v) for k, v in value.items() if isinstance(v, dict | list)]
        return "\n".join(p for p in parts if p)
    if isinstance(value, list):
        return "\n".join(p for p in (block_text(v) for v in value) if p)
    return ""


class SlackStandin(StandinServer):
    """The Slack Web API on 127.0.0.1: ``/api/<method>`` plus ``/response/<id>`` URLs."""

    def __init__(
        self,
        *,
        token: str | None = DEFAULT_TOKEN,
        app_token: str | None = DEFAULT_APP_TOKEN,
        team_id: str = "T0TEAM0001",
        team: str = "Test Workspace",
        bot_user_id: str = "U0BOT00001",
        bot_id: str = "B0BOT00001",
        clock: Clock | None = None,
        hang_seconds: float = 3.0,
    ) -> None:
        super().__init__(clock=clock, hang_seconds=hang_seconds)
        self.token = token  # None accepts any token
        self.app_token = app_token  # for apps.connections.open; None accepts any xapp- token
        # What apps.connections.open answers; a Socket Mode stand-in sets its own server's URL
        # (tests/standins/socket_mode.py) and accepts each issued ticket once.
        self.socket_url: str | None = None
        self.socket_tickets: list[str] = []
        self.team_id, self.team, self.bot_user_id, self.bot_id = team_id, team, bot_user_id, bot_id
        self.team_url = f"https://{re.sub(r'[^a-z0-9]+', '-', team.lower())}.slack.com/"
        self.users: dict[str, Payload] = {}
        self.channels: dict[str, Payload] = {}
        self._messages: dict[tuple[str, str], Payload] = {}
        self._views: dict[str, Payload] = {}
        self._trigger_roots: dict[str, str] = {}
        self._dms: dict[str, str] = {}
        self._response_ids: set[str] = set()
        self.usergroups: dict[str, list[str]] = {}  # id -> member user ids
        self.usergroup_info: dict[str, Payload] = {}  # id -> handle, name, description
        self.usergroups: dict[str, list[str]] = {}
        # Sign in with Slack (OpenID Connect): the registered app, and who the browser signs
        # in as next (a test sets it; None makes the authorize page answer access_denied).
        self.oidc_client: tuple[str, str] = (OIDC_CLIENT_ID, OIDC_CLIENT_SECRET)
        self.oidc_user: Payload | None = None
        # code -> (user, redirect_uri, the nonce the authorize request carried)
        self._oidc_codes: dict[str, tuple[Payload, str, str | None]] = {}
        self._oidc_tokens: dict[str, Payload] = {}  # access token -> user
        self._ids = itertools.count(1)
        self._last_ts = 0
        # Each built-in method is implemented by ``_<method with "." as "_">`` below.
        builtin = (
            "auth.test",
            "chat.postMessage",
            "chat.update",
            "chat.postEphemeral",
            "chat.getPermalink",
            "views.open",
            "views.push",
            "views.update",
            "conversations.open",
            "conversations.info",
            "conversations.replies",
            "conversations.history",
            "users.info",
            "usergroups.users.list",
            "usergroups.list",
            "usergroups.create",
            "usergroups.users.update",
            "apps.connections.open",
            "openid.connect.token",
            "openid.connect.userInfo",
        )
        self._methods: dict[str, MethodHandler] = {
            name: getattr(self, "_" + name.replace(".", "_")) for name in builtin
        }

    @property
    def api_url(self) -> str:
        """What to pass as ``WebClient(base_url=...)`` or ``SLACK_API_URL``."""
        return self.url + "/api/"

    # -- configuration ---------------------------------------------------------------------------
    def add_user(
        self,
        user_id: str,
        name: str | None = None,
        *,
        real_name: str | None = None,
        tz: str = "UTC",
        team_id: str | None = None,
        is_bot: bool = False,
        email: str | None = None,
        **extra: Any,
    ) -> Payload:
        """Register a user for ``users.info`` (unknown users get ``user_not_found``)."""
        name = name or user_id.lower()
        profile = {"real_name": real_name or name, "display_name": name, "email": email}
        user = dict(id=user_id, team_id=team_id or self.team_id, name=name, tz=tz, is_bot=is_bot)
        user |= dict.fromkeys(("deleted", "is_app_user", "is_admin", "is_owner"), False)
        user |= dict(real_name=real_name or name, profile=profile, **extra)
        with self._lock:
            self.users[user_id] = user
        return user

    def add_channel(
        self,
        channel_id: str,
        name: str | None = None,
        *,
        is_private: bool = False,
        is_ext_shared: bool = False,
        is_archived: bool = False,
        **extra: Any,
    ) -> Payload:
        """Register a channel for ``conversations.info``; posting to an archived one fails."""
        channel = dict(id=channel_id, name=name or channel_id.lower(), is_channel=True)
        channel |= dict.fromkeys(("is_group", "is_im", "is_mpim", "is_org_shared"), False)
        channel |= dict(is_private=is_private, is_archived=is_archived, is_member=True)
        channel |= dict(is_shared=is_ext_shared, is_ext_shared=is_ext_shared, created=1700000000)
        channel |= dict(context_team_id=self.team_id, **extra)
        with self._lock:
            self.channels[channel_id] = channel
        return channel

    def add_usergroup(self, handle: str, users: list[str], name: str | None = None) -> str:
        """Create a user group as someone in Slack would; returns its id (``S…``)."""
        with self._lock:
            return self._new_usergroup({"handle": handle, "name": name or handle}, users)

    def usergroup_members(self, handle: str) -> list[str] | None:
        """The members of the group with ``handle`` now, or None if there is none."""
        with self._lock:
            found = next((g for g, i in self.usergroup_info.items() if i["handle"] == handle), None)
            return list(self.usergroups[found]) if found else None

    def on(self, method: str, handler: MethodHandler) -> None:
        """Add or replace a Web API method: ``handler(params) -> payload``; raise SlackError."""
        with self._lock:
            self._methods[method] = handler

    def response_url(self) -> str:
        """Mint a ``response_url`` as Slack puts in command and interaction payloads."""
        with self._lock:
            rid = f"T{next(self._ids):06d}"
            self._response_ids.add(rid)
        return f"{self.url}/response/{rid}"

    # -- inspection ------------------------------------------------------------------------------
    def messages(self, channel: str | None = None, thread_ts: str | None = None) -> list[Payload]:
        """Successful chat.postMessage / chat.update payloads, blocks decoded, ``ts`` filled in."""
        found = []
        for call in self.calls():
            ok = isinstance(call.response, dict) and call.response.get("ok")
            if call.method not in ("chat.postMessage", "chat.update") or not ok:
                continue
            msg = {"text": "", **_decode_fields(call.params), "method": call.method}
            msg |= {"ts": call.response["ts"], "channel": call.response["channel"]}
            if channel not in (None, msg["channel"], call.params.get("channel")):
                continue
            if thread_ts is not None and msg.get("thread_ts") != thread_ts:
                continue
            found.append(msg)
        return found

    def message(self, channel: str, ts: str) -> Payload | None:
        """The current state of a posted message (after any chat.update)."""
        with self._lock:
            return self._messages.get((channel, ts))

    def view(self, view_id: str) -> Payload | None:
        with self._lock:
            return self._views.get(view_id)

    def responses(self, url: str | None = None) -> list[Payload]:
        """JSON bodies posted to minted response URLs (optionally to one of them)."""
        path = url.removeprefix(self.url) if url else None
        return [c.params for c in self.calls("response_url") if path in (None, c.path)]

    # -- StandinServer hooks ---------------------------------------------------------------------
    def classify(self, req: Request) -> str:
        if req.path.startswith("/response/"):
            return "response_url"
        return req.path.removeprefix("/api/").strip("/")

    def authorize(self, req: Request, method: str) -> Reply | None:
        if method == "response_url" or method not in self._methods:
            return None
        if method == "openid.connect.token":
            return None  # the client id and secret are the credentials (checked in the method)
        if method == "openid.connect.userInfo":
            bearer = req.headers.get("authorization", "").removeprefix("Bearer ").strip()
            with self._lock:
                known = (bearer or req.params.get("token")) in self._oidc_tokens
            return None if known else Reply.json(200, {"ok": False, "error": "invalid_auth"})
        auth = req.headers.get("authorization", "")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else None
        token = token or req.params.get("token")
        if not token:
            return Reply.json(200, {"ok": False, "error": "not_authed"})
        if method in APP_TOKEN_METHODS or token.startswith("xapp-"):
            return self._authorize_app_token(method, token)
        if self.token is not None and token != self.token:
            return Reply.json(200, {"ok": False, "error": "invalid_auth"})
        return None

    def _authorize_app_token(self, method: str, token: str) -> Reply | None:
        """As Slack: an app-level token only works for the app-level methods, and those take
        no other kind of token (``not_allowed_token_type``); an unknown one is ``invalid_auth``."""
        wrong_kind = (method in APP_TOKEN_METHODS) != token.startswith("xapp-")
        if wrong_kind:
            return Reply.json(200, {"ok": False, "error": "not_allowed_token_type"})
        if self.app_token is not None and token != self.app_token:
            return Reply.json(200, {"ok": False, "error": "invalid_auth"})
        return None

    def validate_kind(self, kind: str) -> None:
        if kind not in TRANSPORT_FAULTS and not _ERROR_CODE.match(kind):
            raise ValueError(
                f"unknown fault kind {kind!r}: use 429/500/503/timeout/drop or a "
                "Slack error code such as 'channel_not_found'"
            )

    def fault_reply(self, kind: str, retry_after: int, req: Request, method: str) -> Reply:
        if kind in _FAULT_ERRORS:
            headers = {"Retry-After": str(retry_after)} if kind == "429" else {}
            return Reply.json(int(kind), {"ok": False, "error": _FAULT_ERRORS[kind]}, headers)
        return Reply.json(200, {"ok": False, "error": kind})

    def handle(self, req: Request, method: str) -> Reply:
        if method == OIDC_AUTHORIZE:
            return self._oidc_authorize(req)
        if method == "openid.connect.userInfo":
            bearer = req.headers.get("authorization", "").removeprefix("Bearer ").strip()
            return Reply.json(200, {"ok": True, **self._oidc_tokens[bearer or req.params["token"]]})
        if method == "openid.connect.token" and req.headers.get("authorization", "").startswith(
            "Basic "
        ):
            # slack_sdk sends the client id and secret as HTTP Basic credentials, as Slack takes.
            import base64

            raw = base64.b64decode(req.headers["authorization"][6:]).decode()
            client_id, _, secret = raw.partition(":")
            req.params.update(client_id=client_id, client_secret=secret)
        if method == "response_url":
            if req.path.removeprefix("/response/") not in self._response_ids:
                return Reply.json(404, {"ok": False, "error": "expired_url"})
            return Reply.json(200, {"ok": True})
        handler = self._methods.get(method)
        if handler is None:
            return Reply.json(200, {"ok": False, "error": "unknown_method", "req_method": method})
        try:
            return Reply.json(200, {"ok": True, **handler(_decode_fields(req.params))})
        except SlackError as err:
            return Reply.json(200, {"ok": False, "error": err.code})

    # -- Web API methods (run under the lock) ----------------------------------------------------
    def _next_ts(self) -> str:
        micros = max(int(self.clock().timestamp() * 1_000_000), self._last_ts + 1)
        self._last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def _channel_id(self, params: Payload) -> str:
        ref = str(_need(params, "channel", "channel_not_found")).lstrip("#")
        match = self.channels.get(ref) or next(
            (c for c in self.channels.values() if c["name"] == ref), None
        )
        if match and match["is_archived"]:
            raise SlackError("is_archived")
        return match["id"] if match else ref

    def _check_content(self, params: Payload) -> None:
        if not (params.get("text") or params.get("blocks") or params.get("attachments")):
            raise SlackError("no_text")
        if len(str(params.get("text") or "")) > 40000:
            raise SlackError("msg_too_long")
        if "blocks" in params:
            _check_blocks(params["blocks"], 50)

    # -- Sign in with Slack ----------------------------------------------------------------------
    def sign_in_as(self, user_id: str, team_id: str, name: str = "") -> None:
        """The next browser that visits the authorize page signs in as this Slack user."""
        with self._lock:
            self.oidc_user = {
                "sub": user_id, "https://slack.com/user_id": user_id,
                "https://slack.com/team_id": team_id, "name": name or user_id,
                "email": f"{user_id.lower()}@example.com",
            }  # fmt: skip

    def _oidc_authorize(self, req: Request) -> Reply:
        """Slack's consent page, decided at once: back to ``redirect_uri`` with a code (or
        ``error=access_denied`` when nobody is set to sign in), ``state`` passed through."""
        from urllib.parse import urlencode

        redirect, state = str(req.params.get("redirect_uri", "")), req.params.get("state", "")
        if req.params.get("client_id") != self.oidc_client[0] or not redirect:
            return Reply(400, b"invalid client_id or redirect_uri")
        if self.oidc_user is None:
            answer = {"error": "access_denied", "state": state}
        else:
            code = f"oidc-code-{next(self._ids)}"
            nonce = req.params.get("nonce")
            self._oidc_codes[code] = (dict(self.oidc_user), redirect, nonce)
            answer = {"code": code, "state": state}
        return Reply(302, b"", {"Location": f"{redirect}?{urlencode(answer)}"})

    def _openid_connect_token(self, params: Payload) -> Payload:
        if (params.get("client_id"), params.get("client_secret")) != self.oidc_client:
            raise SlackError("invalid_client_id")
        found = self._oidc_codes.pop(str(params.get("code", "")), None)  # a code works once
        if found is None or found[1] != params.get("redirect_uri"):
            raise SlackError("invalid_code")
        token = f"xoxp-oidc-{next(self._ids)}"
        self._oidc_tokens[token] = found[0]
        return {"access_token": token, "token_type": "Bearer", "id_token": _id_token(found)}

    def _openid_connect_userInfo(self, params: Payload) -> Payload:
        raise AssertionError("answered in handle(), where the bearer token is known")

    def _auth_test(self, params: Payload) -> Payload:
        found = dict(url=self.team_url, team=self.team, team_id=self.team_id, user="supportbot")
        return found | dict(
            user_id=self.bot_user_id, bot_id=self.bot_id, is_enterprise_install=False
        )

    def _chat_postMessage(self, params: Payload) -> Payload:
        channel = self._channel_id(params)
        self._check_content(params)
        ts = self._next_ts()
        fields = ("text", "blocks", "attachments", "thread_ts", "metadata")
        msg = dict(type="message", subtype="bot_message", ts=ts, text="", team=self.team_id)
        msg |= dict(user=self.bot_user_id, bot_id=self.bot_id)
        msg |= {k: params[k] for k in fields if k in params}
        self._messages[(channel, ts)] = msg
        return {"channel": channel, "ts": ts, "message": msg}

    def _chat_update(self, params: Payload) -> Payload:
        channel = self._channel_id(params)
        msg = self._messages.get((channel, _need(params, "ts", "message_not_found")))
        if msg is None:
            raise SlackError("message_not_found")
        self._check_content({**msg, **params})
        msg.update({k: params[k] for k in ("text", "blocks", "attachments") if k in params})
        msg["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {"channel": channel, "ts": msg["ts"], "text": msg.get("text", ""), "message": msg}

    def _chat_postEphemeral(self, params: Payload) -> Payload:
        self._channel_id(params)
        _need(params, "user", "user_not_in_channel")
        self._check_content(params)
        return {"message_ts": self._next_ts()}

    def _chat_getPermalink(self, params: Payload) -> Payload:
        channel = self._channel_id(params)
        ts = str(_need(params, "message_ts", "message_not_found"))
        link = f"{self.team_url}archives/{channel}/p{ts.replace('.', '')}"
        return {"channel": channel, "permalink": link}

    def _views_open(self, params: Payload) -> Payload:
        trigger = _need(params, "trigger_id")
        view = self._store_view(_need(params, "view"), None)
        root = self._trigger_roots.setdefault(trigger, view["id"])
        view["root_view_id"] = root
        view["previous_view_id"] = None if root == view["id"] else root
        return {"view": view}

    def _views_push(self, params: Payload) -> Payload:
        return self._views_open(params)

    def _views_update(self, params: Payload) -> Payload:
        external = {v["external_id"]: v["id"] for v in self._views.values() if v["external_id"]}
        view_id = params.get("view_id") or external.get(params.get("external_id") or "")
        old = self._views.get(view_id or "")
        if old is None:
            raise SlackError("not_found")
        if params.get("hash") and params["hash"] != old["hash"]:
            raise SlackError("hash_conflict")
        return {"view": self._store_view(_need(params, "view"), old)}

    def _store_view(self, spec: Any, old: Payload | None) -> Payload:
        if not isinstance(spec, dict) or spec.get("type") not in ("modal", "home"):
            raise SlackError("invalid_arguments")
        title = spec.get("title") or {}
        if len(str(title.get("text", ""))) > 24 or len(spec.get("private_metadata") or "") > 3000:
            raise SlackError("invalid_arguments")
        _check_blocks(spec.get("blocks", []), 100)
        view_id = old["id"] if old else f"V{next(self._ids):08X}"
        view = dict(id=view_id, team_id=self.team_id, app_id="A0APP00001", bot_id=self.bot_id)
        view |= dict(state={"values": {}}, hash=f"{next(self._ids)}.x", previous_view_id=None)
        view |= dict(private_metadata="", callback_id="", external_id="", root_view_id=view_id)
        view |= {k: old[k] for k in ("root_view_id", "previous_view_id")} if old else {}
        view |= spec
        self._views[view_id] = view
        return view

    def _conversations_open(self, params: Payload) -> Payload:
        if params.get("channel"):
            return {"channel": {"id": params["channel"]}}
        users = ",".join(sorted(str(_need(params, "users", "users_list_not_supplied")).split(",")))
        prefix = "D" if "," not in users else "G"
        dm = self._dms.setdefault(users, f"{prefix}{next(self._ids):08d}")
        return {"channel": {"id": dm}, "no_op": False, "already_open": False}

    def _conversations_info(self, params: Payload) -> Payload:
        channel_id = _need(params, "channel", "channel_not_found")
        if channel_id in self.channels:
            return {"channel": self.channels[channel_id]}
        user = next((u for u, dm in self._dms.items() if dm == channel_id), None)
        if user is None:
            raise SlackError("channel_not_found")
        im = channel_id.startswith("D")
        found = dict(id=channel_id, is_im=im, is_mpim=not im, is_channel=False, is_private=True)
        return {"channel": found | {"user": user}}

    def _read_messages(self, params: Payload, found: list[Payload]) -> Payload:
        """Slack's read shape: message metadata only when ``include_all_metadata`` is set."""
        if str(params.get("include_all_metadata", "")).lower() not in ("1", "true"):
            found = [{k: v for k, v in m.items() if k != "metadata"} for m in found]
        limit = int(params.get("limit") or 100)
        cursor = str(params.get("cursor") or "")
        try:
            start = int(base64.b64decode(cursor).decode().removeprefix("offset:")) if cursor else 0
        except ValueError as exc:
            raise SlackError("invalid_cursor") from exc
        page, more = found[start : start + limit], len(found) > start + limit
        # Slack's shape: an opaque cursor for the next page, "" on the last.
        following = base64.b64encode(f"offset:{start + limit}".encode()).decode() if more else ""
        return {"messages": page, "has_more": more, "response_metadata": {"next_cursor": following}}

    def _conversations_replies(self, params: Payload) -> Payload:
        channel = self._channel_id(params)
        ts = str(_need(params, "ts", "thread_not_found"))
        if (channel, ts) not in self._messages:
            raise SlackError("thread_not_found")
        found = [
            m
            for (ch, mts), m in sorted(self._messages.items(), key=lambda item: item[0][1])
            if ch == channel and (mts == ts or m.get("thread_ts") == ts)
        ]
        return self._read_messages(params, found)

    def _conversations_history(self, params: Payload) -> Payload:
        """Newest first. A DM opened with conversations.open also holds the posts that were
        addressed to the user's id, as in Slack."""
        channel = self._channel_id(params)
        names = {channel} | {u for u, dm in self._dms.items() if dm == channel}
        found = [
            m
            for (ch, _), m in sorted(self._messages.items(), key=lambda item: item[0][1])
            if ch in names and not m.get("thread_ts")
        ]
        return self._read_messages(params, found[::-1])

    def _users_info(self, params: Payload) -> Payload:
        user = self.users.get(_need(params, "user", "user_not_found"))
        if user is None:
            raise SlackError("user_not_found")
        now: datetime = self.clock()
        local = now.astimezone(ZoneInfo(user["tz"]))
        offset = local.utcoffset()
        tz_offset = int(offset.total_seconds()) if offset else 0
        return {"user": {**user, "tz_label": local.tzname(), "tz_offset": tz_offset}}

    def _apps_connections_open(self, params: Payload) -> Payload:
        """Socket Mode's first call: a one-time websocket URL (here on 127.0.0.1)."""
        url = self.socket_url or f"ws://127.0.0.1:{self.url.rsplit(':', 1)[1]}/link/"
        ticket = f"{next(self._ids):08d}"
        self.socket_tickets.append(ticket)
        return {"url": f"{url}?ticket={ticket}&app_id=A0APP00001"}

    def _usergroups_users_list(self, params: Payload) -> Payload:
        group = _need(params, "usergroup", "no_such_subteam")
        if group not in self.usergroups:
            raise SlackError("no_such_subteam")
        return {"users": list(self.usergroups[group])}

    # -- user groups (usergroups.list / create / users.update, with Slack's error codes) --------
    def _new_usergroup(self, params: Payload, users: list[str]) -> str:
        group_id = f"S{next(self._ids):08d}"
        info = {k: str(params.get(k) or "") for k in ("handle", "name", "description")}
        self.usergroup_info[group_id] = dict(id=group_id, team_id=self.team_id, **info)
        self.usergroups[group_id] = list(users)
        return group_id

    def _usergroup(self, group_id: str, include_users: bool = True) -> Payload:
        found = dict(self.usergroup_info[group_id], date_delete=0, is_usergroup=True)
        found["user_count"] = len(self.usergroups[group_id])
        if include_users:
            found["users"] = list(self.usergroups[group_id])
        return found

    def _usergroups_list(self, params: Payload) -> Payload:
        users = str(params.get("include_users", "")).lower() in ("1", "true")
        return {"usergroups": [self._usergroup(g, users) for g in self.usergroup_info]}

    def _usergroups_create(self, params: Payload) -> Payload:
        name = str(_need(params, "name"))
        handle = str(params.get("handle") or "")
        for info in self.usergroup_info.values():
            if info["name"] == name:
                raise SlackError("name_already_exists")
            if handle and info["handle"] == handle:
                raise SlackError("handle_already_exists")
        return {"usergroup": self._usergroup(self._new_usergroup(params, []))}

    def _usergroups_users_update(self, params: Payload) -> Payload:
        group = str(_need(params, "usergroup", "no_such_subteam"))
        if group not in self.usergroup_info:
            raise SlackError("no_such_subteam")
        raw = params.get("users") or ""
        users = raw if isinstance(raw, list) else [u for u in str(raw).split(",") if u]
        if not users:
            raise SlackError("invalid_users")  # Slack keeps at least one member
        self.usergroups[group] = [str(u).strip() for u in users]
        return {"usergroup": self._usergroup(group)}


def _decode_fields(params: Payload) -> Payload:
    """Form-encoded calls carry blocks/view as JSON strings; JSON calls carry them decoded."""
    out = dict(params)
    for name in _JSON_FIELDS:
        if isinstance(out.get(name), str):
            try:
                out[name] = json.loads(out[name])
            except ValueError as err:
                code = "invalid_blocks_format" if name == "blocks" else "invalid_arguments"
                raise SlackError(code) from err
    return out


def _id_token(issued: tuple[Payload, str, str | None]) -> str:
    """The id_token Slack's openid.connect.token answers with: a JWT whose claims name the
    user, the app (``aud``) and the authorize request's ``nonce`` (left out when it had none).
    Its signature is a stand-in's: the app takes the token straight from the token endpoint
    (over TLS, from Slack) and does not check it."""
    user, _redirect, nonce = issued
    claims = {"iss": "https://slack.com", "aud": OIDC_CLIENT_ID} | user
    if nonce is not None:
        claims["nonce"] = nonce

    def part(value: Payload) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c3RhbmQtaW4"
