"""Buttons and selects on incident cards and request offers."""

from __future__ import annotations

import re

from slack_bolt import App

from handlers.actions import card, csat, offer, reports
from supportbot.csat import blocks as csat_blocks
from supportbot.digests.monthly import ACTION_APPROVE
from supportbot.slack import cards


def register(app: App) -> None:
    app.action(cards.ACTION_ACK)(card.acknowledge)
    app.action(cards.ACTION_ASSIGN_ME)(card.assign_to_me)
    app.action(cards.ACTION_WAITING)(card.wait_on_customer)
    app.action(cards.ACTION_SEVERITY)(card.set_severity)
    app.action(cards.ACTION_CONFIRM_SUGGESTION)(card.confirm_suggestion)
    app.action(cards.ACTION_ESCALATE)(card.escalate)
    app.action(cards.ACTION_RESOLVE)(card.resolve)
    app.action(cards.ACTION_OPEN_REQUEST)(offer.open_request)
    app.action(re.compile(csat_blocks.ACTION_RATE_PATTERN))(csat.rate)
    app.action(csat_blocks.ACTION_COMMENT)(csat.open_comment)
    app.action(ACTION_APPROVE)(reports.approve)
