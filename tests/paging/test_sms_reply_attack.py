"""SMS replies from on-call people, as a careless or unlucky engineer sends them: the code
of a page someone else already acknowledged, or two acknowledgements at the same instant.
What the bot texts back must be true, and readable on a phone (a name, not a Slack id)."""

from __future__ import annotations

import threading

from sqlalchemy import select

from supportbot.db.models import Escalation, Incident
from supportbot.desk import actions
from supportbot.incidents.access import Actor
from tests.paging.conftest import EMEA_L1, EMEA_L1_SLACK, TUESDAY_10_DUBLIN, Pager, emea_l1_on
from tests.paging.test_paging_scenarios import open_sev1


def message(body: str) -> str:
    """The text of the TwiML <Message> the bot answered with."""
    return body.split("<Message>", 1)[1].split("</Message>", 1)[0]


def test_a_code_already_acknowledged_by_someone_else_names_them_and_is_not_yours(
    pager: Pager,
) -> None:
    code = open_sev1(pager)
    primary, secondary = emea_l1_on(TUESDAY_10_DUBLIN.date())
    status, body = pager.reply(EMEA_L1[primary], code)
    assert status == 200 and "Acknowledged INC-1" in body

    status, body = pager.reply(EMEA_L1[secondary], code)

    text = message(body)
    assert status == 200
    # A Slack user id means nothing on a lock screen: the roster name does.
    assert EMEA_L1_SLACK[primary] not in text, text
    assert "Aoife Byrne" in text and "already acknowledged" in text, text
    # The acknowledgement is the primary's: the secondary is not told it is theirs.
    assert "your acknowledgement" not in text, text
    with pager.desk.rt.session() as session:
        assert session.get_one(Incident, 1).assignee == EMEA_L1_SLACK[primary]


def test_two_acknowledgements_at_once_tell_only_the_winner_it_is_theirs(pager: Pager) -> None:
    code = open_sev1(pager)
    primary, secondary = emea_l1_on(TUESDAY_10_DUBLIN.date())
    answers: dict[str, str] = {}
    start = threading.Barrier(2)

    def reply(person: str) -> None:
        start.wait()
        status, body = pager.reply(EMEA_L1[person], code)
        assert status == 200
        answers[person] = message(body)

    threads = [threading.Thread(target=reply, args=(p,)) for p in (primary, secondary)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    with pager.desk.rt.session() as session:
        acked_by = session.scalars(select(Escalation.acked_by)).one()
    winner = next(p for p in (primary, secondary) if EMEA_L1_SLACK[p] == acked_by)
    loser = secondary if winner == primary else primary
    assert answers[winner].startswith("Acknowledged INC-1"), answers
    # Whichever order the two requests read the episode in, the loser hears who holds it.
    assert "your acknowledgement" not in answers[loser], answers
    assert "already acknowledged by" in answers[loser], answers
    assert "Acknowledged INC-1" not in answers[loser], answers


def test_a_late_code_for_a_resolved_incident_changes_nothing_and_says_resolved(
    pager: Pager,
) -> None:
    """A staff member resolves the Sev1 from Slack before the engineer, woken by the page,
    finds the SMS and replies to it. A finished incident changes only by being reopened: the
    late code must not make the engineer its assignee, and the answer says it is resolved
    (not "acknowledged", and not by a Slack id)."""
    code = open_sev1(pager)
    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())
    actions.resolve(pager.desk.rt, 1, Actor.staff_member("U0STAFF001"), "failed over")
    pager.desk.drain()
    with pager.desk.rt.session() as session:
        before = session.execute(
            select(Incident.status, Incident.assignee, Incident.version, Incident.first_response_at)
        ).one()
    assert before.status == "resolved" and before.assignee is None

    status, body = pager.reply(EMEA_L1[primary], code)

    text = message(body)
    assert status == 200
    assert "resolved" in text and "Acknowledged" not in text, text
    assert "U0STAFF001" not in text, text
    with pager.desk.rt.session() as session:
        after = session.execute(
            select(Incident.status, Incident.assignee, Incident.version, Incident.first_response_at)
        ).one()
    assert after == before
    call = pager.twilio.voice_calls(to=EMEA_L1[primary])[0]
    prompt = pager.twilio.answer_call(call["sid"])[0].text
    assert "has already been resolved" in prompt, prompt
