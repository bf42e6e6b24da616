"""The ledger holds under concurrency through the web: two real ``supportbot web`` processes
on one database and one Redis take 50 signed ``/incident time`` and ``/incident appointment``
commands on one per-incident incident at once, split over both, and the sums derived from the
ledger are exact (each time log may open a second charge, counted under the incident's lock).
Run on PostgreSQL with DATABASE_URL set, on SQLite without (CI runs both databases)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from supportbot.clock import TravelClock
from supportbot.db.ledger import LedgerEntry
from supportbot.runtime import Runtime
from supportbot.settings import Settings
from tests.conftest import SIGNING_SECRET
from tests.standins import SlackStandin
from tests.support.processes import free_port, process_env, wait_until, web_up
from tests.support.records import GLOBEX_CHANNEL, GLOBEX_HANS, answer
from tests.support.slack_requests import TEAM_ID, SlackInbound

COMMANDS = 50  # even: 10 min of time; odd: a 70 min appointment (3 incidents)
STAFF = ("U0STAFF001", "U0STAFF002")


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(datetime.now(UTC), ticking=True)  # the webs read the real clock


def web_env(s: Settings, tmp_path: Path, port: int) -> dict[str, str]:
    return process_env(s, tmp_path, f"web-{port}") | {"PORT": str(port)}


@pytest.fixture
def webs(rt: Runtime, settings: Settings, tmp_path: Path) -> Iterator[list[int]]:
    """Two ``supportbot web`` processes (the schema is migrated by ``rt``), up."""
    ports = [free_port(), free_port()]
    procs = []
    try:
        for port in ports:
            with (tmp_path / f"web-{port}.log").open("ab") as log:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "supportbot", "web"],
                        env=web_env(settings, tmp_path, port),
                        cwd=tmp_path,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )  # fmt: skip
                )
        for port in ports:
            logs = tmp_path / f"web-{port}.log"
            wait_until(lambda p=port: web_up(p), lambda f=logs: f.read_text()[-3000:], 60)
        yield ports
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            proc.wait(15)


def test_fifty_parallel_logs_and_charges_over_two_webs_add_up_exactly(
    rt: Runtime, webs: list[int], slack_api: SlackStandin
) -> None:
    def inbound(port: int) -> SlackInbound:
        url = f"http://127.0.0.1:{port}/slack/events"
        return SlackInbound(url, SIGNING_SECRET, slack_api.response_url, team_id=TEAM_ID)

    opened = answer(inbound(webs[0]).command("sev3 the ledger under load",
                                             channel=GLOBEX_CHANNEL, user=GLOBEX_HANS))  # fmt: skip
    assert "Opened *INC-1*" in opened

    def one(n: int) -> str:
        what = "time INC-1 10m log" if n % 2 == 0 else "appointment INC-1 70m visit"
        said = inbound(webs[n % 2]).command(f"{what} {n}", user=STAFF[n // 2 % 2])
        return answer(said)

    with ThreadPoolExecutor(10) as pool:
        said = list(pool.map(one, range(COMMANDS)))
    assert all(s.startswith("Logged 10 min on INC-1: log ") for s in said[0::2]), said
    assert all(s.startswith("Appointment of 1 h 10 min on INC-1: 3 incidents") for s in said[1::2])

    with rt.session() as session:
        by_kind = dict(
            session.execute(select(LedgerEntry.kind, func.count()).group_by(LedgerEntry.kind)).all()
        )
        minutes = session.scalar(select(func.sum(LedgerEntry.minutes)))
        units = session.scalar(select(func.sum(LedgerEntry.quantity)))
        amount = session.scalar(select(func.sum(LedgerEntry.amount)))
        people = set(session.scalars(select(LedgerEntry.person).where(LedgerEntry.minutes > 0)))
    # 25 logs of 10 min: 250 min, one charge per started 30 min is 9 (the turnover's first);
    # 25 appointments of 70 min, 3 incidents each: 84 incidents at 150.00.
    assert by_kind == {"time": 25, "appointment": 25, "charge": 9}
    assert minutes == 25 * 10 + 25 * 70
    assert units == 9 + 25 * 3
    assert Decimal(amount) == Decimal("12600.00")
    assert people == set(STAFF)
