"""The inbound edge: Bolt listeners and Twilio webhooks, one ``register`` per folder.

Handlers parse, ask the access module who is acting, call one service and ack. They hold
no business rules. The runtime and the actor reach every Slack listener through Bolt's
context (:func:`handlers._common.attach`), not through closures.
"""

from __future__ import annotations

from flask import Flask
from slack_bolt import App

from handlers import actions, commands, events, http, shortcuts, views
from handlers._common import attach
from handlers.payloads import unreadable, unreadable_payload
from supportbot.runtime import Runtime

__all__ = ["register_all", "register_http", "unreadable", "unreadable_payload"]


def register_all(app: App, rt: Runtime) -> None:
    app.use(attach(rt))
    for folder in (commands, actions, views, events, shortcuts):
        folder.register(app)


def register_http(flask: Flask, rt: Runtime) -> None:
    http.register_all(flask, rt)
