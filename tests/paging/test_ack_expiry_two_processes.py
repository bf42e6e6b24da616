"""The acknowledgement's expiry in the worker against a note through a real `supportbot web`,
in two processes, many times: a note committed before the release is never released over.

Severity 2 incidents were acknowledged three hours ago, reminded an hour ago, and their
release is due now. A real ``supportbot web`` runs as a subprocess on the same database and
Redis. Per incident, three parties start together at a barrier: this process runs the expiry
job (as the worker would), the web gets a signed ``/incident note`` from the person, and a
third connection holds the database for a moment (SQLite's write lock; on PostgreSQL the
incident's row), as another writer would, so that both sides often wait on it and either may
go first. The job reads "no progress" without a lock on SQLite; before the fix, a note
committed between that read and the job's claim was followed by a release anyway.

Whoever wins, the timeline says so in order: either the release comes first and the note
lands on the released incident, or the note comes first and there is no release. Run on
SQLite (the default) and on PostgreSQL (DATABASE_URL).
"""

from __future__ import annotations

import random
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from supportbot.attention import ackwatch
from supportbot.clock import TravelClock
from supportbot.db.attention import AckWatch
from supportbot.db.models import TimelineEvent
from supportbot.settings import Settings
from supportbot.slack import cards
from tests.conftest import SIGNING_SECRET, Desk
from tests.standins import SlackStandin
from tests.support.processes import free_port, wait_until, web_up
from tests.support.races import race
from tests.support.slack_requests import STAFF, TEAM_ID, SlackInbound
from tests.test_scale_out import Fleet

ROUNDS = 30
RELEASED = "un-acknowledged"


@pytest.fixture
def clock() -> TravelClock:
    # Ticking from three hours ago; set to the real time before the races, so the job (here)
    # and the note (in the web, on the system clock) read the same time.
    return TravelClock(datetime.now(UTC) - timedelta(hours=3), ticking=True)


@pytest.fixture
def web(settings: Settings, tmp_path: Path, slack_api: SlackStandin) -> Iterator[SlackInbound]:
    fleet = Fleet(settings, tmp_path)
    port = free_port()
    try:
        fleet.start("web", "web", PORT=str(port))
        wait_until(lambda: web_up(port), lambda: f"the web up: {fleet.logs()[-3000:]}", 60)
        url = f"http://127.0.0.1:{port}/slack/events"
        inbound = SlackInbound(url, SIGNING_SECRET, slack_api.response_url, team_id=TEAM_ID)
        yield inbound
        inbound.session.close()
    finally:
        fleet.stop_all()


def _hold(settings: Settings, incident_id: int) -> Callable[[float], None]:
    """Another writer holding the database (SQLite) or the incident (PostgreSQL) a moment."""
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")

        def hold_sqlite(seconds: float) -> None:
            conn = sqlite3.connect(path, timeout=30, isolation_level=None)
            conn.execute("BEGIN IMMEDIATE")
            threading.Event().wait(seconds)
            conn.execute("COMMIT")
            conn.close()

        return hold_sqlite
    engine = create_engine(url)

    def hold_row(seconds: float) -> None:
        lock = text("SELECT id FROM incidents WHERE id = :i FOR UPDATE")
        with engine.begin() as conn:
            conn.execute(lock, {"i": incident_id})
            threading.Event().wait(seconds)
        engine.dispose()

    return hold_row


def _timeline(desk: Desk, incident_id: int) -> list[tuple[int, str, str]]:
    with desk.rt.session() as session:
        rows = session.execute(
            select(TimelineEvent.id, TimelineEvent.kind, TimelineEvent.text)
            .where(TimelineEvent.incident_id == incident_id)
            .order_by(TimelineEvent.id)
        ).all()
    return [(i, kind, body) for i, kind, body in rows]


def _acknowledged_long_ago(desk: Desk, clock: TravelClock) -> None:
    for n in range(ROUNDS):
        assert desk.slack.command(f"sev2 search slow in shard {n}").status_code == 200
    desk.drain()
    for n in range(1, ROUNDS + 1):
        desk.slack.block_action(cards.ACTION_ACK, value=str(n), user=STAFF)
    desk.drain()
    desk.travel(timedelta(hours=2, minutes=1))  # the built-in Sev2 rule: reminded after 2 h
    with desk.rt.session() as session:
        reminded = session.scalar(select(func.count()).where(AckWatch.reminded_at.is_not(None)))
    assert reminded == ROUNDS
    clock.set(datetime.now(UTC))  # an hour later: every release (30 min after) is due


def test_a_note_in_the_web_and_the_expiry_in_the_worker_never_both_win(
    desk: Desk, clock: TravelClock, web: SlackInbound, settings: Settings
) -> None:
    _acknowledged_long_ago(desk, clock)
    jitter = random.Random(6)
    won: Counter[str] = Counter()
    for incident_id in range(1, ROUNDS + 1):
        calls: list[Callable[[], object]] = [
            lambda i=incident_id: ackwatch.run(desk.rt, i),
            lambda i=incident_id: web.command(f"note INC-{i} the replica caught up").status_code,
            lambda i=incident_id: _hold(settings, i)(jitter.choice((0.0, 0.1, 0.2))),
        ]
        delays = [0.0, 0.0, 0.0]
        delays[jitter.randrange(2)] = jitter.choice((0.0, 0.0, 0.01, 0.03))
        outcome, status, _ = race(calls, delays)
        assert status == 200
        wait_until(
            lambda i=incident_id: any(k == "note" for _, k, _ in _timeline(desk, i)),
            f"the note on INC-{incident_id} in the database",
        )
        timeline = _timeline(desk, incident_id)
        note = next(i for i, kind, _ in timeline if kind == "note")
        releases = [i for i, kind, body in timeline if kind == "status:open" and RELEASED in body]
        if outcome == "released":
            assert len(releases) == 1, timeline
            # The release committed first, and the note landed on the released incident.
            assert releases[0] < note, f"INC-{incident_id} released over its note: {timeline}"
        else:
            assert outcome in ("early", "stale") and releases == [], (outcome, timeline)
        won["expiry" if outcome == "released" else "note"] += 1
    print(f"who won each race: {dict(won)}")
    assert sum(won.values()) == ROUNDS
