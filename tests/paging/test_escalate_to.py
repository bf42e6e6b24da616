"""Escalate to a chosen level or person, as scripts: the choice is recorded and paged at once.

Tuesday 24 November 2026, 10:00 in Dublin: EMEA holds every level; Americas (04:00 in
Austin) is off shift.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from supportbot.clock import TravelClock
from supportbot.db.models import Incident, Page, TimelineEvent
from supportbot.slack import cards
from tests.paging.conftest import EMEA_L1, TUESDAY_10_DUBLIN, Pager, emea_l1_on
from tests.support.records import dump

ACME = "C0ACMESHARED"
EMEA_L3 = {"fionn": "+353855550106", "greta": "+353855550107"}
MANAGEMENT = {"morgan": "+15125550190", "niamh": "+353855550190"}


def emea_l3_on(day: date) -> tuple[str, str]:
    """(primary, secondary): weekly from Monday 2025-01-06, by plain arithmetic."""
    index = (day - date(2025, 1, 6)).days // 7 % 2
    names = list(EMEA_L3)
    return names[index], names[1 - index]


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(TUESDAY_10_DUBLIN)


def open_sev1(pager: Pager) -> None:
    assert pager.desk.slack.command("sev1 checkout down", channel=ACME).status_code == 200
    pager.desk.drain()


def choose(pager: Pager, value: str, user: str = "U0STAFF001") -> None:
    response = pager.desk.slack.block_action(
        cards.ACTION_ESCALATE_TO, block_id="incident-1", selected=value, user=user
    )
    assert response.status_code == 200
    pager.desk.drain()


def card_select(pager: Pager) -> dict[str, Any]:
    with pager.desk.rt.session() as session:
        incident = session.get_one(Incident, 1)
        message = pager.desk.api.message(incident.card_channel or "", incident.card_ts or "")
    assert message is not None
    for block in message["blocks"]:
        for element in block.get("elements", []):
            if element.get("action_id") == cards.ACTION_ESCALATE_TO:
                return dict(element)
    raise AssertionError("no Escalate to… control on the card")


def refusals(pager: Pager) -> list[str]:
    return [r.get("text", "") for r in pager.desk.api.responses()]


def test_the_card_offers_levels_and_people_on_call_and_pages_the_chosen_person(
    pager: Pager,
) -> None:
    open_sev1(pager)
    select_ = card_select(pager)
    groups = {g["label"]["text"]: g["options"] for g in select_["option_groups"]}
    levels = [o["text"]["text"] for o in groups["Levels"]]
    assert levels == ["Next: L2", "L3", "management"]
    people = {o["value"] for o in groups["On call now"]}
    l1, l1b = emea_l1_on(TUESDAY_10_DUBLIN.date())
    l3, _ = emea_l3_on(TUESDAY_10_DUBLIN.date())
    assert {f"L1>person:{l1}", f"L1>person:{l1b}", f"L1>person:{l3}"} <= people
    assert "L1>person:ana" not in people  # Austin is asleep and off shift

    before = len(pager.twilio.messages())
    choose(pager, f"L1>person:{l3}")
    sms = pager.twilio.messages(to=EMEA_L3[l3])
    assert len(sms) == 1 and "INC-1" in sms[0]["body"] and "Reply" in sms[0]["body"]
    assert len(pager.twilio.voice_calls(to=EMEA_L3[l3])) == 1
    assert len(pager.twilio.messages()) == before + 1
    with pager.desk.rt.session() as session:
        assert session.get_one(Incident, 1).level == "L3"
        texts = list(session.scalars(select(TimelineEvent.text)))
    assert any("<@U0STAFF001> escalated to" in t and "L3 primary" in t for t in texts), texts
    # The card now offers only what is above L3.
    levels = [o["text"]["text"] for o in card_select(pager)["option_groups"][0]["options"]]
    assert levels == ["Next: management"]


def test_escalating_to_a_level_pages_everyone_holding_it(pager: Pager) -> None:
    open_sev1(pager)
    choose(pager, "L1>level:MGMT")
    for number in MANAGEMENT.values():
        assert len(pager.twilio.messages(to=number)) == 1
    with pager.desk.rt.session() as session:
        assert session.get_one(Incident, 1).level == "MGMT"
        paged = set(session.scalars(select(Page.person).where(Page.step_index == -1)))
    assert paged == set(MANAGEMENT)


@pytest.mark.parametrize(
    ("value", "refusal"),
    [
        ("L1>person:ana", "Ana Alvarez is not on call now, so they are not paged"),
        ("L1>person:nobody", "`nobody` is not in the rotation files"),
        ("L1>level:L9", "`L9` is not a level"),
        ("L1>level:L1", "it is already at L1"),
        ("L1>banana", "is not a level or a person"),
        ("L2>level:L3", "has already moved on"),  # a card older than the last escalation
        ("", "is not a level or a person"),
    ],
)
def test_bad_choices_are_refused_with_the_reason_and_change_nothing(
    pager: Pager, value: str, refusal: str
) -> None:
    open_sev1(pager)
    before = dump(pager.desk.rt)
    sent = len(pager.twilio.messages())
    choose(pager, value)
    assert any(refusal in t for t in refusals(pager)), refusals(pager)
    assert dump(pager.desk.rt) == before
    assert len(pager.twilio.messages()) == sent


def test_a_customer_cannot_escalate_and_a_resolved_incident_is_refused(pager: Pager) -> None:
    open_sev1(pager)
    before = dump(pager.desk.rt)
    choose(pager, "L1>level:L2", user="U0ACMEALICE")
    assert dump(pager.desk.rt) == before and refusals(pager)
    pager.desk.rt.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    with pager.desk.rt.session() as session:
        session.get_one(Incident, 1).status = "resolved"
    choose(pager, "L1>level:L2")
    assert any("is resolved; reopen it first" in t for t in refusals(pager)), refusals(pager)
    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())
    assert [m["to"] for m in pager.twilio.messages()] == [EMEA_L1[primary]]
