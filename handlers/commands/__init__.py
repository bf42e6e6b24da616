"""Slash commands."""

from __future__ import annotations

from slack_bolt import App

from handlers.commands import incident, oncall, sla


def register(app: App) -> None:
    app.command("/incident")(incident.incident_command)
    app.command("/oncall")(oncall.oncall_command)
    app.command("/sla")(sla.sla_command)
