"""The inbound edge: Bolt listeners and Twilio webhooks, one ``register`` per folder.

Handlers parse, authorise, call a service and ack. They hold no business rules.
"""

from __future__ import annotations

from flask import Flask
from slack_bolt import App

from handlers import actions, commands, events, http, shortcuts, views
from supportbot.runtime import Runtime


def register_all(app: App, rt: Runtime) -> None:
    for folder in (commands, actions, views, events, shortcuts):
        folder.register(app, rt)


def register_http(flask: Flask, rt: Runtime) -> None:
    http.register_all(flask, rt)
