"""A paged person texts one of Twilio's opt-out words (STOP, UNSUBSCRIBE…) to the pager
number. Twilio then refuses every SMS to that number (error 21610) until they text START:
the bot must make that visible at once, not answer it as an unrecognised code."""

from __future__ import annotations

from datetime import timedelta

from tests.paging.conftest import EMEA_L1, TUESDAY_10_DUBLIN, Pager, emea_l1_on
from tests.paging.test_paging_scenarios import open_sev1

ONCALL = "C0ONCALL01"


def oncall_posts(pager: Pager) -> list[str]:
    pager.desk.drain()
    return [m.get("text", "") for m in pager.desk.api.messages(channel=ONCALL)]


def test_stop_from_a_paged_person_is_announced_and_not_answered_as_a_bad_code(
    pager: Pager,
) -> None:
    open_sev1(pager)
    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())
    number = EMEA_L1[primary]

    status, body = pager.reply(number, "Stop")

    assert status == 200
    assert "<Message>" not in body, body  # Twilio answers STOP itself, and would refuse ours
    posts = [p for p in oncall_posts(pager) if "STOP" in p]
    assert len(posts) == 1, oncall_posts(pager)
    assert "Aoife Byrne" in posts[0] and number in posts[0] and "START" in posts[0], posts

    # Texting START again puts the SMS pages back, and says so too.
    status, body = pager.reply(number, "START")
    assert status == 200
    assert any("START" in p and "again" in p for p in oncall_posts(pager)), oncall_posts(pager)


def test_an_sms_page_to_an_opted_out_number_says_why_it_failed(pager: Pager) -> None:
    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())
    pager.reply(EMEA_L1[primary], "UNSUBSCRIBE")

    open_sev1(pager)
    pager.desk.travel(timedelta(seconds=1))

    failures = [
        m.get("text", "")
        for m in pager.desk.api.messages(channel="C0TRIAGE01")
        if "SMS page to" in m.get("text", "") and "failed" in m.get("text", "")
    ]
    assert failures, [m.get("text") for m in pager.desk.api.messages(channel="C0TRIAGE01")]
    assert "STOP" in failures[0] and "START" in failures[0], failures
    assert len(pager.twilio.voice_calls(to=EMEA_L1[primary])) == 1  # a call still reaches them
