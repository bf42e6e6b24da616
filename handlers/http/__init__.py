"""Plain HTTP endpoints beside Slack's: Twilio webhooks, the on-call calendar feed and the
monitoring alerts webhook.

Each module has ``register(flask, rt)``; the web composition root calls :func:`register_all`.
"""

from __future__ import annotations

from flask import Flask

from handlers.http import alerts, oncall_feed, twilio
from supportbot.runtime import Runtime


def register_all(flask: Flask, rt: Runtime) -> None:
    for module in (oncall_feed, twilio, alerts):
        module.register(flask, rt)
