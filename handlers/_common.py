"""What every Slack listener shares: the runtime and the actor, put on Bolt's context once.

:func:`attach` is a Bolt middleware: it reads who sent the request from whichever payload
shape it is (slash command, interactivity, event) and asks the one access module
(:func:`supportbot.incidents.access.identify`) who that is. Listeners read both back with
:func:`runtime` and :func:`actor`; they hold no rules of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from slack_bolt import BoltContext, BoltResponse

from supportbot.incidents.access import Actor, identify
from supportbot.runtime import Runtime
from supportbot.slack.jobs import post_later

RUNTIME, ACTOR = "supportbot_runtime", "supportbot_actor"


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def sender(body: dict[str, Any]) -> tuple[str, str | None, str | None]:
    """(user id, the user's own team id, channel id) of any Slack payload; missing parts are
    None (and a user without a team is never staff)."""
    event = body.get("event")
    if isinstance(event, dict):  # Events API
        user = _text(event.get("user")) or ""
        team = _text(event.get("user_team")) or _text(event.get("team"))
        return user, team, _text(event.get("channel"))
    user_obj = body.get("user")
    if isinstance(user_obj, dict):  # buttons, views, shortcuts
        channel = body.get("channel")
        channel_id = _text(channel.get("id")) if isinstance(channel, dict) else None
        return _text(user_obj.get("id")) or "", _text(user_obj.get("team_id")), channel_id
    # Slash commands: ``team_id`` is the invoking user's workspace.
    team = _text(body.get("user_team_id")) or _text(body.get("team_id"))
    return _text(body.get("user_id")) or "", team, _text(body.get("channel_id"))


def attach(rt: Runtime) -> Callable[..., BoltResponse]:
    def middleware(
        context: BoltContext, body: dict[str, Any], next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        user, team, channel = sender(body)
        context[RUNTIME] = rt
        context[ACTOR] = identify(rt.contracts, rt.staff, user, user_team=team, channel_id=channel)
        return next()

    return middleware


def runtime(context: BoltContext) -> Runtime:
    return cast(Runtime, context[RUNTIME])


def actor(context: BoltContext) -> Actor:
    return cast(Actor, context[ACTOR])


__all__ = ["actor", "attach", "post_later", "runtime", "sender"]
