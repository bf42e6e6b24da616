"""An incident's two cards as they stand, drawn from the database for each sync: the triage
card with every section later layers add, and the customer's card."""

from __future__ import annotations

from sqlalchemy.orm import Session

from supportbot.db.models import Incident
from supportbot.oncall.choices import escalation_choices, holders_now
from supportbot.runtime import Runtime
from supportbot.slack.alert_blocks import alert_blocks
from supportbot.slack.attention_blocks import attention_blocks
from supportbot.slack.cards import customer_card, internal_card
from supportbot.slack.clock_blocks import clock_blocks
from supportbot.slack.followup_blocks import customer_blocks, followup_blocks
from supportbot.slack.kit import Block
from supportbot.slack.moment import Moment
from supportbot.slack.plan_blocks import customer_plan_blocks, plan_blocks


def internal_payload(rt: Runtime, session: Session, incident: Incident) -> tuple[str, list[Block]]:
    """The triage card: its text and blocks."""
    customer = rt.contracts.by_key(incident.customer) if incident.customer else None
    moment = Moment(rt, session, incident)  # the rotation, looked up once for every section
    extra = [
        *clock_blocks(session, incident, moment),
        *attention_blocks(rt, session, incident, moment),
        *alert_blocks(session, incident),
    ]
    extra += followup_blocks(session, incident, moment)  # update cadence, RCA, forecast
    extra += plan_blocks(rt, session, incident)  # the customer's plans and balances
    holders = holders_now(rt, session, incident, moment.now, overrides=moment.overrides)
    return internal_card(incident, customer, extra, escalation_choices(holders, incident.level))


def customer_payload(rt: Runtime, session: Session, incident: Incident) -> tuple[str, list[Block]]:
    """The customer's card: its text and blocks (customer-safe)."""
    text, blocks = customer_card(incident, customer_blocks(rt, session, incident))
    blocks += customer_plan_blocks(rt, session, incident)  # balances, customer-safe
    return text, blocks
