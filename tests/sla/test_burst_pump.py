"""The burst pump, as a script: many SLA timers fall due in the same second across incidents.

Twelve Acme (Premier, 24x7) Sev2s: six opened at 08:00 breach their 2 h response target at
10:00, six opened at 08:30 owe their 50 % and 75 % reminders at that same 10:00. Two workers
race (threads running every timer's job, each in its own order): every timer fires exactly
once, all twelve incidents are claimed by one statement, each incident gets one thread post
carrying everything due for it, and, once the syncs ran, one card update.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, update

from supportbot.clock import TravelClock
from supportbot.db.models import Incident, SlaTimer, TimelineEvent
from supportbot.desk import intake
from supportbot.reconciler import reconcile_once
from supportbot.runtime import Runtime, set_runtime
from supportbot.sla import firing, pump
from tests.standins import SlackStandin
from tests.support.live import drain
from tests.support.slack_requests import TRIAGE

DUE = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # Monday 10:00
# The breaches fire at the first late instant, a microsecond after their due instant (an
# answer at 10:00:00.000000 still meets the target), in the same second as the reminders.
FIRES = DUE + timedelta(microseconds=1)


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(DUE - timedelta(hours=2))  # still: it moves when the test says so


def open_sev2s(rt: Runtime, clock: TravelClock, at: datetime, count: int) -> list[int]:
    clock.set(at)
    acme = rt.contracts.by_key("acme")
    ids = [
        intake.open_incident(
            rt, title=f"checkout slow {n}", severity=2, reporter="U0STAFF001", customer=acme
        ).id
        for n in range(count)
    ]
    drain(rt)  # the cards and their "opened" posts
    return ids


def thread(api: SlackStandin, rt: Runtime, incident_id: int) -> list[dict[str, Any]]:
    with rt.session() as session:
        card_ts = session.get_one(Incident, incident_id).card_ts
    return [m for m in api.messages(channel=TRIAGE, thread_ts=card_ts) if m.get("thread_ts")]


@pytest.fixture
def statements(rt: Runtime) -> Iterator[list[str]]:
    """Every SQL statement the engine runs, in order."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(rt.engine, "before_cursor_execute", record)
    yield seen
    event.remove(rt.engine, "before_cursor_execute", record)


def test_one_statement_claims_every_due_timer_of_a_batch(
    rt: Runtime, clock: TravelClock, statements: list[str]
) -> None:
    open_sev2s(rt, clock, DUE - timedelta(hours=2), 3)
    open_sev2s(rt, clock, DUE - timedelta(minutes=90), 3)
    clock.set(FIRES)
    with rt.session() as session:
        due = set(
            session.scalars(
                select(SlaTimer.id).where(SlaTimer.state == "pending", SlaTimer.due_at <= FIRES)
            )
        )
        del statements[:]
        assert set(pump.claim(session, FIRES)) == due
        assert len(statements) == 1 and statements[0].startswith("WITH locked AS")
        if rt.engine.dialect.name == "postgresql":
            assert "FOR UPDATE SKIP LOCKED" in statements[0]
        assert pump.claim(session, FIRES) == []  # claimed: nothing left for anyone
        # A batch is a number of incidents: the first two take every due timer of theirs.
    with rt.session() as session:
        session.execute(update(SlaTimer).where(SlaTimer.id.in_(due)).values(state="pending"))
    with rt.session() as session:
        two = pump.claim(session, FIRES, limit=2)
        owners = {
            t.incident_id for t in session.scalars(select(SlaTimer).where(SlaTimer.id.in_(two)))
        }
        assert owners == {1, 2} and len(two) == 8  # 4 due timers each (3 reminders, breach)


def test_timers_due_in_one_second_fire_once_each_one_post_per_incident(
    rt: Runtime, clock: TravelClock, slack_api: SlackStandin
) -> None:
    breaching = open_sev2s(rt, clock, DUE - timedelta(hours=2), 6)
    reminded = open_sev2s(rt, clock, DUE - timedelta(hours=1, minutes=30), 6)
    updates_before = Counter(c.params["ts"] for c in slack_api.calls("chat.update"))

    clock.set(FIRES)  # 10:00:00.000001: every one of them is due now
    with rt.session() as session:
        due = list(
            session.scalars(
                select(SlaTimer.id).where(SlaTimer.state == "pending", SlaTimer.due_at <= FIRES)
            )
        )
    assert len(due) == 6 * 4 + 6 * 2  # breach + three late reminders; 50 % and 75 %

    # Two workers, each running every timer's job in its own order, at the same time.
    set_runtime(rt)
    results: dict[str, list[str]] = {}
    errors: list[BaseException] = []
    gate = threading.Barrier(2)

    def worker(name: str, seed: int) -> None:
        order = random.Random(seed).sample(due, len(due))
        gate.wait()
        try:
            results[name] = [firing.fire(rt, timer_id) for timer_id in order]
        except BaseException as exc:  # noqa: BLE001 (re-raised by the assert below)
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"w{n}", n)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors

    # Every job finished (none early, none left busy); whichever job claimed first fired
    # them all, and each timer's effect is in the timeline exactly once.
    assert {o for found in results.values() for o in found} <= {
        "stale",
        "breached",
        "skipped",
        "reminded",
    }
    assert sum(len(found) for found in results.values()) == 2 * len(due)
    with rt.session() as session:
        kinds = Counter(
            (e.incident_id, e.kind)
            for e in session.scalars(
                select(TimelineEvent).where(TimelineEvent.actor == "supportbot")
            )
        )
    for incident_id in breaching:
        assert kinds[(incident_id, "breach:response")] == 1
        assert kinds[(incident_id, "escalated")] == 1
        assert not any(kinds[(incident_id, f"reminder:response:{p}")] for p in (50, 75, 90))
    for incident_id in reminded:
        assert kinds[(incident_id, "reminder:response:50")] == 1
        assert kinds[(incident_id, "reminder:response:75")] == 1
        assert kinds[(incident_id, "breach:response")] == 0
    with rt.session() as session:
        timers = session.scalars(select(SlaTimer).where(SlaTimer.id.in_(due))).all()
        assert {t.state for t in timers} <= {"fired", "skipped"}
        assert {t.fired_at for t in timers} == {FIRES}  # never early, and no later than the pump
        assert not session.scalars(
            select(SlaTimer).where(SlaTimer.state == "pending", SlaTimer.due_at <= FIRES)
        ).all()

    for incident_id in breaching:
        posts = [m["text"] for m in thread(slack_api, rt, incident_id)]
        firing_posts = [p for p in posts if "breached" in p or "escalated" in p]
        assert len(firing_posts) == 1, posts  # one post carrying both
        assert "breached its response target" in firing_posts[0]
        assert "escalated to L2" in firing_posts[0]
    for incident_id in reminded:
        posts = [m["text"] for m in thread(slack_api, rt, incident_id)]
        firing_posts = [p for p in posts if "target" in p and "used" in p]
        assert len(firing_posts) == 1, posts
        assert "response target 50% used" in firing_posts[0]
        assert "response target 75% used" in firing_posts[0]

    drain(rt)  # the owed syncs: the card updated once per incident, nothing posted twice
    updates = Counter(c.params["ts"] for c in slack_api.calls("chat.update")) - updates_before
    with rt.session() as session:
        cards = {i.id: i.card_ts for i in session.scalars(select(Incident))}
    assert all(updates[cards[i]] == 1 for i in breaching), updates  # L1 -> L2 on the card
    assert all(updates[cards[i]] <= 1 for i in reminded), updates
    keys = [
        m["metadata"]["event_payload"]["post"]
        for m in slack_api.messages()
        if (m.get("metadata") or {}).get("event_payload")
    ]
    assert len(keys) == len(set(keys))  # no post made twice
    assert all(len(thread(slack_api, rt, i)) == 2 for i in breaching + reminded)  # opened, fired


def test_a_timer_job_started_early_waits_for_its_instant(
    rt: Runtime, clock: TravelClock, slack_api: SlackStandin
) -> None:
    """The job is stored a second ahead of its instant's second, so RQ starts it up to two
    seconds early: it waits, and fires at the instant, not before."""
    (incident_id,) = open_sev2s(rt, clock, datetime.now(UTC) - timedelta(hours=1), 1)
    ticking = TravelClock(datetime.now(UTC), ticking=True)
    rt.clock = ticking
    set_runtime(rt)
    with rt.session() as session:
        timer = session.scalars(
            select(SlaTimer).where(SlaTimer.clock == "response", SlaTimer.threshold == 50)
        ).one()
        # Due 0.6 s from now: as if RQ started the job that much before its instant.
        timer.due_at = ticking.now() + timedelta(milliseconds=600)
        due = timer.due_at

    started = time.monotonic()
    assert firing.sla_timer(timer.id) == "reminded"
    assert time.monotonic() - started >= 0.5  # it waited
    with rt.session() as session:
        fired = session.get_one(SlaTimer, timer.id)
        assert fired.state == "fired" and fired.fired_at is not None and fired.fired_at >= due
    post = [m for m in thread(slack_api, rt, incident_id) if "50% used" in m["text"]]
    assert len(post) == 1
    (call,) = [c for c in slack_api.calls("chat.postMessage") if "50% used" in c.params["text"]]
    assert call.at >= due  # at the Slack stand-in, after the instant


def test_a_job_due_more_than_two_seconds_ahead_owes_itself_again(
    rt: Runtime, clock: TravelClock
) -> None:
    (incident_id,) = open_sev2s(rt, clock, DUE - timedelta(minutes=50), 1)
    clock.set(DUE - timedelta(minutes=50) + timedelta(minutes=59, seconds=57))  # 3 s early
    set_runtime(rt)
    with rt.session() as session:
        timer = session.scalars(
            select(SlaTimer).where(SlaTimer.clock == "response", SlaTimer.threshold == 50)
        ).one()
    assert firing.sla_timer(timer.id) == "early"  # no wait: more than MAX_WAIT ahead
    rt.dispatcher.flush()
    assert rt.queue.scheduled_job_registry.get_scheduled_time(
        f"sla-INC-{incident_id}-response-50"
    ) == timer.due_at.replace(microsecond=0) - timedelta(seconds=1)


def test_the_jobs_of_timers_a_pump_fired_are_taken_off_the_queue(
    rt: Runtime, clock: TravelClock
) -> None:
    """The first job of a burst fires them all; the others need not even start."""
    open_sev2s(rt, clock, DUE - timedelta(hours=2), 4)
    clock.set(DUE + timedelta(seconds=10))  # past due: the reconciler queues them all now
    assert reconcile_once(rt)["sla_timer"] == 4 * 4
    rt.dispatcher.flush()
    queued = [j for j in rt.queue.get_job_ids() if j.startswith("sla-")]
    assert len(queued) == 16
    first = rt.queue.fetch_job(queued[0])
    assert first is not None
    rt.queue.remove(first)  # as a worker takes it off the queue to run it
    set_runtime(rt)
    assert firing.sla_timer(*first.args) in ("breached", "skipped")
    rt.dispatcher.flush()
    # Every other timer job was withdrawn; the next timers are owed for later (scheduled).
    assert [j for j in rt.queue.get_job_ids() if j.startswith("sla-")] == []
    assert all(rt.queue.fetch_job(j) is None for j in queued[1:])
    with rt.session() as session:
        due = select(SlaTimer).where(SlaTimer.state == "pending", SlaTimer.due_at <= FIRES)
        assert not session.scalars(due).all()


def test_a_waiting_job_gives_its_worker_up_to_a_page(
    rt: Runtime, clock: TravelClock, slack_api: SlackStandin
) -> None:
    """A page on the urgent queue ends the wait: the timer job owes itself again."""
    open_sev2s(rt, clock, datetime.now(UTC) - timedelta(hours=1), 1)
    rt.clock = TravelClock(datetime.now(UTC), ticking=True)
    set_runtime(rt)
    with rt.session() as session:
        timer = session.scalars(
            select(SlaTimer).where(SlaTimer.clock == "response", SlaTimer.threshold == 50)
        ).one()
        timer.due_at = rt.now() + timedelta(seconds=1, milliseconds=500)
    rt.urgent_queue.enqueue("time.sleep", 0)  # a page waits for this worker
    started = time.monotonic()
    assert firing.sla_timer(timer.id) == "early"
    assert time.monotonic() - started < 1  # it did not wait for its instant
    with rt.session() as session:
        assert session.get_one(SlaTimer, timer.id).state == "pending"
