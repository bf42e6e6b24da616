"""Buttons and selects on incident cards and request offers."""

from __future__ import annotations

from slack_bolt import App

from handlers.actions import card, offer
from supportbot.runtime import Runtime


def register(app: App, rt: Runtime) -> None:
    card.register(app, rt)
    offer.register(app, rt)
