"""Paging edges, as scripts: token rotation, dry run, an ack from someone not paged, a step
that reaches nobody, a page stuck mid-send, keypress 2 twice, and bundling under the throttle.

The desk runs at Tuesday 24 November 2026, 10:00 in Dublin (EMEA holds the pager); time moves
only by ``travel``, which also runs the reconciler and drains the worker.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import requests
from sqlalchemy import select, update

from supportbot.clients.pager import DryRunSender
from supportbot.db.models import Escalation, InboundNumber, Incident, Page, TimelineEvent
from supportbot.reconciler import reconcile_once
from supportbot.slack import cards
from tests.paging.conftest import (
    EMEA_L1,
    EMEA_L1_SLACK,
    FROM_NUMBER,
    TUESDAY_10_DUBLIN,
    Pager,
    emea_l1_on,
)
from tests.standins import TWILIO_ACCOUNT_SID
from tests.support.slack_requests import TRIAGE

ACME = "C0ACMESHARED"
ALT_TOKEN = "fedcba9876543210fedcba9876543210"  # the token being rotated in
FORGED_TOKEN = "00000000000000000000000000000000"

# -- fixtures: the conftest's desk, with per-test settings ------------------------------------


# -- helpers ----------------------------------------------------------------------------------


def open_sev1(pager: Pager, summary: str = "checkout down for everyone") -> str:
    """Open a Sev1 in Acme's channel; return its acknowledgement code."""
    response = pager.desk.slack.command(f"sev1 {summary}", channel=ACME)
    assert response.status_code == 200, response.text
    pager.desk.drain()
    with pager.desk.rt.session() as session:
        return session.scalars(select(Escalation.ack_code).order_by(Escalation.id.desc())).first()


def state_of(pager: Pager) -> tuple[object, ...]:
    """Everything a webhook could change, to compare before and after a refused one."""
    with pager.desk.rt.session() as session:
        return (
            session.execute(select(Escalation.id, Escalation.state, Escalation.step_index)).all(),
            session.execute(select(Page.id, Page.state).order_by(Page.id)).all(),
            session.execute(select(Incident.id, Incident.status, Incident.version)).all(),
            session.execute(select(TimelineEvent.id).order_by(TimelineEvent.id)).all(),
            session.execute(select(InboundNumber.number, InboundNumber.unrecognised_replies)).all(),
        )


def timeline(pager: Pager, incident_id: int = 1) -> list[str]:
    with pager.desk.rt.session() as session:
        return list(
            session.scalars(
                select(TimelineEvent.text)
                .where(TimelineEvent.incident_id == incident_id)
                .order_by(TimelineEvent.id)
            )
        )


def triage_texts(pager: Pager) -> list[str]:
    return [m.get("text", "") for m in pager.desk.api.messages(channel=TRIAGE)]


# -- 1. token rotation ------------------------------------------------------------------------


@pytest.mark.parametrize("overrides", [{"twilio_alt_auth_token": ALT_TOKEN}])
def test_alternate_token_is_accepted_and_any_other_is_refused(pager: Pager) -> None:
    code = open_sev1(pager)
    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())
    number = EMEA_L1[primary]
    sms = pager.twilio.messages(to=number)[0]
    call = pager.twilio.voice_calls(to=number)[0]
    before = state_of(pager)

    # Forged: a reply, a keypress and a status callback, each signed with another token.
    status, body = pager.reply(number, code, token=FORGED_TOKEN)
    assert status == 403 and "Acknowledged" not in body
    exchanges = pager.twilio.answer_call(call["sid"], digits="1", token=FORGED_TOKEN)
    assert [e.status for e in exchanges] == [403]
    assert pager.twilio.deliver_status(sms["sid"], "undelivered", token=FORGED_TOKEN).status == 403
    # No signature at all, on every webhook.
    for path in (
        "/twilio/sms",
        "/twilio/status",
        "/twilio/voice?page=2",
        "/twilio/voice/gather?page=2",
    ):
        form = {"From": number, "To": FROM_NUMBER, "Body": code, "MessageSid": sms["sid"]}
        form |= {"MessageStatus": "failed", "AccountSid": TWILIO_ACCOUNT_SID}
        unsigned = requests.post(pager.desk.url + path, data=form, timeout=5)
        assert unsigned.status_code == 403, path
    pager.desk.drain()
    assert state_of(pager) == before
    assert len(pager.twilio.voice_calls(to=number)) == 1  # no fallback call for the forged failure

    # The token being rotated in works, for a status callback and for the acknowledgement.
    assert pager.twilio.deliver_status(sms["sid"], "delivered", token=ALT_TOKEN).status == 204
    status, body = pager.reply(number, code, token=ALT_TOKEN)
    assert status == 200 and "Acknowledged INC-1" in body
    # And so does the current one: a second, polite confirmation.
    status, body = pager.reply(number, code)
    assert status == 200 and "already acknowledged" in body
    with pager.desk.rt.session() as session:
        assert session.scalar(select(Escalation.state)) == "acknowledged"
        sms_page = session.scalar(select(Page).where(Page.provider_sid == sms["sid"]))
        assert sms_page is not None and sms_page.state == "delivered"


def test_without_an_alternate_token_only_the_auth_token_verifies(pager: Pager) -> None:
    code = open_sev1(pager)
    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())
    before = state_of(pager)
    status, _ = pager.reply(EMEA_L1[primary], code, token=ALT_TOKEN)
    assert status == 403
    assert state_of(pager) == before


# -- 2. dry run -------------------------------------------------------------------------------


@pytest.mark.parametrize("overrides", [{"twilio_account_sid": None, "twilio_from_number": None}])
def test_dry_run_records_pages_and_says_so_in_slack(pager: Pager) -> None:
    assert isinstance(pager.desk.rt.pager, DryRunSender)
    code = open_sev1(pager)
    with pager.desk.rt.session() as session:
        pages = list(session.scalars(select(Page).order_by(Page.id)))
    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())
    assert {(p.person, p.channel) for p in pages} == {(primary, "sms"), (primary, "voice")}
    assert all(p.state == "sent" for p in pages), [(p.id, p.state) for p in pages]
    assert all(p.provider_sid and p.provider_sid.startswith("DRYRUN-") for p in pages)
    # Nothing reached Twilio: no message, no call, not even a request.
    assert pager.twilio.messages() == [] and pager.twilio.voice_calls() == []
    assert pager.twilio.calls() == []
    # The incident's Slack thread shows the page as a dry run.
    with pager.desk.rt.session() as session:
        card_ts = session.get_one(Incident, 1).card_ts
    thread = [m.get("text", "") for m in pager.desk.api.messages(channel=TRIAGE, thread_ts=card_ts)]
    assert any("(dry run)" in t and "Step 1" in t for t in thread), thread

    # Webhooks still verify with the auth token: the SMS reply acknowledges.
    status, body = pager.reply(EMEA_L1[primary], code)
    assert status == 200 and "Acknowledged INC-1" in body
    pager.desk.travel(timedelta(minutes=20))
    with pager.desk.rt.session() as session:
        assert session.scalar(select(Escalation.state)) == "acknowledged"
        assert session.scalar(select(Page.id).where(Page.state != "sent")) is None
    assert pager.twilio.calls() == []


# -- 3. acknowledged by someone who was not paged ---------------------------------------------


def test_ack_by_sms_from_a_roster_person_not_paged_is_recorded(pager: Pager) -> None:
    code = open_sev1(pager)
    primary, secondary = emea_l1_on(TUESDAY_10_DUBLIN.date())
    assert pager.twilio.messages(to=EMEA_L1[secondary]) == []  # step 2 is at 10:05

    pager.desk.travel(timedelta(minutes=2))
    status, body = pager.reply(EMEA_L1[secondary], f"ack {code.lower()}")
    assert status == 200 and "Acknowledged INC-1" in body

    with pager.desk.rt.session() as session:
        escalation = session.scalars(select(Escalation)).one()
        assert escalation.state == "acknowledged"
        assert escalation.acked_by == EMEA_L1_SLACK[secondary]
        assert escalation.acked_via == "SMS"
        assert session.get_one(Incident, 1).first_response_at is not None
    stopped = [t for t in timeline(pager) if "Paging stopped" in t]
    assert len(stopped) == 1
    assert f"<@{EMEA_L1_SLACK[secondary]}>" in stopped[0] and "(was not paged)" in stopped[0]

    pager.desk.travel(timedelta(minutes=20))  # past every step: nobody else is paged
    assert {m["to"] for m in pager.twilio.messages()} == {EMEA_L1[primary]}
    assert len(pager.twilio.messages()) == 1


def test_ack_by_the_paged_primary_is_not_marked_as_not_paged(pager: Pager) -> None:
    code = open_sev1(pager)
    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())
    pager.reply(EMEA_L1[primary], code)
    stopped = [t for t in timeline(pager) if "Paging stopped" in t]
    assert len(stopped) == 1 and "(was not paged)" not in stopped[0]


# -- 4. a step that reaches nobody ------------------------------------------------------------

# One region on shift now, with L1 and L3 but no L2 roster, no fallback; the default policy.
SMALL_ROTATION = """\
people:
  una:  {name: Una Ruane,  slack: U0SMALL001, phone: "+353 85 555 0201"}
  uli:  {name: Uli Berg,   slack: U0SMALL002, phone: "+353 85 555 0202"}
  tara: {name: Tara Quinn, slack: U0SMALL003, phone: "+353 85 555 0203"}
  max:  {name: Max Hale,   slack: U0SMALL004, phone: "+353 85 555 0204"}
regions:
  - name: Solo
    time_zone: Europe/Dublin
    shift: {start: "08:00", end: "20:00"}
    working_days: [mon, tue, wed, thu, fri]
    rosters:
      L1: {rotation: daily, handoff_time: "08:00", start: 2025-01-06, primary: [una, uli]}
      L3: {rotation: weekly, handoff_time: "08:00", start: 2025-01-06, primary: [tara]}
management: [max]
"""
SMALL_PHONES = {
    "una": "+353855550201",
    "uli": "+353855550202",
    "tara": "+353855550203",
    "max": "+353855550204",
}


def small_l1_on(day: date) -> tuple[str, str]:
    index = (day - date(2025, 1, 6)).days % 2
    names = ["una", "uli"]
    return names[index], names[1 - index]


@pytest.mark.parametrize("rotation_yaml", [SMALL_ROTATION])
def test_step_that_reaches_nobody_says_so_and_moves_straight_on(pager: Pager) -> None:
    open_sev1(pager)
    primary, secondary = small_l1_on(TUESDAY_10_DUBLIN.date())
    assert len(pager.twilio.messages(to=SMALL_PHONES[primary])) == 1

    pager.desk.travel(timedelta(minutes=5, seconds=10))  # step 2: L1 primary and secondary
    assert len(pager.twilio.messages(to=SMALL_PHONES[secondary])) == 1
    assert not any("nobody to page" in t for t in triage_texts(pager))

    pager.desk.travel(timedelta(minutes=5))  # 10:10:10: step 3 wants L2, and there is none
    step3_ran_at = pager.desk.rt.now()
    with pager.desk.rt.session() as session:
        escalation = session.scalars(select(Escalation)).one()
        assert escalation.step_index == 3  # step 4 is owed …
        assert escalation.next_step_at is not None
        # … now, not at 10:15 when its delay would end.
        assert escalation.next_step_at <= step3_ran_at
        assert session.scalar(select(Page.id).where(Page.step_index == 2)) is None
    # Said in the triage channel itself (not only in the incident's thread), once.
    said = [m for m in pager.desk.api.messages(channel=TRIAGE) if "nobody to page" in m["text"]]
    nobody = [m["text"] for m in said if not m.get("thread_ts")]
    assert len(nobody) == 1 and "INC-1" in nobody[0] and "L2" in nobody[0], said
    assert sum("nobody to page" in t for t in timeline(pager)) == 1

    # Step 4 (L3 and management) goes at the next tick, minutes before 10:15.
    pager.desk.travel(timedelta(seconds=10))
    assert len(pager.twilio.messages(to=SMALL_PHONES["tara"])) == 1
    assert len(pager.twilio.messages(to=SMALL_PHONES["max"])) == 1
    with pager.desk.rt.session() as session:
        step4 = list(session.scalars(select(Page).where(Page.step_index == 3)))
        assert {p.person for p in step4} == {"tara", "max"}
        assert all(p.created_at < TUESDAY_10_DUBLIN + timedelta(minutes=11) for p in step4)
    assert sum("nobody to page" in t for t in triage_texts(pager)) == len(said)  # said once


# -- 5. a page stuck in ``sending`` -----------------------------------------------------------


def test_page_stuck_sending_is_re_driven_once_by_the_reconciler(pager: Pager) -> None:
    rt = pager.desk.rt
    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())
    number = EMEA_L1[primary]
    pager.twilio.set_down(True, "Messages.create")  # the SMS does not get out at first
    open_sev1(pager)
    assert pager.twilio.messages() == []
    pager.twilio.set_down(False, "Messages.create")

    # A worker claims the SMS again and dies mid-send: the row stays ``sending`` with a deadline.
    with rt.session() as session:
        page = session.scalars(select(Page).where(Page.channel == "sms")).one()
        page_id, attempts = page.id, page.attempts
        session.execute(
            update(Page)
            .where(Page.id == page_id)
            .values(
                state="sending",
                attempts=attempts + 1,
                deadline_at=rt.now() + timedelta(seconds=60),
                updated_at=rt.now(),
            )
        )
    rt.redis.flushdb()  # and its queued retry is gone with it

    pager.desk.travel(timedelta(seconds=30))  # before the deadline the row is left alone
    with rt.session() as session:
        assert session.get_one(Page, page_id).state == "sending"
    assert pager.twilio.messages() == []

    rt.clock.advance(timedelta(seconds=31))  # type: ignore[attr-defined]
    result = reconcile_once(rt)
    assert result.get("page_stuck", 0) >= 1, result
    with rt.session() as session:
        page = session.get_one(Page, page_id)
        assert page.state == "pending"
        assert page.last_error and "stopped before recording" in page.last_error
    pager.desk.drain()
    sms = pager.twilio.messages(to=number)
    assert len(sms) == 1 and "INC-1" in sms[0]["body"]
    with rt.session() as session:
        page = session.get_one(Page, page_id)
        assert page.state == "sent" and page.provider_sid == sms[0]["sid"]
        assert page.deadline_at is None

    pager.desk.travel(timedelta(minutes=1))  # further passes re-drive nothing
    pager.desk.travel(timedelta(minutes=1))
    assert len(pager.twilio.messages(to=number)) == 1


# -- 6. keypress 2, twice ---------------------------------------------------------------------


def test_keypress_two_escalates_now_once(pager: Pager) -> None:
    open_sev1(pager)
    primary, secondary = emea_l1_on(TUESDAY_10_DUBLIN.date())
    call = pager.twilio.voice_calls(to=EMEA_L1[primary])[0]

    first = pager.twilio.answer_call(call["sid"], digits="2")
    assert [e.status for e in first] == [200, 200]
    assert "Escalating now" in first[1].text
    pager.desk.drain()
    # Step 2 ran at 10:00, not 10:05: the secondary has been paged.
    assert len(pager.twilio.messages(to=EMEA_L1[secondary])) == 1

    again = pager.twilio.answer_call(call["sid"], digits="2")  # the same call's key again
    assert "already received" in again[1].text  # a replay: acted on once (test_twilio_replay)
    # Another call carrying the same page (a second dial-in) presses 2 after the step moved.
    other = {"CallSid": "CA" + "f" * 32}
    second = pager.twilio.answer_call(call["sid"], digits="2", extra=other)
    assert "already been escalated" in second[1].text
    pager.desk.drain()
    pager.desk.travel(timedelta(minutes=1, seconds=10))  # let throttled step-2 pages go out

    with pager.desk.rt.session() as session:
        escalation = session.scalars(select(Escalation)).one()
        assert escalation.step_index == 2  # step 3 (L2) is next, at 10:10
        step2 = session.execute(select(Page.person, Page.channel).where(Page.step_index == 1)).all()
    assert sorted(step2) == sorted(
        [(primary, "sms"), (primary, "voice"), (secondary, "sms"), (secondary, "voice")]
    )
    assert len(pager.twilio.messages(to=EMEA_L1[secondary])) == 1
    asked = [t for t in timeline(pager) if "asked to escalate now" in t]
    assert len(asked) == 1 and f"<@{EMEA_L1_SLACK[primary]}>" in asked[0]
    # One event per target of step 2 (the primary, the secondary), not two runs' worth.
    assert sum("Step 2:" in t for t in timeline(pager)) == 2


def test_two_presses_before_the_worker_runs_still_escalate_once(pager: Pager) -> None:
    open_sev1(pager)
    primary, secondary = emea_l1_on(TUESDAY_10_DUBLIN.date())
    call = pager.twilio.voice_calls(to=EMEA_L1[primary])[0]
    pager.twilio.answer_call(call["sid"], digits="2")
    pager.twilio.answer_call(call["sid"], digits="2")
    pager.desk.drain()
    with pager.desk.rt.session() as session:
        assert session.scalar(select(Escalation.step_index)) == 2
        assert session.scalar(select(Page.id).where(Page.step_index == 2)) is None
    assert len(pager.twilio.messages(to=EMEA_L1[secondary])) == 1


# -- 7. bundling under the one-a-minute throttle ----------------------------------------------


def test_second_sev1_to_the_same_primary_waits_for_the_throttle(pager: Pager) -> None:
    open_sev1(pager, "checkout down for everyone")
    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())
    number = EMEA_L1[primary]
    assert len(pager.twilio.messages(to=number)) == 1

    pager.desk.travel(timedelta(seconds=10))
    open_sev1(pager, "payments API returning 500s")
    assert len(pager.twilio.messages(to=number)) == 1  # throttled, not dropped
    with pager.desk.rt.session() as session:
        waiting = session.scalars(
            select(Page).where(Page.incident_id == 2, Page.channel == "sms")
        ).one()
        assert waiting.state == "pending"
        assert waiting.next_attempt_at > pager.desk.rt.now()

    pager.desk.travel(timedelta(seconds=60))  # 10:01:10
    sms = pager.twilio.messages(to=number)
    assert len(sms) == 2, [m["body"] for m in sms]
    assert "INC-1" in sms[0]["body"] and "INC-1" not in sms[1]["body"]
    assert "INC-2" in sms[1]["body"]
    with pager.desk.rt.session() as session:
        assert session.scalar(select(Page.id).where(Page.state == "pending")) is None
        sent = sorted(
            session.scalars(
                select(Page.sent_at).where(Page.to_number == number, Page.channel == "sms")
            )
        )
    assert sent[1] - sent[0] >= timedelta(seconds=60)


def test_pages_waiting_on_the_throttle_are_bundled_into_one(pager: Pager) -> None:
    open_sev1(pager, "checkout down for everyone")
    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())
    number = EMEA_L1[primary]
    pager.desk.travel(timedelta(seconds=10))
    open_sev1(pager, "payments API returning 500s")
    pager.desk.travel(timedelta(seconds=10))
    open_sev1(pager, "login page blank")
    codes = dict(zip((1, 2, 3), _codes(pager), strict=True))

    pager.desk.travel(timedelta(seconds=50))  # 10:01:10
    sms = pager.twilio.messages(to=number)
    calls = pager.twilio.voice_calls(to=number)
    assert len(sms) == 2 and len(calls) == 2
    bundle = sms[1]["body"]
    assert bundle.startswith("2 pages:") and "INC-2" in bundle and "INC-3" in bundle
    assert f"Reply {codes[2]}" in bundle and f"Reply {codes[3]}" in bundle
    with pager.desk.rt.session() as session:
        states = dict(
            session.execute(
                select(Page.incident_id, Page.state).where(
                    Page.channel == "sms", Page.incident_id.in_([2, 3])
                )
            ).all()
        )
        assert sorted(states.values()) == ["bundled", "sent"]
        assert session.scalar(select(Page.id).where(Page.state == "pending")) is None
    # The bundled call reads both incidents.
    prompt = pager.twilio.answer_call(calls[1]["sid"])[0].text
    assert "incident 2" in prompt and "incident 3" in prompt

    # Each code in the bundle acknowledges its own incident.
    assert "Acknowledged INC-3" in pager.reply(number, codes[3])[1]
    assert "Acknowledged INC-2" in pager.reply(number, codes[2])[1]


def test_pressing_one_on_a_bundled_call_acknowledges_every_incident_it_read(
    pager: Pager,
) -> None:
    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())
    number = EMEA_L1[primary]
    for summary in ("db down", "api down", "queue down"):
        open_sev1(pager, summary)
        pager.desk.travel(timedelta(seconds=10))
    pager.desk.travel(timedelta(seconds=50))  # 10:01:10: the throttled call carries INC-2, INC-3

    calls = pager.twilio.voice_calls(to=number)
    assert len(calls) == 2, calls
    exchanges = pager.twilio.answer_call(calls[1]["sid"], digits="1")
    said = exchanges[1].text
    assert "Acknowledged INC-2" in said and "Acknowledged INC-3" in said
    with pager.desk.rt.session() as session:
        states = dict(session.execute(select(Escalation.incident_id, Escalation.state)).all())
    assert states[2] == states[3] == "acknowledged"
    assert states[1] == "active"  # the first call was its own, not pressed


def _codes(pager: Pager) -> list[str]:
    with pager.desk.rt.session() as session:
        return list(session.scalars(select(Escalation.ack_code).order_by(Escalation.id)))


def _pages(pager: Pager) -> int:
    with pager.desk.rt.session() as session:
        return len(session.scalars(select(Page)).all())


def test_a_downgraded_sev1_is_no_longer_paged_by_the_sev1_policy(pager: Pager) -> None:
    """Downgraded to Sev4 before anyone acknowledged, the Sev1 policy went on climbing: L2,
    L3, then management, 14 more pages in 20 minutes for a Sev4. It stops at the downgrade,
    and starts again if the incident is raised to Sev1 again."""
    open_sev1(pager)
    before = _pages(pager)
    pager.desk.slack.block_action(cards.ACTION_SEVERITY, block_id="incident-1", selected="4")
    pager.desk.drain()
    with pager.desk.rt.session() as session:
        assert session.get_one(Incident, 1).severity == 4
        assert session.scalars(select(Escalation.state)).one() == "acknowledged"

    for _ in range(4):
        pager.desk.travel(timedelta(minutes=5, seconds=5))

    assert _pages(pager) == before
    assert any("Paging stopped" in t and "downgrade" in t for t in timeline(pager))
    pager.desk.slack.block_action(cards.ACTION_SEVERITY, block_id="incident-1", selected="1")
    pager.desk.drain()
    assert _pages(pager) > before  # a Sev1 again: paging starts again
