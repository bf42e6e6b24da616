"""Attacks on work against a plan at the desk: a contact approving an estimate with
`/incident approve`, and a timer stopped by a process whose clock is a little behind."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from supportbot.db.ledger import LedgerEntry, TaskEstimate, WorkTimer
from supportbot.slack.plan_blocks import ACTION_ESTIMATE_DECLINE
from tests.conftest import Desk
from tests.plans.conftest import WONKA_CHANNEL, WONKA_WILLY
from tests.support.records import (
    ACME_ALICE,
    ACME_BOB,
    ACME_CHANNEL,
    GLOBEX_CHANNEL,
    GLOBEX_HANS,
    dump,
    say,
    timeline,
)


def test_a_contact_approves_an_estimate_with_the_command_their_help_names(desk: Desk) -> None:
    """A contact's `/incident help` says `/incident approve INC-42` "approves an estimate or
    a request held for an extra charge"; for an estimate it answered "INC-1 is not waiting
    for an approval", so a contact whose direct message was lost could never approve it."""
    say(desk, "sev4 upgrade the search cluster", channel=ACME_CHANNEL, user=ACME_ALICE)
    assert "approves an estimate" in say(desk, "help", channel=ACME_CHANNEL, user=ACME_ALICE)
    say(desk, "estimate INC-1 6h upgrade and reindex")

    said = say(desk, "approve INC-1", channel=ACME_CHANNEL, user=ACME_ALICE)
    assert said == "You approved the estimate of 6 h on INC-1."
    with desk.rt.session() as session:
        [task] = session.scalars(select(TaskEstimate)).all()
        assert (task.state, task.decided_by) == ("approved", ACME_ALICE)
    assert [e.kind for e in timeline(desk.rt, 1)].count("estimate_approved") == 1
    assert say(desk, "time INC-1 50m reindexed").startswith("Logged 50 min on INC-1")

    # Once only: the second contact is told there is nothing left to approve.
    before = dump(desk.rt)
    again = say(desk, "approve INC-1", channel=ACME_CHANNEL, user=ACME_BOB)
    assert again == ":warning: INC-1 is not waiting for an approval"
    assert dump(desk.rt) == before


def test_approve_after_a_decline_approves_the_new_estimate_only(desk: Desk) -> None:
    say(desk, "sev4 a task", channel=WONKA_CHANNEL, user=WONKA_WILLY)
    say(desk, "estimate INC-1 2h")
    desk.slack.block_action(ACTION_ESTIMATE_DECLINE, value="1", user=WONKA_WILLY,
                            channel=WONKA_WILLY)  # fmt: skip
    desk.settle()
    say(desk, "estimate INC-1 3h the smaller job")
    assert "Only a designated contact" in say(desk, "approve INC-1")  # staff cannot
    said = say(desk, "approve INC-1", channel=WONKA_CHANNEL, user=WONKA_WILLY)
    assert said == "You approved the estimate of 3 h on INC-1."
    with desk.rt.session() as session:
        states = [t.state for t in session.scalars(select(TaskEstimate).order_by(TaskEstimate.id))]
    assert states == ["declined", "approved"]


def test_a_timer_stopped_by_a_process_whose_clock_is_behind_logs_a_minute(desk: Desk) -> None:
    """Started on one process, stopped a moment later on another whose clock runs a few
    seconds behind: the stop answered 500 (ValueError: a timer cannot run -5.0 s) and the
    timer stayed running."""
    say(desk, "sev3 slow reports", channel=GLOBEX_CHANNEL, user=GLOBEX_HANS)
    assert say(desk, "timer start INC-1") == "Timer started."
    desk.rt.clock.advance(timedelta(seconds=-5))  # type: ignore[attr-defined]

    said = say(desk, "timer stop INC-1")
    assert said.startswith("Logged 1 min on INC-1: timer"), said
    with desk.rt.session() as session:
        assert session.scalars(select(WorkTimer)).all() == []
        [log] = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "time")).all()
        assert log.minutes == 1
