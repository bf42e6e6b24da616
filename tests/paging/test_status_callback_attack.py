"""Twilio status callbacks arriving after the page stopped mattering: the engineer replied
to the SMS while the call was ringing and then declined it (busy, no-answer), or the SMS
came back undelivered after the card's button was pressed. Slack must not hear of a failed
page for an incident that was already acknowledged: the triage channel reads it as "the
pager is broken" at the very moment the incident is in hand."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from supportbot.db.models import Page
from supportbot.slack import cards
from tests.paging.conftest import EMEA_L1, TUESDAY_10_DUBLIN, Pager, emea_l1_on
from tests.paging.test_paging_scenarios import open_sev1


def failed_posts(pager: Pager) -> list[str]:
    return [m.get("text", "") for m in pager.desk.api.messages() if ":x:" in m.get("text", "")]


@pytest.mark.parametrize("outcome", ["busy", "no-answer"])
def test_a_call_declined_after_the_sms_ack_is_no_failed_page_in_slack(
    pager: Pager, outcome: str
) -> None:
    code = open_sev1(pager)
    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())
    number = EMEA_L1[primary]
    status, body = pager.reply(number, code)
    assert "Acknowledged INC-1" in body
    [call] = pager.twilio.voice_calls(to=number)

    exchange = pager.twilio.deliver_status(call["sid"], outcome)
    pager.desk.drain()

    assert exchange.status == 204
    assert failed_posts(pager) == []
    with pager.desk.rt.session() as session:
        # Still recorded as what Twilio said, for the record.
        page = session.scalars(select(Page).where(Page.provider_sid == call["sid"])).one()
        assert page.state == "failed" and outcome in (page.last_error or "")


def test_an_sms_undelivered_after_the_button_ack_posts_nothing_and_calls_nobody(
    pager: Pager,
) -> None:
    open_sev1(pager)
    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())
    number = EMEA_L1[primary]
    [call] = pager.twilio.voice_calls(to=number)
    pager.twilio.deliver_status(call["sid"], "completed")  # the call was answered
    pager.desk.slack.block_action(cards.ACTION_ACK, value="1")
    pager.desk.drain()
    [sms] = pager.twilio.messages(to=number)

    pager.twilio.deliver_status(sms["sid"], "undelivered", error_code=30003)
    pager.desk.drain()

    assert failed_posts(pager) == []
    assert len(pager.twilio.voice_calls()) == 1


def test_a_call_not_answered_before_any_ack_is_still_a_failed_page_in_slack(
    pager: Pager,
) -> None:
    """The other side: while the page is owed, a failure is said at once."""
    open_sev1(pager)
    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())
    [call] = pager.twilio.voice_calls(to=EMEA_L1[primary])

    pager.twilio.deliver_status(call["sid"], "no-answer")
    pager.desk.drain()

    assert any("call page to" in t and "no-answer" in t for t in failed_posts(pager))
