"""What every Slack listener shares, put on Bolt's context once by :func:`attach`.

The middleware validates the payload against its typed model (:mod:`handlers.payloads`),
refuses a replayed request, and asks the one access module
(:func:`supportbot.incidents.access.identify`) who is acting. Listeners read the runtime,
the typed payload and the actor back; they hold no rules of their own.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar, cast

from redis.exceptions import RedisError
from slack_bolt import BoltContext, BoltResponse

from handlers.payloads import (
    BlockActions,
    Command,
    EventCallback,
    Malformed,
    MessageShortcut,
    Payload,
    ViewSubmission,
    parse,
)
from supportbot import metrics
from supportbot.incidents.access import Actor, identify
from supportbot.runtime import Runtime
from supportbot.slack.jobs import post_later

log = logging.getLogger(__name__)

RUNTIME, PAYLOAD, ACTOR = "supportbot_runtime", "supportbot_payload", "supportbot_actor"
REPLAYED = "This request was already received, so nothing more was done."
P = TypeVar("P", bound=Payload)


def sender(payload: Payload) -> tuple[str, str | None, str | None]:
    """(user id, the user's own team id, channel id); a user without a team is never staff."""
    if isinstance(payload, Command):
        # ``team_id`` of a slash command is the invoking user's workspace.
        return payload.user_id, payload.team_id, payload.channel_id
    if isinstance(payload, EventCallback):
        message = payload.message()
        if message is None:
            return "", None, None
        return message.user or "", message.user_team or message.team, message.channel
    if isinstance(payload, ViewSubmission):
        channel = payload.view.metadata().get("channel")
    else:
        channel = payload.channel.id if payload.channel is not None else None
    return payload.user.id, payload.user.team_id, channel


def _answer(command: bool, text: str) -> BoltResponse:
    """What Slack gets back for a refused request: words for a command, an empty 200 (with
    the reason logged) for the rest, which have nowhere to show them."""
    if command:
        return BoltResponse(status=200, body={"response_type": "ephemeral", "text": text})
    return BoltResponse(status=200, body="")


def _replayed(rt: Runtime, payload: Payload) -> bool:
    """Slack never sends one ``trigger_id`` twice: a second arrival is a replayed request.

    Remembered in Redis for twice the signature's 5-minute window. If Redis cannot answer,
    the request goes through (logged): refusing every command while Redis is down would stop
    incident intake, and a replay still needs a captured, freshly signed request.
    """
    if not isinstance(payload, Command | BlockActions | MessageShortcut):
        return False
    if payload.trigger_id is None:
        return False
    try:
        first = rt.redis.set(f"supportbot:trigger:{payload.trigger_id}", 1, nx=True, ex=600)
    except RedisError:
        log.error("cannot check a Slack request for replay (Redis unavailable); letting it in")
        metrics.REQUEST_REFUSED.labels("replay_unchecked").inc()
        return False
    return not first


def attach(rt: Runtime) -> Callable[..., BoltResponse]:
    def middleware(
        context: BoltContext, body: dict[str, Any], next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        try:
            payload = parse(body)
        except Malformed as exc:
            metrics.REQUEST_REFUSED.labels("slack_malformed").inc()
            log.warning("refused a malformed Slack payload (%s)", exc)
            is_command = "command" in body and "type" not in body
            return _answer(is_command, f":warning: This request could not be read ({exc}).")
        if payload is None:
            return next()  # a kind no listener handles: Bolt answers it
        if _replayed(rt, payload):
            metrics.REQUEST_REFUSED.labels("slack_replay").inc()
            log.warning("refused a replayed Slack request (trigger %s)", body.get("trigger_id"))
            return _answer(isinstance(payload, Command), f":no_entry: {REPLAYED}")
        user, team, channel = sender(payload)
        context[RUNTIME], context[PAYLOAD] = rt, payload
        context[ACTOR] = identify(rt.contracts, rt.staff, user, user_team=team, channel_id=channel)
        return next()

    return middleware


def runtime(context: BoltContext) -> Runtime:
    return cast(Runtime, context[RUNTIME])


def actor(context: BoltContext) -> Actor:
    return cast(Actor, context[ACTOR])


def payload(context: BoltContext, kind: type[P]) -> P:
    found = context[PAYLOAD]
    if not isinstance(found, kind):
        raise TypeError(f"expected a {kind.__name__} payload, got {type(found).__name__}")
    return found


__all__ = ["actor", "attach", "payload", "post_later", "runtime", "sender"]
