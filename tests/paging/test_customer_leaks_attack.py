"""Everything a customer can read, after an incident where every internal thing happened: an
internal note, pages by SMS and call up every level, a breach, missed updates, an SMS
acknowledgement an hour late, a handover with its note, an escalation, the response credit
waived with its reason, a severity change, a customer update, the resolution and the approved
root cause analysis. None of the internal words may reach Acme's shared channel, and the people
of the support team are never shown there as raw Slack ids (the customer saw them as mentions,
which Slack shows as names).

Tuesday 24 November 2026, 10:00 in Dublin (EMEA holds the pager).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from supportbot.clock import TravelClock
from supportbot.db.models import Escalation
from supportbot.slack import cards
from supportbot.slack.followup_blocks import CALLBACK_RCA, CALLBACK_UPDATE
from tests.paging.conftest import EMEA_L1, EMEA_L1_SLACK, TUESDAY_10_DUBLIN, Pager, emea_l1_on
from tests.support.records import (
    ACME_ALICE,
    ACME_CHANNEL,
    ACME_TEAM,
    answer,
    everything_sent_to,
    incident,
    thread,
)
from tests.support.slack_requests import STAFF

PRIMARY, SECONDARY = emea_l1_on(TUESDAY_10_DUBLIN.date())
NOTE = "db-primary.corp.internal is swapping"
HANDED = "replicas failing over on db-7"
WAIVED = "we paged the wrong rota"
MENTION = re.compile(r"<@U\w+>")  # Slack shows a mention as the person's name
STAFF_IDS = re.compile(r"U0(?:STAFF|EMEA)\w*")


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(TUESDAY_10_DUBLIN)


def _incident_with_everything_internal(pager: Pager) -> None:
    desk = pager.desk
    desk.slack.message(
        "site down, nothing loads", user=ACME_ALICE, user_team=ACME_TEAM, channel=ACME_CHANNEL
    )
    desk.drain()
    desk.slack.command(f"note INC-1 {NOTE}")
    desk.drain()
    desk.travel(timedelta(minutes=61))  # every step paged, breached, past the credit's hour
    with desk.rt.session() as session:
        code = session.scalars(select(Escalation.ack_code)).first()
    assert code is not None
    assert "Acknowledged INC-1" in pager.reply(EMEA_L1[PRIMARY], code)[1]
    desk.drain()
    handover = f"handover INC-1 <@{EMEA_L1_SLACK[SECONDARY]}> {HANDED}"
    assert "INC-1" in answer(desk.slack.command(handover, user=EMEA_L1_SLACK[PRIMARY]))
    desk.drain()
    desk.slack.block_action(cards.ACTION_ESCALATE, value="1")
    desk.drain()
    assert "Waived" in answer(desk.slack.command(f"waive credit INC-1 {WAIVED}"))
    desk.slack.block_action(cards.ACTION_SEVERITY, block_id="incident-1", selected="2")
    desk.drain()
    update = {"update": "We found the faulty renderer."}
    desk.slack.view_submission(CALLBACK_UPDATE, update, private_metadata="1")
    desk.slack.command("reply INC-1 we are rolling back")
    desk.drain()
    resolve = {"summary": "renderer rolled back"}
    desk.slack.view_submission(cards.CALLBACK_RESOLVE, resolve, private_metadata="1")
    desk.drain()
    approve = {"root_cause": "A renderer release broke pages", "actions": "Canary releases"}
    desk.slack.view_submission(CALLBACK_RCA, approve, private_metadata="1", user=STAFF)
    desk.drain()


def test_nothing_internal_reaches_the_customers_channel(pager: Pager) -> None:
    _incident_with_everything_internal(pager)
    desk = pager.desk
    customer = thread(desk.api, ACME_CHANNEL, incident(desk.rt, 1).customer_thread_ts or "")
    assert any("*Root cause analysis*" in text for text in customer), customer
    everything = everything_sent_to(desk.api, ACME_CHANNEL)
    for internal in (NOTE, "(internal)", HANDED, "handed", WAIVED, "waived", "Paging", "paging",
                     "Step", "acknowledge code", "+3538555501", "Aoife", "Bram", "Dieter", "L2",
                     "L3", "Triage suggests", "Globex"):  # fmt: skip
        assert internal not in everything, internal
    # A staff member's Slack id written out, outside a mention, is an internal id.
    raw = STAFF_IDS.findall(MENTION.sub("", everything))
    assert not raw, raw
    # The customer's analysis names the team instead (and quotes only their own contacts).
    [rca] = [text for text in customer if "*Root cause analysis*" in text]
    assert "the support team changed severity Sev1 Critical → Sev2 High" in rca, rca
    assert f"@{ACME_ALICE} opened INC-1" in rca, rca


def test_a_late_response_downgraded_afterwards_still_owes_its_credit(pager: Pager) -> None:
    """Found on the way: answered an hour late as a Sev1, then downgraded. The response was
    judged under Sev1 (docs/metrics.md, "SLA credits"); the downgrade after it must not take
    the 5,000.00 credit away unseen (only a waiver, with its reason, does)."""
    desk = pager.desk
    desk.slack.command("sev1 checkout down", user=ACME_ALICE, user_team=ACME_TEAM,
                       channel=ACME_CHANNEL)  # fmt: skip
    desk.drain()
    desk.travel(timedelta(minutes=61))
    desk.slack.block_action(cards.ACTION_ACK, value="1")
    desk.slack.block_action(cards.ACTION_SEVERITY, block_id="incident-1", selected="2")
    desk.drain()

    report = answer(desk.slack.command("report acme", command="/sla"))
    assert "• Service credits: 5,000.00 USD (INC-1)" in report, report
    said = answer(desk.slack.command(f"waive credit INC-1 {WAIVED}"))
    assert said == "Waived INC-1's credit of 5000.00 USD for 2026-11."
