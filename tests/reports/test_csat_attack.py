"""Attacks on CSAT: the question owed at a resolution, reached by the worker only after the
incident was reopened (a busy queue, a lost job re-driven later), must not tell the customer
"INC-1 is resolved. How did we do?" while the incident is open again; it is asked once the
incident is resolved again, and still once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from supportbot.clock import TravelClock
from supportbot.db.reporting import CsatSurvey
from supportbot.desk import actions
from supportbot.incidents.access import Actor
from tests.conftest import Desk
from tests.support.records import ACME_ALICE, ACME_CHANNEL, ACME_TEAM, incident
from tests.support.slack_requests import STAFF

STAFF_ACTOR = Actor.staff_member(STAFF)
ALICE = {"user": ACME_ALICE, "user_team": ACME_TEAM, "channel": ACME_CHANNEL}


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(datetime(2026, 3, 10, 14, 0, tzinfo=UTC))


def _questions(desk: Desk) -> list[str]:
    return [
        m["text"] for m in desk.api.messages(channel=ACME_CHANNEL)
        if m["method"] == "chat.postMessage" and "How did we do?" in m["text"]
    ]  # fmt: skip


def test_a_question_reached_after_a_reopening_waits_for_the_next_resolution(desk: Desk) -> None:
    desk.slack.command("sev3 exports are slow", **ALICE)
    desk.drain()
    actions.acknowledge(desk.rt, 1, STAFF_ACTOR)
    actions.resolve(desk.rt, 1, STAFF_ACTOR, "index rebuilt")
    # The worker is behind: the incident is reopened before the question's job runs.
    actions.reopen(desk.rt, 1, STAFF_ACTOR, "still slow")
    desk.drain()
    assert incident(desk.rt, 1).status == "investigating"
    assert _questions(desk) == []  # nobody is asked to rate an incident that is open again

    actions.resolve(desk.rt, 1, STAFF_ACTOR, "really fixed")
    desk.drain()
    assert len(_questions(desk)) == 1
    with desk.rt.session() as session:
        (row,) = session.scalars(select(CsatSurvey))
        assert row.asked_at is not None
