"""``/incident handover``, as scripts: assigned, paged for a Severity 1, the note in the thread."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from supportbot.clock import TravelClock
from supportbot.db.attention import AckWatch
from supportbot.db.models import Incident, Page
from supportbot.slack import cards
from tests.paging.conftest import EMEA_L1, EMEA_L1_SLACK, TUESDAY_10_DUBLIN, Pager
from tests.support.records import dump

ACME = "C0ACMESHARED"
BRAM = EMEA_L1_SLACK["bram"]


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(TUESDAY_10_DUBLIN)


def command(pager: Pager, text: str, user: str = "U0STAFF001", channel: str = "C0TRIAGE01") -> str:
    response = pager.desk.slack.command(text, user=user, channel=channel)
    assert response.status_code == 200, response.text
    pager.desk.drain()
    # Bolt answers a text-only ack as plain text, anything richer as JSON.
    if response.headers.get("content-type", "").startswith("application/json"):
        return str(response.json().get("text", ""))
    return response.text


def open_acknowledged(pager: Pager, severity: int) -> None:
    command(pager, f"sev{severity} checkout down", channel=ACME)
    pager.desk.slack.block_action(cards.ACTION_ACK, value="1")
    pager.desk.drain()


def triage_thread(pager: Pager) -> list[str]:
    with pager.desk.rt.session() as session:
        ts = session.get_one(Incident, 1).card_ts
    return [m.get("text", "") for m in pager.desk.api.messages("C0TRIAGE01", thread_ts=ts)]


def test_sev1_handover_assigns_pages_and_posts_the_note(pager: Pager) -> None:
    open_acknowledged(pager, 1)
    sent_before = len(pager.twilio.messages(to=EMEA_L1["bram"]))
    answer = command(pager, f"handover INC-1 <@{BRAM}|bram> DB failover done, watch the replicas")
    assert answer == f"Handed INC-1 over to <@{BRAM}>."
    with pager.desk.rt.session() as session:
        assert session.get_one(Incident, 1).assignee == BRAM
        # The acknowledgement's watch follows the incident to its new owner.
        assert session.scalars(select(AckWatch.owner)).one() == BRAM
        pages = session.scalars(select(Page).where(Page.person == "bram")).all()
    assert {p.channel for p in pages} >= {"sms", "voice"}
    assert len(pager.twilio.messages(to=EMEA_L1["bram"])) == sent_before + 1
    thread = triage_thread(pager)
    assert any("handed INC-1 over to" in t and "DB failover done" in t for t in thread), thread
    assert any("(handover)" in t for t in thread)
    dm = [m.get("text", "") for m in pager.desk.api.messages(channel=BRAM)]
    assert dm and "handed INC-1 over to you: DB failover done" in dm[-1]


def test_sev2_handover_by_rotation_key_is_a_dm_not_a_page(pager: Pager) -> None:
    open_acknowledged(pager, 2)
    assert command(pager, "handover INC-1 @bram") == f"Handed INC-1 over to <@{BRAM}>."
    assert pager.twilio.messages() == []
    assert [m.get("text", "") for m in pager.desk.api.messages(channel=BRAM)]


@pytest.mark.parametrize(
    ("text", "user", "refusal"),
    [
        ("handover INC-1 <@U0STAFF001>", "U0STAFF001", "cannot hand an incident over to yourself"),
        ("handover INC-1 @nobody", "U0STAFF001", "I don't know `@nobody`"),
        ("handover INC-1 <@U0STRANGER1|x>", "U0STAFF001", "I don't know <@U0STRANGER1> as staff"),
        ("handover INC-1 <@U0ACMEALICE>", "U0STAFF001", "on the customer's side"),
        ("handover INC-1", "U0STAFF001", "needs an incident id and a person"),
        ("handover INC-99 @bram", "U0STAFF001", "INC-99"),
        ("handover INC-1 @bram", "U0ACMEALICE", "Handovers are for the support team"),
        ("handover INC-1 <@U0STAFF001>", "U0ACMEALICE", "Handovers are for the support team"),
    ],
)
def test_bad_handovers_are_refused_and_change_nothing(
    pager: Pager, text: str, user: str, refusal: str
) -> None:
    open_acknowledged(pager, 1)
    before = dump(pager.desk.rt, receipts=False)
    sent = len(pager.twilio.messages())
    answer = command(pager, text, user=user)
    assert refusal in answer, answer
    assert dump(pager.desk.rt, receipts=False) == before
    assert len(pager.twilio.messages()) == sent


def test_a_resolved_or_closed_incident_is_not_handed_over(pager: Pager) -> None:
    open_acknowledged(pager, 2)
    with pager.desk.rt.session() as session:
        session.get_one(Incident, 1).status = "closed"
    before = dump(pager.desk.rt, receipts=False)
    answer = command(pager, "handover INC-1 @bram taking over")
    assert "INC-1 is closed: there is nothing to hand over" in answer
    assert dump(pager.desk.rt, receipts=False) == before
