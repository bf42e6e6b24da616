"""CSAT: a customer incident is resolved, its shared thread gets the 1–5 question once, the
customer's side answers once (staff and other organisations cannot), a comment follows once,
and the SLA report shows the mean and the share of 4–5."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from supportbot.clock import TravelClock
from supportbot.csat.answers import CUSTOMER_ONLY, UNREADABLE
from supportbot.csat.blocks import ACTION_COMMENT, CALLBACK_COMMENT
from supportbot.db.reporting import CsatSurvey
from supportbot.desk import actions
from supportbot.incidents.access import Actor
from supportbot.reports.figures import grouped
from supportbot.reports.load import load_records
from supportbot.reports.records import parse_month
from tests.conftest import Desk
from tests.support.records import (
    ACME_ALICE,
    ACME_BOB,
    ACME_CHANNEL,
    ACME_TEAM,
    GLOBEX_HANS,
    ephemerals,
    incident,
    timeline,
)
from tests.support.slack_requests import STAFF

STAFF_ACTOR = Actor.staff_member(STAFF)
ALICE = {"user": ACME_ALICE, "user_team": ACME_TEAM, "channel": ACME_CHANNEL}


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(datetime(2026, 3, 10, 14, 0, tzinfo=UTC))


def questions(desk: Desk) -> list[dict]:  # type: ignore[type-arg]
    return [
        m for m in desk.api.messages(channel=ACME_CHANNEL)
        if m["method"] == "chat.postMessage" and "How did we do?" in m["text"]
    ]  # fmt: skip


def survey(desk: Desk) -> CsatSurvey:
    with desk.rt.session() as session:
        (row,) = session.scalars(select(CsatSurvey))
        return row


def press(desk: Desk, action: str, value: str, **who: str) -> None:
    response = desk.slack.block_action(action, value=value, **who)  # type: ignore[arg-type]
    assert response.status_code == 200
    desk.drain()


@pytest.fixture
def resolved(desk: Desk) -> Desk:
    """Alice raised a request in Acme's channel; staff resolved it; the worker ran."""
    desk.slack.command("sev3 exports are slow", **ALICE)
    desk.drain()
    actions.acknowledge(desk.rt, 1, STAFF_ACTOR)
    actions.resolve(desk.rt, 1, STAFF_ACTOR, "index rebuilt")
    desk.drain()
    return desk


# long: one scenario, read top to bottom
def test_the_question_is_asked_once_and_only_the_customer_answers_once(resolved: Desk) -> None:
    desk = resolved
    (asked,) = questions(desk)
    assert asked["thread_ts"] == incident(desk.rt, 1).customer_thread_ts
    buttons = [e for b in asked["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["value"] for b in buttons] == [f"1:{n}" for n in (1, 2, 3, 4, 5)]

    press(desk, "csat_rate_5", "1:5")  # staff, in the triage channel
    press(desk, "csat_rate_1", "1:1", user=GLOBEX_HANS, channel=ACME_CHANNEL)  # another org
    assert ephemerals(desk.api)[-2:] == [":no_entry: Only the customer can rate this request; "
                                         "thank you."] * 2  # fmt: skip
    assert survey(desk).score is None

    press(desk, "csat_rate_4", "1:4", **ALICE)
    assert ephemerals(desk.api)[-1] == "Thank you for rating us 4/5."
    row = survey(desk)
    assert (row.score, row.rated_by) == (4, ACME_ALICE)
    shown = desk.api.message(ACME_CHANNEL, asked["ts"])
    assert shown is not None and f"<@{ACME_ALICE}> rated INC-1 4/5" in shown["text"]
    press(desk, "csat_rate_1", "1:1", user=ACME_BOB, user_team=ACME_TEAM, channel=ACME_CHANNEL)
    assert "already rated" in ephemerals(desk.api)[-1] and survey(desk).score == 4
    assert [e.kind for e in timeline(desk.rt, 1)].count("csat") == 1

    # The comment: only Alice, who rated; once.
    press(desk, ACTION_COMMENT, "1", user=ACME_BOB, user_team=ACME_TEAM, channel=ACME_CHANNEL)
    assert "whoever gave the rating" in ephemerals(desk.api)[-1]
    press(desk, ACTION_COMMENT, "1", **ALICE)
    (form,) = desk.api.calls("views.open")
    view = form.params["view"]
    meta = json.loads((json.loads(view) if isinstance(view, str) else view)["private_metadata"])
    assert meta == {"channel": ACME_CHANNEL, "survey": "1"}
    submit = {"user": ACME_ALICE, "user_team": ACME_TEAM, "private_metadata": json.dumps(meta)}
    done = desk.slack.view_submission(CALLBACK_COMMENT, {"comment": "quick <!here> fix"}, **submit)
    assert done.status_code == 200 and done.text in ("", "null")
    desk.drain()
    assert survey(desk).comment == "quick <!here> fix"
    comment = [e for e in timeline(desk.rt, 1) if e.kind == "csat_comment"][0]
    assert "&lt;!here&gt;" in comment.text and comment.visibility == "internal"
    again = desk.slack.view_submission(CALLBACK_COMMENT, {"comment": "more"}, **submit)
    assert again.json()["errors"]["comment"] == "A comment was already sent; thank you."
    shown = desk.api.message(ACME_CHANNEL, asked["ts"])
    assert shown is not None and "Comment received" in json.dumps(shown["blocks"])

    # Reopened and resolved again: still one question.
    actions.reopen(desk.rt, 1, STAFF_ACTOR)
    actions.resolve(desk.rt, 1, STAFF_ACTOR, "really fixed")
    desk.drain()
    assert len(questions(desk)) == 1

    with desk.rt.session() as session:
        records = load_records(session, desk.rt.contracts, parse_month("2026-03"))
    acme = grouped(records, parse_month("2026-03"), desk.rt.now())[("customer", "acme")]
    assert acme.csat_scores == (4,) and acme.csat_mean == 4 and acme.csat_top_share == 1


@pytest.mark.parametrize("value", ["1:9", "1:", "x:4", "1:4:4", ""])  # 99:4: next test
def test_a_forged_rating_is_refused_and_stores_nothing(resolved: Desk, value: str) -> None:
    press(resolved, "csat_rate_4", value, **ALICE)
    assert "could not be read" in ephemerals(resolved.api)[-1]
    assert survey(resolved).score is None


def test_an_internal_incident_is_never_asked(desk: Desk) -> None:
    desk.slack.command("sev3 internal thing")
    desk.drain()
    actions.resolve(desk.rt, 1, STAFF_ACTOR, "done")
    desk.drain()
    with desk.rt.session() as session:
        assert list(session.scalars(select(CsatSurvey))) == []


def test_a_lost_question_is_asked_by_the_reconciler(resolved: Desk) -> None:
    """Redis lost the job: the row is still unasked, and the reconciler queues it again."""
    desk = resolved
    with desk.rt.session() as session:
        row = session.scalars(select(CsatSurvey)).one()
        row.asked_at, row.message_ts = None, None
    desk.travel(timedelta(seconds=30))
    assert len(questions(desk)) == 2 and survey(desk).asked_at is not None


def test_a_forged_survey_id_is_answered_as_another_organisations_survey(resolved: Desk) -> None:
    """Hans (Globex) forging presses: Acme's survey and a survey that does not exist get the
    same answer, so the answers do not tell which survey ids exist."""
    desk = resolved
    assert len(questions(desk)) == 1
    hans = {"user": GLOBEX_HANS, "channel": ACME_CHANNEL}
    press(desk, "csat_rate_1", "1:1", **hans)  # Acme's
    press(desk, "csat_rate_1", "99:1", **hans)  # nobody's
    press(desk, ACTION_COMMENT, "99", **hans)
    press(desk, "csat_rate_4", "99:4", **ALICE)  # nobody's, by Acme's own contact
    assert ephemerals(desk.api)[-4:] == [":no_entry: " + CUSTOMER_ONLY] * 4
    press(desk, "csat_rate_1", "x:1", **hans)  # not a survey id at all
    assert ephemerals(desk.api)[-1] == ":no_entry: " + UNREADABLE
    assert survey(desk).score is None
