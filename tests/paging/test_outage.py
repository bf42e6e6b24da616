"""Pages survive a Twilio outage and a killed worker, exactly once, as scripts.

Twilio (the stand-in) answers 500, then hangs past the client's timeout, then 429 with
Retry-After; time travels in small steps, each running the reconciler and the worker; the
test then counts what reached Twilio, per number and per incident.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import select, update

from supportbot.clients.pager import TwilioSender
from supportbot.clock import TravelClock
from supportbot.db.models import Escalation, Incident, Page
from supportbot.paging import outbox
from supportbot.runtime import Runtime
from supportbot.slack import cards
from tests.paging.conftest import EMEA_L1, TUESDAY_10_DUBLIN, Pager, emea_l1_on
from tests.support.slack_requests import TRIAGE

ACME = "C0ACMESHARED"
T0 = TUESDAY_10_DUBLIN

# One region on shift, L1 then L2 a minute later, no repeat: the policy runs out ("exhausted")
# while Twilio is still down, which must not stop the pages it owes.
SHORT_POLICY = """\
people:
  una:  {name: Una Ruane, slack: U0SHORT001, phone: "+353 85 555 0301"}
  lars: {name: Lars Berg, slack: U0SHORT002, phone: "+353 85 555 0302"}
regions:
  - name: Solo
    time_zone: Europe/Dublin
    shift: {start: "08:00", end: "20:00"}
    working_days: [mon, tue, wed, thu, fri]
    rosters:
      L1: {rotation: daily, handoff_time: "08:00", start: 2025-01-06, primary: [una]}
      L2: {rotation: daily, handoff_time: "08:00", start: 2025-01-06, primary: [lars]}
management: []
escalation:
  sev1:
    repeat: 0
    repeat_after: 1m
    steps:
      - after: 0m
        page: [L1.primary]
      - after: 1m
        page: [L2.primary]
"""
UNA, LARS = "+353855550301", "+353855550302"


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(T0)  # still: it moves only by ``travel``


def open_sev1(pager: Pager, summary: str) -> None:
    assert pager.desk.slack.command(f"sev1 {summary}", channel=ACME).status_code == 200
    pager.desk.drain()


def travel_until(pager: Pager, until: datetime, step: timedelta = timedelta(seconds=5)) -> None:
    while pager.desk.rt.now() < until:
        pager.desk.travel(step)


def sms_mentions(pager: Pager, number: str, key: str) -> list[str]:
    """Bodies of SMS Twilio accepted for ``number`` that carry the page of incident ``key``."""
    return [m["body"] for m in pager.twilio.messages(to=number) if f"{key} " in m["body"]]


def page_states(rt: Runtime) -> dict[int, str]:
    with rt.session() as session:
        return {i: s for i, s in session.execute(select(Page.id, Page.state))}


@pytest.mark.parametrize("rotation_yaml", [SHORT_POLICY])
def test_outage_of_500_hang_and_429_delivers_every_owed_page_once(pager: Pager) -> None:
    rt, twilio = pager.desk.rt, pager.twilio
    rt.pager = TwilioSender(rt.settings, timeout=0.3)  # the stand-in hangs for 1 s
    twilio.down_until(T0 + timedelta(seconds=60), kind="500")
    twilio.down_until(T0 + timedelta(seconds=90), kind="drop")  # no answer within the timeout
    twilio.down_until(T0 + timedelta(seconds=110), kind="429", retry_after=7)
    recovered = T0 + timedelta(seconds=110)

    # Two Sev1s, ten seconds apart: each owes an SMS and a call to L1 (Una), then L2 (Lars).
    open_sev1(pager, "checkout down for everyone")
    pager.desk.travel(timedelta(seconds=10))
    open_sev1(pager, "payments API returning 500s")

    travel_until(pager, T0 + timedelta(seconds=100))
    assert twilio.messages() == [] and twilio.voice_calls() == []
    with rt.session() as session:
        # A page's third failure moved its episode on; the short policy ran out …
        assert session.scalar(select(Escalation.state).where(Escalation.incident_id == 1)) == (
            "exhausted"
        )
    # … and Slack says, truly, that the pages are still being retried.
    triage = [m.get("text", "") for m in pager.desk.api.messages(channel=TRIAGE)]
    assert any("not sent after 3 attempts" in t and "still retrying until" in t for t in triage)
    assert not any("failed" in s for s in page_states(rt).values())

    travel_until(pager, recovered + timedelta(seconds=60))
    for number in (UNA, LARS):
        for key in ("INC-1", "INC-2"):
            assert len(sms_mentions(pager, number, key)) == 1, (number, key, twilio.messages())
    arrived = [parsedate_to_datetime(m["date_created"]) for m in twilio.messages()]
    # Backoff is capped at 30 s (plus the reconciler's grace): recovery is noticed quickly.
    assert recovered <= min(arrived) and max(arrived) <= recovered + timedelta(seconds=40)
    states = page_states(rt)
    assert set(states.values()) <= {"sent", "bundled"}, states
    with rt.session() as session:
        calls = session.scalars(select(Page).where(Page.channel == "voice", Page.state == "sent"))
        sent_calls = {(p.to_number, p.provider_sid) for p in calls}
    assert sorted(c["to"] for c in twilio.voice_calls()) == sorted(n for n, _ in sent_calls)
    assert {c["sid"] for c in twilio.voice_calls()} == {sid for _, sid in sent_calls}
    triage = [m.get("text", "") for m in pager.desk.api.messages(channel=TRIAGE)]
    assert any("sent at last" in t for t in triage), triage

    # Nothing more goes out later: each owed page arrived once.
    before = (len(twilio.messages()), len(twilio.voice_calls()))
    pager.desk.travel(timedelta(minutes=5))
    assert (len(twilio.messages()), len(twilio.voice_calls())) == before


def test_retry_after_is_honoured(pager: Pager) -> None:
    twilio = pager.twilio
    twilio.inject("Messages.create", "429", times=1, retry_after=23)
    open_sev1(pager, "checkout down for everyone")
    with pager.desk.rt.session() as session:
        sms = session.scalars(select(Page).where(Page.channel == "sms")).one()
    assert sms.state == "pending" and sms.next_attempt_at == T0 + timedelta(seconds=23)
    pager.desk.travel(timedelta(seconds=20))
    assert twilio.messages() == []  # not before Twilio said
    pager.desk.travel(timedelta(seconds=10))
    assert len(twilio.messages()) == 1


@pytest.mark.parametrize("acked", ["INC-1", "INC-2"])
def test_acknowledging_one_bundled_incident_stops_only_its_own_page(
    pager: Pager, acked: str
) -> None:
    rt, twilio = pager.desk.rt, pager.twilio
    primary, _ = emea_l1_on(T0.date())
    number = EMEA_L1[primary]
    twilio.set_down(True, kind="500")
    open_sev1(pager, "checkout down for everyone")
    pager.desk.travel(timedelta(seconds=10))
    open_sev1(pager, "payments API returning 500s")
    pager.desk.travel(timedelta(seconds=10))  # the retry carries both pages, and fails
    tried = [c.form.get("Body", "") for c in twilio.calls("Messages.create")]
    assert any("INC-1 " in b and "INC-2 " in b for b in tried), tried

    with rt.session() as session:
        codes = {
            i: c for i, c in session.execute(select(Escalation.incident_id, Escalation.ack_code))
        }
    status, body = pager.reply(number, codes[int(acked[-1])])
    assert status == 200 and f"Acknowledged {acked}" in body
    twilio.set_down(False)
    pager.desk.travel(timedelta(seconds=35))

    other = "INC-2" if acked == "INC-1" else "INC-1"
    assert len(sms_mentions(pager, number, other)) == 1, twilio.messages()
    assert sms_mentions(pager, number, acked) == []
    assert len(twilio.messages(to=number)) == 1
    with rt.session() as session:
        left = session.execute(
            select(Page.incident_id, Page.state).where(Page.to_number == number)
        ).all()
    assert {s for i, s in left if i == int(acked[-1])} == {"cancelled"}, left
    assert {s for i, s in left if i != int(acked[-1])} <= {"sent", "bundled"}, left


def test_page_stuck_sending_goes_out_on_the_first_pass_after_a_short_deadline(
    pager: Pager,
) -> None:
    rt, twilio = pager.desk.rt, pager.twilio
    primary, _ = emea_l1_on(T0.date())
    twilio.set_down(True, "Messages.create")
    open_sev1(pager, "checkout down for everyone")
    twilio.set_down(False, "Messages.create")
    # A worker claims the SMS (as ``outbox._claim`` does) and is killed mid-send.
    claimed_at = rt.now()
    with rt.session() as session:
        page_id = session.scalars(select(Page.id).where(Page.channel == "sms")).one()
        session.execute(
            update(Page)
            .where(Page.id == page_id)
            .values(state="sending", deadline_at=claimed_at + outbox.SENDING_DEADLINE)
        )
    rt.redis.flushdb()

    pager.desk.travel(outbox.SENDING_DEADLINE - timedelta(seconds=1))
    assert twilio.messages() == []  # still within its deadline
    pager.desk.travel(timedelta(seconds=1))  # the first reconciler pass after the deadline
    sms = twilio.messages(to=EMEA_L1[primary])
    assert len(sms) == 1
    late = parsedate_to_datetime(sms[0]["date_created"]) - claimed_at
    assert late <= outbox.SENDING_DEADLINE <= timedelta(seconds=15)


FAST = {"page_min_gap_seconds": 0, "page_sms_per_15min": 100, "page_calls_per_15min": 100}


@pytest.mark.parametrize("overrides", [FAST])
def test_concurrent_sends_bundle_without_deadlock_and_send_each_page_once(pager: Pager) -> None:
    rt, twilio = pager.desk.rt, pager.twilio
    primary, _ = emea_l1_on(T0.date())
    number = EMEA_L1[primary]
    twilio.set_down(True, kind="500")
    incidents = 8
    for n in range(incidents):
        open_sev1(pager, f"service {n} down")
    twilio.set_down(False)
    rt.redis.flushdb()  # the retries are run by the threads below instead
    assert isinstance(rt.clock, TravelClock)
    rt.clock.advance(timedelta(seconds=10))
    with rt.session() as session:
        ids = list(session.scalars(select(Page.id).where(Page.state == "pending")))
    assert len(ids) == 2 * incidents

    start = threading.Barrier(len(ids))

    def send(page_id: int) -> str:
        start.wait()  # all at once: the workers' bundles overlap
        return outbox.send(rt, page_id)

    with ThreadPoolExecutor(max_workers=len(ids)) as pool:
        # ``result`` re-raises what a send raised: a deadlock (PostgreSQL) fails the test here.
        outcomes = [f.result(timeout=60) for f in [pool.submit(send, i) for i in ids]]
    assert set(outcomes) <= {"sent", "stale"}, outcomes
    pager.desk.travel(timedelta(seconds=1))  # a page skipped while locked is sent by its own job
    for n in range(1, incidents + 1):
        assert len(sms_mentions(pager, number, f"INC-{n}")) == 1, twilio.messages()
    states = page_states(rt)
    assert set(states.values()) <= {"sent", "bundled"}, states


@pytest.mark.parametrize("rotation_yaml", [SHORT_POLICY])
def test_an_exhausted_episode_is_stopped_only_by_an_acknowledgement(pager: Pager) -> None:
    rt, twilio = pager.desk.rt, pager.twilio
    twilio.set_down(True, kind="500")
    open_sev1(pager, "checkout down for everyone")
    travel_until(pager, T0 + timedelta(seconds=60))
    with rt.session() as session:
        escalation = session.scalars(select(Escalation)).one()
    assert escalation.state == "exhausted"
    assert set(page_states(rt).values()) == {"pending"}  # still owed, still retrying

    status, body = pager.reply(UNA, escalation.ack_code)  # she saw the card in Slack
    assert status == 200 and "Acknowledged INC-1" in body
    twilio.set_down(False)
    pager.desk.travel(timedelta(minutes=2))
    assert twilio.messages() == [] and twilio.voice_calls() == []
    assert set(page_states(rt).values()) == {"cancelled"}
    with rt.session() as session:
        assert session.get_one(Escalation, escalation.id).state == "acknowledged"


def test_a_bundled_call_whose_own_incident_was_acknowledged_reads_out_the_other(
    pager: Pager,
) -> None:
    """Two Sev1s to one person go out as one call, placed by INC-1's page. INC-1 is
    acknowledged on its card before the call is answered: the call must still wake the
    engineer for INC-2 (it said "incident 1 has already been acknowledged. Goodbye." and
    INC-2's page, bundled into the call, was never placed on its own)."""
    primary, _ = emea_l1_on(T0.date())
    number = EMEA_L1[primary]
    pager.twilio.set_down(True)
    open_sev1(pager, "checkout down for everyone")
    open_sev1(pager, "login fails for everyone")
    pager.desk.travel(timedelta(seconds=10))
    pager.twilio.set_down(False)
    for _ in range(4):
        pager.desk.travel(timedelta(seconds=10))
    [call] = pager.twilio.voice_calls(to=number)
    assert "incident 1" in pager.twilio.answer_call(call["sid"])[0].text  # carries both

    pager.desk.slack.block_action(cards.ACTION_ACK, value="1")
    pager.desk.drain()
    [prompt] = pager.twilio.answer_call(call["sid"])

    assert "incident 2: login fails for everyone" in prompt.text
    assert "incident 1" not in prompt.text and "Press 1 to acknowledge" in prompt.text
    pressed = pager.twilio.answer_call(call["sid"], "1")
    assert "Acknowledged INC-2" in pressed[-1].text, pressed[-1].text
    with pager.desk.rt.session() as session:
        states = dict(session.execute(select(Escalation.incident_id, Escalation.state)).all())
    assert states == {1: "acknowledged", 2: "acknowledged"}


def test_a_call_for_a_resolved_incident_says_so_and_offers_nothing(pager: Pager) -> None:
    primary, _ = emea_l1_on(T0.date())
    open_sev1(pager, "checkout down for everyone")
    for _ in range(4):
        pager.desk.travel(timedelta(seconds=10))
    [call] = pager.twilio.voice_calls(to=EMEA_L1[primary])
    with pager.desk.rt.session() as session:
        session.execute(update(Incident).where(Incident.id == 1).values(status="resolved"))

    [prompt] = pager.twilio.answer_call(call["sid"])

    assert "incident 1 has already been resolved. Goodbye." in prompt.text
    assert "Gather" not in prompt.text
