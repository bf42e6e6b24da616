"""Local stand-ins for the Slack Web API and the Twilio REST API (real HTTP on 127.0.0.1)."""

from ._server import Call, Reply, Request, StandinServer
from .slack_api import DEFAULT_TOKEN as SLACK_TOKEN
from .slack_api import SlackError, SlackStandin, block_text
from .twilio_api import DEFAULT_ACCOUNT_SID as TWILIO_ACCOUNT_SID
from .twilio_api import DEFAULT_AUTH_TOKEN as TWILIO_AUTH_TOKEN
from .twilio_api import Exchange, TwilioStandin, Webhook

__all__ = [
    "SLACK_TOKEN",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "Call",
    "Exchange",
    "Reply",
    "Request",
    "SlackError",
    "SlackStandin",
    "StandinServer",
    "TwilioStandin",
    "Webhook",
    "block_text",
]
