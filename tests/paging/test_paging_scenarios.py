"""Severity 1 paging, as scripts: a request comes in, time moves, this SMS goes out."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from supportbot.db.models import Escalation, Incident, Page, TimelineEvent
from supportbot.slack import cards
from tests.paging.conftest import EMEA_L1, TUESDAY_10_DUBLIN, Pager, emea_l1_on

ACME = "C0ACMESHARED"


def open_sev1(pager: Pager, summary: str = "checkout down for everyone") -> str:
    response = pager.desk.slack.command(f"sev1 {summary}", channel=ACME)
    assert response.status_code == 200, response.text
    pager.desk.drain()
    with pager.desk.rt.session() as session:
        return session.scalars(select(Escalation.ack_code)).one()


def test_sev1_pages_on_shift_primary_and_sms_reply_acknowledges(pager: Pager) -> None:
    code = open_sev1(pager)
    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())
    number = EMEA_L1[primary]
    sms = pager.twilio.messages(to=number)
    calls = pager.twilio.voice_calls(to=number)
    assert len(sms) == 1 and len(calls) == 1
    assert f"Reply {code} to acknowledge" in sms[0]["body"]
    assert "INC-1" in sms[0]["body"] and "Acme Corp" in sms[0]["body"]

    status, body = pager.reply(number, code)
    assert status == 200
    assert "Acknowledged INC-1" in body

    pager.desk.travel(timedelta(minutes=30))  # long past every escalation step
    assert len(pager.twilio.messages()) == 1
    assert len(pager.twilio.voice_calls()) == 1
    with pager.desk.rt.session() as session:
        incident = session.get_one(Incident, 1)
        assert incident.status == "acknowledged"
        assert incident.first_response_at is not None
        escalation = session.scalars(select(Escalation)).one()
        assert escalation.state == "acknowledged" and escalation.acked_via == "SMS"
    # The Slack card was updated in place and the thread says who acknowledged.
    texts = [m.get("text", "") for m in pager.desk.api.messages(channel="C0TRIAGE01")]
    assert any("acknowledged via SMS" in t for t in texts)


def test_no_reply_escalates_step_by_step(pager: Pager) -> None:
    open_sev1(pager)
    primary, secondary = emea_l1_on(TUESDAY_10_DUBLIN.date())
    assert len(pager.twilio.messages(to=EMEA_L1[primary])) == 1

    pager.desk.travel(timedelta(minutes=4))
    assert len(pager.twilio.messages()) == 1  # nothing new before 5 minutes

    pager.desk.travel(timedelta(minutes=1, seconds=10))  # step 2: primary again, and secondary
    assert len(pager.twilio.messages(to=EMEA_L1[secondary])) == 1
    # The primary's second SMS waits out the one-a-minute throttle? No: 5 minutes passed.
    assert len(pager.twilio.messages(to=EMEA_L1[primary])) == 2

    pager.desk.travel(timedelta(minutes=5))  # step 3: L2 primary
    with pager.desk.rt.session() as session:
        people = [p for (p,) in session.execute(select(Page.person).where(Page.step_index == 2))]
    assert people and set(people) <= {"dieter", "elena"}

    pager.desk.travel(timedelta(minutes=5))  # step 4: L3 primary and management
    with pager.desk.rt.session() as session:
        step4 = {p for (p,) in session.execute(select(Page.person).where(Page.step_index == 3))}
    assert {"morgan", "niamh"} <= step4
    assert step4 & {"fionn", "greta"}


def test_failed_sms_falls_back_to_a_call_and_shows_in_slack(pager: Pager) -> None:
    open_sev1(pager)
    primary, secondary = emea_l1_on(TUESDAY_10_DUBLIN.date())
    sms = pager.twilio.messages(to=EMEA_L1[primary])[0]
    first_call = pager.twilio.voice_calls(to=EMEA_L1[primary])[0]
    pager.twilio.deliver_status(first_call["sid"], "no-answer")
    pager.desk.drain()
    pager.twilio.deliver_status(sms["sid"], "undelivered", error_code=30003)
    pager.desk.drain()
    triage = [m.get("text", "") for m in pager.desk.api.messages(channel="C0TRIAGE01")]
    assert any("SMS page to" in t and "failed" in t for t in triage)
    # The fallback call waits out the one-call-a-minute throttle, then goes.
    assert len(pager.twilio.voice_calls(to=EMEA_L1[primary])) == 1
    pager.desk.travel(timedelta(minutes=1, seconds=5))
    calls = pager.twilio.voice_calls(to=EMEA_L1[primary])
    assert len(calls) == 2, calls
    assert pager.twilio.messages(to=EMEA_L1[secondary]) == []
    # The fallback fails too: nobody can reach the primary, so the episode moves on at once
    # (the secondary is paged at 10:01, not at the 10:05 step).
    pager.twilio.deliver_status(calls[1]["sid"], "failed")
    pager.desk.drain()
    assert len(pager.twilio.messages(to=EMEA_L1[secondary])) == 1


def test_twilio_down_for_ten_minutes_pages_arrive_once_after(pager: Pager) -> None:
    pager.twilio.set_down(True)
    open_sev1(pager)
    assert pager.twilio.messages() == []
    for _ in range(10):
        pager.desk.travel(timedelta(minutes=1))
    pager.twilio.set_down(False)
    pager.desk.travel(timedelta(minutes=2, seconds=10))
    pager.desk.travel(timedelta(seconds=30))
    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())
    sent = pager.twilio.messages(to=EMEA_L1[primary])
    bodies = [m["body"] for m in sent]
    # Every page owed reached the primary; the ones that queued up were bundled, none twice.
    assert sent, "no SMS after Twilio recovered"
    assert sum(b.count("INC-1") for b in bodies) >= 1
    with pager.desk.rt.session() as session:
        states = [s for (s,) in session.execute(select(Page.state).where(Page.channel == "sms"))]
    assert "pending" not in states and "sending" not in states, states
    assert len({m["sid"] for m in sent}) == len(sent)


def test_keypress_acknowledges_and_second_ack_is_polite(pager: Pager) -> None:
    code = open_sev1(pager)
    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())
    status, body = pager.reply(EMEA_L1[primary], code)
    assert "Acknowledged" in body
    call = pager.twilio.voice_calls(to=EMEA_L1[primary])[0]
    exchanges = pager.twilio.answer_call(call["sid"])
    assert "already been acknowledged" in exchanges[0].text
    status, body = pager.reply(EMEA_L1[primary], code)
    assert "already acknowledged" in body
    with pager.desk.rt.session() as session:
        assert session.scalar(select(Escalation.state)) == "acknowledged"


def test_press_one_on_the_call_acknowledges(pager: Pager) -> None:
    open_sev1(pager)
    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())
    call = pager.twilio.voice_calls(to=EMEA_L1[primary])[0]
    exchanges = pager.twilio.answer_call(call["sid"], digits="1")
    assert "Press 1 to acknowledge" in exchanges[0].text
    assert "Acknowledged INC-1" in exchanges[1].text
    with pager.desk.rt.session() as session:
        assert session.scalar(select(Escalation.acked_via)) == "phone"


def test_slack_button_acknowledges_everywhere(pager: Pager) -> None:
    code = open_sev1(pager)
    pager.desk.slack.block_action(cards.ACTION_ACK, value="1")
    pager.desk.drain()
    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())
    status, body = pager.reply(EMEA_L1[primary], code)
    assert "already acknowledged" in body
    pager.desk.travel(timedelta(minutes=20))
    assert len(pager.twilio.messages()) == 1


def test_forged_and_unknown_requests_change_nothing(pager: Pager) -> None:
    code = open_sev1(pager)
    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())
    status, _ = pager.reply(EMEA_L1[primary], code, token="not-the-auth-token")
    assert status == 403
    status, body = pager.reply("+15550001111", code)
    assert status == 200 and "not on the supportbot on-call roster" in body
    status, body = pager.reply(EMEA_L1[primary], "1099Z")
    assert "Unknown code 1099Z" in body and code in body
    with pager.desk.rt.session() as session:
        assert session.scalar(select(Escalation.state)) == "active"


def test_auto_responder_loop_is_cut_after_five_answers(pager: Pager) -> None:
    open_sev1(pager)
    answers = [pager.reply("+15550002222", "I am out of the office")[1] for _ in range(8)]
    assert sum("not on the supportbot on-call roster" in a for a in answers) == 5
    assert all(re.search(r"<Response\s*/>|<Response></Response>", a) for a in answers[5:])


def test_two_escalate_presses_on_one_card_escalate_once(pager: Pager) -> None:
    open_sev1(pager)
    first = pager.desk.slack.block_action(cards.ACTION_ESCALATE, value="1:L1", user="U0STAFF001")
    second = pager.desk.slack.block_action(cards.ACTION_ESCALATE, value="1:L1", user="U0STAFF002")
    assert first.status_code == second.status_code == 200
    pager.desk.drain()
    with pager.desk.rt.session() as session:
        assert session.get_one(Incident, 1).level == "L2"
    refusals = [r.get("text", "") for r in pager.desk.api.responses()]
    assert any("already moved on to L2" in t for t in refusals), refusals
    # The manual escalation paged L2 (whoever holds it), and recorded who asked.
    with pager.desk.rt.session() as session:
        paged = {p for (p,) in session.execute(select(Page.person).where(Page.step_index == -1))}
    assert paged and paged <= {"dieter", "elena"}


def test_escalate_pressed_on_the_card_of_a_resolved_incident_is_refused(pager: Pager) -> None:
    open_sev1(pager)
    pager.desk.slack.block_action(cards.ACTION_ACK, value="1")
    pager.desk.drain()
    done = pager.desk.slack.view_submission(
        cards.CALLBACK_RESOLVE, {"summary": "rolled back"}, private_metadata="1"
    )
    assert done.status_code == 200
    pager.desk.drain()
    # A stale card (or a replayed press) still carries the Escalate button of L1.
    pressed = pager.desk.slack.block_action(cards.ACTION_ESCALATE, value="1:L1")
    assert pressed.status_code == 200
    pager.desk.drain()
    refusals = [r.get("text", "") for r in pager.desk.api.responses()]
    assert any("INC-1 is resolved; reopen it first" in t for t in refusals), refusals
    with pager.desk.rt.session() as session:
        assert session.get_one(Incident, 1).level == "L1"
        kinds = session.scalars(select(TimelineEvent.kind)).all()
    assert "escalated" not in kinds
