"""Keypress 2 ("escalate now") where the policy has no step left: the engineer on the phone
must not be told someone else is being paged when nobody is.

The short policy pages L1 (Una) at once and L2 (Lars) a minute later, with no repeat.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from supportbot.db.models import Escalation, Incident
from supportbot.slack import cards
from tests.paging.conftest import TUESDAY_10_DUBLIN, Pager
from tests.paging.test_escalate_to import EMEA_L3, choose, emea_l3_on
from tests.paging.test_escalate_to import open_sev1 as open_escalate_to_sev1
from tests.paging.test_outage import LARS, SHORT_POLICY, T0, UNA, open_sev1, travel_until


def press(pager: Pager, number: str, digits: str) -> str:
    """Answer the latest call to ``number`` and press ``digits``; what the call said last."""
    call = pager.twilio.voice_calls(to=number)[-1]
    exchanges = pager.twilio.answer_call(call["sid"], digits)
    assert all(e.status == 200 for e in exchanges), exchanges
    return exchanges[-1].text


@pytest.mark.parametrize("rotation_yaml", [SHORT_POLICY])
def test_pressing_two_on_the_last_step_does_not_promise_a_next_step(pager: Pager) -> None:
    open_sev1(pager, "checkout down for everyone")
    travel_until(pager, T0 + timedelta(seconds=65))  # step 2 (the last) paged Lars

    said = press(pager, LARS, "2")

    assert "Escalating now" not in said, said
    assert "no further step" in said and "still open" in said, said
    pager.desk.travel(timedelta(seconds=5))
    timeline = [m.get("text", "") for m in pager.desk.api.messages()]
    assert not any("asked to escalate now" in t for t in timeline), timeline
    with pager.desk.rt.session() as session:
        # Nothing moved: the episode waits out its last step as before.
        assert session.scalars(select(Escalation.state)).one() == "active"


@pytest.mark.parametrize("rotation_yaml", [SHORT_POLICY])
def test_pressing_two_on_an_exhausted_episode_does_not_say_paging_stopped(pager: Pager) -> None:
    open_sev1(pager, "checkout down for everyone")
    travel_until(pager, T0 + timedelta(minutes=3))  # the policy ran out: nobody acknowledged
    with pager.desk.rt.session() as session:
        assert session.scalars(select(Escalation.state)).one() == "exhausted"
        assert session.get_one(Incident, 1).status == "open"

    said = press(pager, UNA, "2")

    # The incident is unacknowledged and its pages are still owed: "paging has already
    # stopped" would send the engineer back to sleep believing someone took it.
    assert "stopped" not in said, said
    assert "no further step" in said and "still open" in said, said


def test_a_call_paged_by_hand_offers_no_key_it_cannot_take(pager: Pager) -> None:
    """A page chosen by hand ("Escalate to…") after the episode was acknowledged belongs to
    no paging episode: its SMS carries no code, and its call has no <Gather>. The call must
    not tell the engineer to press 1 to acknowledge, then hang up on the key."""
    open_escalate_to_sev1(pager)
    pager.desk.slack.block_action(cards.ACTION_ACK, value="1")
    pager.desk.drain()
    l3, _ = emea_l3_on(TUESDAY_10_DUBLIN.date())
    choose(pager, f"L1>person:{l3}")
    [sms] = pager.twilio.messages(to=EMEA_L3[l3])
    assert "to acknowledge" not in sms["body"]
    [call] = pager.twilio.voice_calls(to=EMEA_L3[l3])

    [prompt] = pager.twilio.answer_call(call["sid"])

    assert prompt.status == 200
    assert "incident 1: checkout down" in prompt.text
    assert "<Gather" not in prompt.text
    assert "Press 1" not in prompt.text and "Press 2" not in prompt.text, prompt.text
