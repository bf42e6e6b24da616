"""Small helpers shared by the Slack listeners (payload plumbing only, no rules)."""

from __future__ import annotations

from typing import Any

from supportbot.identity import Identity, identify
from supportbot.queue import job_id
from supportbot.runtime import Runtime


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


def post_later(rt: Runtime, method: str, key: str, **kwargs: Any) -> None:
    """Queue a Slack call for the worker, so a listener never waits on Slack."""
    rt.dispatcher.submit(
        "supportbot.jobs.slack_call", method, kwargs, job_id=job_id("slack-call", key)
    )
