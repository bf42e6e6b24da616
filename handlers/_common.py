"""Small helpers shared by the Slack listeners (payload plumbing only, no rules)."""

from __future__ import annotations

from typing import Any

from supportbot.incidents.access import Identity, identify
from supportbot.runtime import Runtime
from supportbot.slack.jobs import post_later


def home_team(rt: Runtime, body: dict[str, Any]) -> str | None:
    return body.get("team_id") or (body.get("team") or {}).get("id")


def identity_from_body(rt: Runtime, body: dict[str, Any]) -> Identity:
    """Identify the user of an interactivity payload (buttons, views, shortcuts)."""
    user = body.get("user") or {}
    channel = (body.get("channel") or {}).get("id")
    return identify(
        rt.contracts,
        user.get("id", ""),
        channel_id=channel,
        user_team=user.get("team_id"),
        home_team=home_team(rt, body),
    )


__all__ = ["home_team", "identity_from_body", "post_later"]
