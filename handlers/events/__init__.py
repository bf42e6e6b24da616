"""Events API listeners."""

from __future__ import annotations

from slack_bolt import App

from handlers.events import messages
from supportbot.runtime import Runtime


def register(app: App, rt: Runtime) -> None:
    messages.register(app, rt)
