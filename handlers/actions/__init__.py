"""Buttons and selects on incident cards, request offers and shift swap invitations."""

from __future__ import annotations

import re

from slack_bolt import App

from handlers.actions import card, csat, followups, offer, plans, reports, swap
from supportbot.csat import blocks as csat_blocks
from supportbot.digests.monthly import ACTION_APPROVE
from supportbot.oncall import swaps
from supportbot.slack import cards, followup_blocks, plan_blocks


def register(app: App) -> None:
    app.action(cards.ACTION_ACK)(card.acknowledge)
    app.action(cards.ACTION_ASSIGN_ME)(card.assign_to_me)
    app.action(cards.ACTION_WAITING)(card.wait_on_customer)
    app.action(cards.ACTION_SEVERITY)(card.set_severity)
    app.action(cards.ACTION_CONFIRM_SUGGESTION)(card.confirm_suggestion)
    app.action(cards.ACTION_ESCALATE)(card.escalate)
    app.action(cards.ACTION_ESCALATE_TO)(card.escalate_to)
    app.action(cards.ACTION_RESOLVE)(card.resolve)
    app.action(cards.ACTION_REOPEN)(card.reopen)
    app.action(cards.ACTION_OPEN_REQUEST)(offer.open_request)
    app.action(swaps.ACTION_ACCEPT)(swap.accept)
    app.action(swaps.ACTION_DECLINE)(swap.decline)
    app.action(followup_blocks.ACTION_UPDATE)(followups.customer_update)
    app.action(followup_blocks.ACTION_RCA)(followups.approve_rca)
    app.action(plan_blocks.ACTION_ESTIMATE_APPROVE)(plans.approve_estimate)
    app.action(plan_blocks.ACTION_ESTIMATE_DECLINE)(plans.decline_estimate)
    app.action(plan_blocks.ACTION_NOTIFY_MANAGER)(plans.notify_manager)
    app.action(plan_blocks.ACTION_LOG_TIME)(plans.log_time)
    app.action(re.compile(csat_blocks.ACTION_RATE_PATTERN))(csat.rate)
    app.action(csat_blocks.ACTION_COMMENT)(csat.open_comment)
    app.action(ACTION_APPROVE)(reports.approve)
