"""Quiet hours and personal contact rules, as scripts (Tuesday 24 November 2026, 23:00 in
Dublin): a Severity 1 always pages, each person's contact methods in order; a Severity 2 goes
to whoever is awake, or waits for someone to wake or for the contract's clock to open, and
the card says which and why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import select

from supportbot import health
from supportbot.attention import deferred
from supportbot.clock import TravelClock
from supportbot.db.attention import DeferredPage
from supportbot.db.models import Incident
from supportbot.slack import cards
from tests.paging.conftest import Pager
from tests.standins import block_text

NIGHT = datetime(2026, 11, 24, 23, 0, tzinfo=UTC)  # 23:00 in Dublin (GMT)
OWL, OWL_2ND, LARK = "+353855550201", "+353855550299", "+353855550202"

ROTATION = """\
people:
  owl:
    slack: U0OWL00001
    phone: "+353 85 555 0201"
    second_phone: "+353 85 555 0299"
    time_zone: Europe/Dublin
    quiet_hours: {start: "22:00", end: "07:00"}
    contact: [sms, {method: voice, after: 2m}, {method: sms, phone: second, after: 5m}]
  lark: {slack: U0LARK0001, phone: "+353 85 555 0202"}
  boss: {slack: U0BOSS0001, phone: "+353 85 555 0203"}
fallback:
  name: Night desk
  time_zone: Etc/UTC
  rosters:
    L1: {rotation: weekly, handoff_time: "12:00", start: 2025-01-03, primary: [owl],
         secondary: [lark]}
    L2: {rotation: weekly, handoff_time: "12:00", start: 2025-01-03, primary: [owl],
         secondary: [lark]}
    L3: {rotation: weekly, handoff_time: "12:00", start: 2025-01-03, primary: [owl]}
management: [boss]
"""


@pytest.fixture
def rotation_yaml() -> str:
    return ROTATION


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(NIGHT)


def open_incident(pager: Pager, text: str, channel: str = "C0TRIAGE01") -> None:
    assert pager.desk.slack.command(text, channel=channel).status_code == 200
    pager.desk.drain()


def choose(pager: Pager, value: str) -> None:
    response = pager.desk.slack.block_action(
        cards.ACTION_ESCALATE_TO, block_id="incident-1", selected=value
    )
    assert response.status_code == 200
    pager.desk.drain()


def card(pager: Pager) -> str:
    with pager.desk.rt.session() as session:
        incident = session.get_one(Incident, 1)
    message = pager.desk.api.message(incident.card_channel or "", incident.card_ts or "")
    assert message is not None
    return block_text(message.get("blocks"))


def sms(pager: Pager, number: str) -> int:
    return len(pager.twilio.messages(to=number))


def test_sev1_pages_through_quiet_hours_by_each_contact_method_in_order(pager: Pager) -> None:
    open_incident(pager, "sev1 database down")  # 23:00: owl is asleep, and paged all the same
    assert sms(pager, OWL) == 1 and pager.twilio.voice_calls(to=OWL) == []
    pager.desk.travel(timedelta(minutes=2, seconds=10))  # 23:02: then a call
    assert len(pager.twilio.voice_calls(to=OWL)) == 1 and sms(pager, OWL_2ND) == 0
    pager.desk.travel(timedelta(minutes=1))
    pager.desk.slack.block_action(cards.ACTION_ACK, value="1", user="U0OWL00001")
    pager.desk.drain()
    pager.desk.travel(timedelta(minutes=10))  # the second phone's SMS (at 5m) never goes
    assert sms(pager, OWL_2ND) == 0 and sms(pager, LARK) == 0


def test_sev1_second_phone_gets_its_sms_after_five_minutes(pager: Pager) -> None:
    open_incident(pager, "sev1 database down")
    pager.desk.travel(timedelta(minutes=4, seconds=50))
    assert sms(pager, OWL_2ND) == 0
    pager.desk.travel(timedelta(seconds=20))  # 23:05:10
    assert sms(pager, OWL_2ND) >= 1
    with pager.desk.rt.session() as session:
        assert session.scalars(select(DeferredPage)).all() == []  # a Sev1 is never held
    # An SMS reply from the second phone acknowledges like one from the first.
    body = pager.twilio.messages(to=OWL_2ND)[0]["body"]
    ack = body.split("Reply ")[1].split(" ")[0]
    status, answer = pager.reply(OWL_2ND, ack)
    assert "Acknowledged INC-1" in answer


def test_sev2_goes_to_whoever_is_awake_and_the_card_says_why(pager: Pager) -> None:
    open_incident(pager, "sev2 reports are slow")
    choose(pager, "L1>level:L2")
    assert sms(pager, LARK) == 1 and sms(pager, OWL) == 0
    text = card(pager)
    assert "owl (22:00–07:00 Europe/Dublin) in quiet hours, so it went to lark" in text, text


def test_sev2_to_someone_asleep_waits_until_they_wake(pager: Pager) -> None:
    open_incident(pager, "sev2 reports are slow")
    choose(pager, "L1>person:owl")  # owl holds L3 (the highest level they hold)
    assert sms(pager, OWL) == 0
    text = card(pager)
    assert "page to owl held" in text and "waits until Wed 25 Nov 07:00 UTC" in text, text
    assert "someone wakes" in text
    pager.desk.travel(timedelta(hours=7, minutes=59))  # 06:59: still asleep
    assert sms(pager, OWL) == 0
    pager.desk.travel(timedelta(minutes=1, seconds=10))  # 07:00:10: awake, paged
    assert sms(pager, OWL) == 1
    pager.desk.travel(timedelta(minutes=2, seconds=10))  # the call, two minutes on
    assert len(pager.twilio.voice_calls(to=OWL)) == 1
    with pager.desk.rt.session() as session:
        assert session.scalars(select(DeferredPage.state)).all() == ["sent"]
    assert "held" not in card(pager)


def test_sev2_outside_the_contracts_clock_waits_for_it_to_open(pager: Pager) -> None:
    # Globex: Standard, business hours 08:00-18:00 Europe/Berlin, Mon-Fri.
    open_incident(pager, "sev2 invoices fail", channel="C0GLOBEX")
    choose(pager, "L1>level:L2")
    assert sms(pager, LARK) == 0 and sms(pager, OWL) == 0
    assert "outside Globex" in card(pager) and "waits until Wed 25 Nov 08:00 CET" in card(pager)
    pager.desk.travel(timedelta(hours=7, minutes=59))  # 06:59 UTC, 07:59 in Berlin
    assert sms(pager, LARK) == 0 and sms(pager, OWL) == 0
    pager.desk.travel(timedelta(minutes=1, seconds=10))  # 08:00 in Berlin: both awake, paged
    assert sms(pager, LARK) == 1 and sms(pager, OWL) == 1
    assert deferred.run(pager.desk.rt, 1) == "stale"  # ran once; a second run does nothing


def test_a_held_page_whose_job_is_lost_shows_as_overdue_until_re_driven(pager: Pager) -> None:
    open_incident(pager, "sev2 reports are slow")
    choose(pager, "L1>person:owl")
    rt = pager.desk.rt
    assert isinstance(rt.clock, TravelClock)
    rt.clock.set(datetime(2026, 11, 25, 7, 0, tzinfo=UTC) + health.overdue_grace(rt))
    body = requests.get(pager.desk.url + "/healthz", timeout=10).json()
    assert body["overdue"] == (
        "degraded: oldest overdue: held page #1 of INC-1, due 2026-11-25 07:00:00 UTC"
    )
    pager.desk.travel(timedelta(seconds=1))  # the worker's reconciler re-drives it
    assert sms(pager, OWL) == 1
    assert requests.get(pager.desk.url + "/healthz", timeout=10).json()["overdue"] == "none"


def test_a_held_page_still_blocked_at_its_instant_is_held_again_with_the_new_reason(
    pager: Pager,
) -> None:
    open_incident(pager, "sev2 reports are slow")
    choose(pager, "L1>person:owl")
    rt = pager.desk.rt
    three = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
    with rt.session() as session:  # as if its instant had been 03:00 (owl still asleep)
        session.get_one(DeferredPage, 1).due_at = three
    assert isinstance(rt.clock, TravelClock)
    rt.clock.set(three)
    assert deferred.run(rt, 1) == "held"
    with rt.session() as session:
        rows = session.scalars(select(DeferredPage).order_by(DeferredPage.id)).all()
        assert [r.state for r in rows] == ["moved", "pending"]
        assert rows[1].due_at == datetime(2026, 11, 25, 7, 0, tzinfo=UTC)
    assert sms(pager, OWL) == 0
