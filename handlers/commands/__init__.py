"""Slash commands."""

from __future__ import annotations

from slack_bolt import App

from handlers.commands import incident, oncall, sla
from supportbot.runtime import Runtime


def register(app: App, rt: Runtime) -> None:
    incident.register(app, rt)
    oncall.register(app, rt)
    sla.register(app, rt)
