"""Typed models of the Slack payloads the listeners handle, validated before any listener runs.

Slack's own payloads carry more than this; only what a listener reads is declared, so a
request Slack would never send (a ``user`` that is a string, a button without a value, a
view whose state is not an object) is refused here with a short answer, never a traceback.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from slack_bolt.request.internals import parse_body

from supportbot.wording import inert

Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]
# What is stored: a user or channel id in a 50-character column, a message ts in a
# 40-character one (db/models). Slack's are about 11 and 17; anything longer is no Slack
# request, and PostgreSQL would refuse to store it (SQLite stores anything).
SlackId = Annotated[str, StringConstraints(min_length=1, max_length=50)]
Ts = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Text = str  # any length: a huge message is cut to fit where it is stored, not refused
# Where Bolt's ``respond`` posts the answer: an http(s) URL, nothing else (a listener would
# fail on anything else, after it acked).
ResponseUrl = Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=2000)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class User(_Model):
    id: SlackId
    team_id: Id | None = None


class Channel(_Model):
    id: SlackId


class Command(_Model):
    kind: Literal["command"] = "command"
    command: Id
    user_id: SlackId
    team_id: Id | None = None
    channel_id: SlackId
    text: Text = ""
    trigger_id: Id | None = None
    response_url: ResponseUrl | None = None


class Option(_Model):
    value: Text


class Action(_Model):
    action_id: Id
    value: Text | None = None
    block_id: Text | None = None
    selected_option: Option | None = None


class BlockActions(_Model):
    type: Literal["block_actions"]
    user: User
    channel: Channel | None = None
    actions: list[Action] = Field(min_length=1)
    trigger_id: Id | None = None
    response_url: ResponseUrl | None = None

    @property
    def action(self) -> Action:
        return self.actions[0]


class ViewState(_Model):
    values: dict[str, dict[str, dict[str, Any]]]


class View(_Model):
    id: Id
    callback_id: Id
    private_metadata: Text = ""
    state: ViewState

    def value(self, block: str) -> str:
        """The text typed or the option chosen in ``block`` (its element's action id is
        ``value``); "" when absent."""
        state = self.state.values.get(block, {}).get("value", {})
        chosen = state.get("selected_option")
        raw = chosen.get("value") if isinstance(chosen, dict) else state.get("value")
        return raw if isinstance(raw, str) else ""

    def metadata(self) -> dict[str, str]:
        """``private_metadata`` as the JSON object the bot wrote into it: the ``channel`` and
        message ``ts`` a form was opened from. Anything else, or a value that cannot be a
        channel id or a ts, the bot never wrote: it is left out."""
        try:
            found = json.loads(self.private_metadata or "{}")
        except ValueError:
            return {}
        if not isinstance(found, dict):
            return {}
        return {
            k: v
            for k, v in found.items()
            if k in _METADATA_FITS and isinstance(v, str) and 0 < len(v) <= _METADATA_FITS[k]
        }


_METADATA_FITS = {"channel": 50, "ts": 40}  # as SlackId and Ts


class ViewSubmission(_Model):
    type: Literal["view_submission"]
    user: User
    view: View


class Message(_Model):
    text: Text = ""
    ts: Ts | None = None
    user: SlackId | None = None


class MessageShortcut(_Model):
    type: Literal["message_action"]
    callback_id: Id
    user: User
    channel: Channel
    message: Message
    trigger_id: Id
    response_url: ResponseUrl | None = None


class MessageEvent(_Model):
    type: Literal["message"]
    channel: SlackId
    ts: Ts
    user: SlackId | None = None
    text: Text | None = None
    thread_ts: Ts | None = None
    subtype: str | None = None
    bot_id: str | None = None
    user_team: Id | None = None
    team: Id | None = None


class EventCallback(_Model):
    type: Literal["event_callback"]
    event_id: Id | None = None
    event: dict[str, Any]

    def message(self) -> MessageEvent | None:
        if self.event.get("type") != "message":
            return None
        return MessageEvent.model_validate(self.event)


Payload = Command | BlockActions | ViewSubmission | MessageShortcut | EventCallback


class Malformed(ValueError):
    """A request no Slack client sends; the message says briefly what was wrong."""


def _first_error(exc: ValidationError) -> str:
    """``user.id: Input should be a valid string``: where and what, never the value. A key
    of the payload can be anything the sender chose, so each part is cut short and inert."""
    error = exc.errors()[0]
    where = ".".join(inert(str(part)[:40]) for part in error["loc"]) or "payload"
    return f"{where}: {error['msg']}"


_BY_TYPE: dict[str, type[_Model]] = {
    "block_actions": BlockActions,
    "view_submission": ViewSubmission,
    "message_action": MessageShortcut,
    "event_callback": EventCallback,
}


def _has_nul(value: Any, depth: int = 0) -> bool:
    """A NUL character anywhere a listener could read: no Slack request carries one, and
    PostgreSQL cannot store one (SQLite can)."""
    if isinstance(value, str):
        return "\x00" in value
    if depth > 32:
        return False
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v, depth + 1) for v in value)
    return False


def parse(body: dict[str, Any]) -> Payload | None:
    """The typed payload, or None for a kind no listener handles (Bolt answers those).

    Raises :class:`Malformed` for a payload of a handled kind that does not fit its model.
    """
    if _has_nul(body):
        raise Malformed("payload: a NUL character, which no Slack request carries")
    if "command" in body and "type" in body:
        # Slack's slash commands carry no type and its interactions no command: a payload
        # with both would reach the listeners of both kinds.
        raise Malformed("payload: a command cannot also be of a type")
    try:
        if "command" in body:
            return Command.model_validate(body)
        model = _BY_TYPE.get(str(body.get("type")))
        if model is None:
            return None
        found = cast(Payload, model.model_validate(body))
        if isinstance(found, EventCallback):
            found.message()  # a message event must fit its model too
        return found
    except ValidationError as exc:
        raise Malformed(_first_error(exc)) from None


class Offered(_Model):
    """The value of an "Open a request" button: the message it offers to open."""

    ts: Ts
    text: Text


# -- what Bolt itself reads before any listener --------------------------------------------
# slack_bolt parses the body and reads these keys while it builds its request (before even the
# signature check, and in its own middleware): a wrong type there is a 500 and a traceback
# in Bolt, so web.py asks :func:`unreadable` first and answers 400 itself.
_NAMED = ("team", "enterprise", "user", "channel")  # an id or an object with one
_OBJECTS = ("event",)  # Bolt's own middleware calls ``body["event"].get``
_OBJECT_LISTS = ("authorizations", "response_urls")  # Bolt reads the first one's ids too
# Where Bolt looks for the user, channel or team when the level above has none.
_INNER = ("message", "previous_message", "item", "assistant_thread")
_DEPTH = 8  # Slack nests a few levels; Bolt's look-ups recurse through every one


def _shape_problem(found: Any, where: str, depth: int = 0) -> str | None:
    if not isinstance(found, dict):
        return f"{where} is not a JSON object"
    if depth > _DEPTH:
        return f"{where} is nested too deeply"
    for key in _NAMED:
        value = found.get(key)
        # Bolt looks inside it (``"id" in value``): a number or a boolean breaks that; any
        # other wrong shape is left to the typed models, which answer the person.
        if value is not None and not isinstance(value, str | dict | list):
            return f"{where}.{key} is neither an id nor an object"
    inner: list[tuple[Any, str]] = []
    for key in _OBJECT_LISTS:
        # Bolt takes len() of a present response_urls, and of authorizations unless null.
        if key not in found or (key == "authorizations" and found[key] is None):
            continue
        value = found[key]
        if not (isinstance(value, list) and all(isinstance(item, dict) for item in value)):
            return f"{where}.{key} is not a list of objects"
        inner += [(item, f"{where}.{key}[{n}]") for n, item in enumerate(value[:10])]
    # Present at all, it must be an object (Bolt calls ``.get`` on it, even on null).
    inner += [(found[key], f"{where}.{key}") for key in _OBJECTS if key in found]
    inner += [(found[key], f"{where}.{key}") for key in _INNER if isinstance(found.get(key), dict)]
    for value, at in inner:
        problem = _shape_problem(value, at, depth + 1)
        if problem:
            return problem
    return None


def unreadable(raw: bytes, content_type: str | None) -> str | None:
    """Why Slack's request body cannot be handed to Bolt, or None when it can."""
    try:
        text = raw.decode("utf-8")
        body = parse_body(text, content_type)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # RecursionError: JSON nested deeper than Python's parser goes.
        return f"the body is not Slack's form or JSON ({type(exc).__name__})"
    return unreadable_payload(body)


def unreadable_payload(body: Any) -> str | None:
    """Why a payload already decoded (a Socket Mode envelope's) cannot be handed to Bolt."""
    return _shape_problem(body, "payload")
