"""Events API listeners."""

from __future__ import annotations

from slack_bolt import App

from handlers.events import messages


def register(app: App) -> None:
    app.event("message")(messages.on_message)
