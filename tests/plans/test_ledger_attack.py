"""Attacks on the plans ledger at the desk: a held request whose status moved on before its
approval, and other edges of the README's charging rules."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from sqlalchemy import select

from supportbot.db.ledger import LedgerEntry, TaskEstimate
from supportbot.desk import actions, tasks
from supportbot.incidents.access import Actor, Role
from supportbot.incidents.find import IncidentError
from tests.conftest import Desk
from tests.plans.conftest import INITECH_CHANNEL, INITECH_PETER
from tests.support.records import ACME_ALICE, ACME_BOB, ACME_CHANNEL, answer, incident, timeline
from tests.support.slack_requests import STAFF


def say(desk: Desk, text: str, **kwargs: str) -> str:
    return answer(desk.slack.command(text, **kwargs))


def use_up_the_pack(desk: Desk) -> None:
    """1 turnover + 6 (a 2 h 40 min appointment) + 3 (70 min) = the 10 incidents bought."""
    say(desk, "sev3 printers offline", channel=INITECH_CHANNEL, user=INITECH_PETER)
    say(desk, "appointment INC-1 2h40m")
    assert say(desk, "appointment INC-1 70m").endswith("Pack: 0 of 10 left")


def overage(desk: Desk) -> list[tuple[int, int, Decimal | None]]:
    with desk.rt.session() as session:
        rows = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "overage"))
        return [(e.incident_id or 0, e.quantity, e.amount) for e in rows]


@pytest.mark.parametrize("policy", ["hold"])
def test_a_held_request_resumed_by_staff_can_still_be_approved(desk: Desk) -> None:
    """Staff moved a held request back to investigating (or the customer's reply did); the
    contact's `/incident approve` then failed with "cannot move from investigating to
    investigating", so the request could never be approved, billed or have time logged."""
    use_up_the_pack(desk)
    say(desk, "sev3 scanner jams", channel=INITECH_CHANNEL, user=INITECH_PETER)
    actions.resume(desk.rt, 2, Actor.staff_member(STAFF))
    assert incident(desk.rt, 2).status == "investigating"

    said = say(desk, "approve INC-2", channel=INITECH_CHANNEL, user=INITECH_PETER)
    assert said == "Approved: INC-2 is being worked."
    assert overage(desk) == [(2, 1, Decimal("200.00"))]
    assert say(desk, "time INC-2 30m").startswith("Logged 0.5 h on INC-2")


@pytest.mark.parametrize("policy", ["hold"])
def test_a_held_request_raised_to_sev1_is_worked_at_once_and_billed(desk: Desk) -> None:
    """ "A Severity 1 is never held": a held Sev3 that became site down (raised to Sev1)
    stayed waiting on the customer, its clocks paused and every time log refused until a
    contact approved the extra charge."""
    use_up_the_pack(desk)
    say(desk, "sev3 scanner jams", channel=INITECH_CHANNEL, user=INITECH_PETER)
    actions.set_severity(desk.rt, 2, Actor.staff_member(STAFF), 1)

    assert incident(desk.rt, 2).status != "waiting_on_customer"
    assert overage(desk) == [(2, 1, Decimal("200.00"))]
    assert say(desk, "time INC-2 30m").startswith("Logged 0.5 h on INC-2")


def test_an_approval_and_a_decline_of_one_estimate_at_once_decide_it_once(desk: Desk) -> None:
    """Alice approves while Bob declines the same estimate, from two threads: one answer
    wins, the other is told which, and the task has one state on its timeline."""
    say(desk, "sev4 upgrade the search cluster", channel=ACME_CHANNEL, user=ACME_ALICE)
    say(desk, "estimate INC-1 6h upgrade and reindex")
    alice = Actor(ACME_ALICE, Role.CONTACT, "acme")
    bob = Actor(ACME_BOB, Role.CONTACT, "acme")
    start = threading.Barrier(2)

    def answer_it(who: Actor, approve: bool) -> str:
        start.wait()
        try:
            return tasks.decide(desk.rt, 1, who, approve=approve).text
        except IncidentError as exc:
            return str(exc)

    with ThreadPoolExecutor(2) as pool:
        said = list(pool.map(answer_it, (alice, bob), (True, False)))
    won = [s for s in said if s.startswith("You ")]
    lost = [s for s in said if s.startswith("That estimate was already ")]
    assert len(won) == 1 and len(lost) == 1, said
    with desk.rt.session() as session:
        [task] = session.scalars(select(TaskEstimate)).all()
        state = task.state
    assert lost[0] == f"That estimate was already {state}"
    decided = [e.kind for e in timeline(desk.rt, 1) if e.kind.startswith("estimate_")]
    assert decided == [f"estimate_{state}"]
