"""Openings that arrive together share one transaction, and each is stored exactly once.

The group commit (``supportbot.delivery.group``) is driven here with the real openings
(``intake.store_openings``) on the real database and Redis; a gate on the first batch holds
the committing thread so that the next callers are certain to queue up behind it.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from supportbot.db.models import InboundReceipt, Incident, TimelineEvent
from supportbot.delivery.group import GroupCommit
from supportbot.desk import intake
from supportbot.desk.intake import Opening
from supportbot.runtime import Runtime
from tests.conftest import Desk
from tests.delivery.test_dispatcher import queued_syncs


def opening(rt: Runtime, title: str, receipt: str | None = None) -> Opening:
    incident, suggested = intake.new_incident(
        rt, title=title, severity=3, reporter="U0STAFF001", customer=None
    )
    return Opening(incident, None, "/incident", suggested, receipt)


class Gated:
    """``store_openings`` whose first call waits for ``gate``; records each batch's titles."""

    def __init__(self, rt: Runtime) -> None:
        self.rt, self.gate, self.entered = rt, threading.Event(), threading.Event()
        self.batches: list[list[str]] = []

    def __call__(self, session: Session, items: list[Opening]) -> list[None]:
        if not self.batches:
            self.entered.set()
            assert self.gate.wait(10)
        self.batches.append([o.incident.title for o in items])
        return intake.store_openings(session, self.rt, items)


def run_all(gated: Gated, group: GroupCommit[Opening, None], items: list[Opening]) -> list[object]:
    """Each item from its own thread: the first alone, held in the committer until all the
    others are waiting behind it; then the gate opens. Returns each caller's exception or
    None."""

    def one(item: Opening) -> BaseException | None:
        try:
            group.run(item)
        except BaseException as exc:  # noqa: BLE001 - the outcome is what the test reads
            return exc
        return None

    with ThreadPoolExecutor(len(items)) as pool:
        first = pool.submit(one, items[0])
        assert gated.entered.wait(10)
        rest = [pool.submit(one, item) for item in items[1:]]
        while len(group._queue) < len(rest):  # noqa: SLF001 - the test's view of the queue
            threading.Event().wait(0.005)
        gated.gate.set()
        return [first.result(10)] + [f.result(10) for f in rest]


def commits(rt: Runtime) -> list[int]:
    counted: list[int] = []
    event.listen(rt.engine, "commit", lambda conn: counted.append(1))
    return counted


def test_a_burst_of_openings_is_committed_together_each_once(rt: Runtime) -> None:
    gated = Gated(rt)
    group = GroupCommit(rt.session, gated)
    items = [opening(rt, f"burst {i}") for i in range(12)]
    counted = commits(rt)

    outcomes = run_all(gated, group, items)

    assert outcomes == [None] * 12
    assert gated.batches == [["burst 0"], [f"burst {i}" for i in range(1, 12)]]
    assert len(counted) == 2  # two transactions for twelve openings
    ids = [o.incident.id for o in items]
    assert len(set(ids)) == 12 and None not in ids
    with rt.session() as session:
        stored = dict(session.execute(select(Incident.id, Incident.title)).all())
        opened = session.scalars(
            select(TimelineEvent.incident_id).where(TimelineEvent.kind == "opened")
        ).all()
    assert stored == {o.incident.id: o.incident.title for o in items}
    assert sorted(opened) == sorted(ids)  # each opening's event, on its own incident
    rt.dispatcher.flush()
    assert sorted(queued_syncs(rt)) == sorted(ids)  # each card owed once stored


def test_a_bad_opening_fails_alone_and_the_rest_are_stored_once(rt: Runtime) -> None:
    """A receipt seen before raises inside the shared transaction: it is rolled back, and
    each opening is stored again on its own, so only the repeated delivery fails."""
    gated = Gated(rt)
    group = GroupCommit(rt.session, gated)
    items = [
        opening(rt, "first", receipt="delivery-1"),
        opening(rt, "second", receipt="delivery-2"),
        opening(rt, "again", receipt="delivery-1"),  # Slack's retry of the first delivery
        opening(rt, "third", receipt="delivery-3"),
    ]

    outcomes = run_all(gated, group, items)

    assert [type(o) if o else None for o in outcomes] == [None, None, IntegrityError, None]
    # The shared attempt, rolled back, then each of its openings on its own.
    assert gated.batches == [
        ["first"],
        ["second", "again", "third"],
        ["second"],
        ["again"],
        ["third"],
    ]
    with rt.session() as session:
        titles = sorted(session.scalars(select(Incident.title)).all())
        receipts = dict(
            session.execute(select(InboundReceipt.key, InboundReceipt.incident_id)).all()
        )
        events = session.scalar(select(func.count()).select_from(TimelineEvent))
    assert titles == ["first", "second", "third"]  # nothing twice, nothing of the repeat
    assert receipts == {
        "delivery-1": items[0].incident.id,
        "delivery-2": items[1].incident.id,
        "delivery-3": items[3].incident.id,
    }
    assert events == 3
    rt.dispatcher.flush()
    stored = {items[i].incident.id for i in (0, 1, 3)}
    assert sorted(queued_syncs(rt)) == sorted(stored)  # the rolled-back batch owed nothing


def test_a_lone_caller_stores_its_own_item_and_a_failure_stops_nothing(rt: Runtime) -> None:
    """Nobody else waiting: the caller's own thread runs the transaction (no hand-over);
    an item that fails raises to its caller, and the next one is stored as usual."""
    ran_on: list[int] = []

    def apply(session: Session, items: list[str]) -> list[str]:
        ran_on.append(threading.get_ident())
        if "boom" in items:
            raise RuntimeError("cannot store boom")
        return [item.upper() for item in items]

    group: GroupCommit[str, str] = GroupCommit(rt.session, apply)
    with pytest.raises(RuntimeError, match="cannot store boom"):
        group.run("boom")
    assert group.run("fine") == "FINE"
    assert ran_on == [threading.get_ident()] * 2


def test_concurrent_incident_commands_each_open_one_incident(desk: Desk) -> None:
    """Twenty signed /incident requests at once through the web: twenty answers, twenty
    different incidents, each stored once with its card owed."""
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda i: desk.slack.command(f"sev3 together {i}"), range(20)))
    assert [a.status_code for a in answers] == [200] * 20
    keys = [a.json()["text"].split("*")[1] for a in answers]
    assert len(set(keys)) == 20
    with desk.rt.session() as session:
        titles = sorted(session.scalars(select(Incident.title)).all())
    assert titles == sorted(f"together {i}" for i in range(20))
    desk.drain()
    with desk.rt.session() as session:
        cards = session.scalars(select(Incident.card_ts)).all()
    cards_posted = [
        m
        for m in desk.api.messages()
        if m["method"] == "chat.postMessage" and not m.get("thread_ts")
    ]
    assert None not in cards and len(set(cards)) == 20
    assert sorted(m["ts"] for m in cards_posted) == sorted(cards)  # each card posted once


def test_callers_behind_an_interrupted_leader_are_told_nothing_was_stored(rt: Runtime) -> None:
    """A leader stopped mid-batch by something no batch catches (KeyboardInterrupt) must not
    let the others of its batch return as if stored: they get an error, and nothing of the
    batch is in the database."""
    gated = Gated(rt)

    def apply(session: Session, items: list[Opening]) -> list[None]:
        if len(items) > 1:
            intake.store_openings(session, rt, items)
            raise KeyboardInterrupt  # after writing: the rollback must take it all back
        return gated(session, items)

    group = GroupCommit(rt.session, apply)
    items = [opening(rt, "first"), opening(rt, "second"), opening(rt, "third")]
    outcomes = run_all(gated, group, items)

    assert outcomes[0] is None
    assert isinstance(outcomes[1], KeyboardInterrupt)  # the leader of the second batch
    assert isinstance(outcomes[2], RuntimeError) and "not stored" in str(outcomes[2])
    with rt.session() as session:
        assert session.scalars(select(Incident.title)).all() == ["first"]
