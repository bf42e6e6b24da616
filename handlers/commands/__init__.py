"""Slash commands."""

from __future__ import annotations

from slack_bolt import App

from handlers.commands import incident
from supportbot.runtime import Runtime


def register(app: App, rt: Runtime) -> None:
    incident.register(app, rt)
