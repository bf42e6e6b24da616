"""Attacks on the credits CSV: the download a finance team sums must agree with what the
table, the JSON, the dashboard page and Slack say is owed, for a month over its cap too."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from supportbot.clock import TravelClock
from supportbot.dashboard import data
from supportbot.desk import actions, intake
from supportbot.incidents.access import Actor
from supportbot.reports.records import parse_month
from tests.conftest import REPO, Desk
from tests.reports.test_report_cli import cli_env

START = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
STAFF = Actor.staff_member("U0STAFF001")
MARCH = parse_month("2026-03")


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(START)


def three_late_sev1s(desk: Desk) -> None:
    """Acme (fee 12,000.00, cap 100 %): three Sev1s answered 90 minutes late, 15,000.00."""
    acme = desk.rt.contracts.by_key("acme")
    assert acme is not None
    for day in range(3):
        assert isinstance(desk.rt.clock, TravelClock)
        desk.rt.clock.set(START + timedelta(days=day))
        found = intake.open_incident(desk.rt, title="checkout down", severity=1,
                                     reporter="U0STAFF001", customer=acme)  # fmt: skip
        desk.rt.clock.set(START + timedelta(days=day, minutes=90))
        actions.acknowledge(desk.rt, found.id, STAFF)
    desk.rt.clock.set(datetime(2026, 4, 2, tzinfo=UTC))  # type: ignore[attr-defined]
    desk.drain()


def report(database_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command, importing this checkout's code (not whichever is installed)."""
    env = cli_env(database_url, tmp_path)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), str(REPO)])
    return subprocess.run(
        [sys.executable, "-m", "supportbot", "report", *args], env=env, cwd=tmp_path,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def owed(text: str, customer: str) -> Decimal:
    """What the CSV says is owed: the amounts of the customer's rows not waived."""
    body = [line for line in text.splitlines() if not line.startswith("#")]
    rows = csv.DictReader(io.StringIO("\n".join(body)))
    return sum(
        (Decimal(r["amount"]) for r in rows if r["customer"] == customer and r["waived"] == "no"),
        Decimal(0),
    )


def test_the_cli_csv_of_a_capped_month_adds_up_to_what_is_owed(
    desk: Desk, database_url: str, tmp_path: Path
) -> None:
    three_late_sev1s(desk)
    done = report(database_url, tmp_path, "credits", "--month", "2026-03", "--customer", "acme",
                  "--format", "json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    (statement,) = json.loads(done.stdout)["statements"]
    assert statement["capped"] and statement["total"] == "12000.00"
    assert statement["gross"] == "15000.00"

    done = report(database_url, tmp_path, "credits", "--month", "2026-03", "--customer", "acme",
                  "--format", "csv")  # fmt: skip
    assert done.returncode == 0, done.stderr
    # Before the fix: 15,000.00, three lines and not a word of the cap.
    assert owed(done.stdout, "acme") == Decimal("12000.00")
    assert "capped at 100 % of the monthly fee 12000.00" in done.stdout


def test_the_dashboard_csv_agrees_with_the_page_and_the_cli(desk: Desk) -> None:
    three_late_sev1s(desk)
    acme = desk.rt.contracts.by_key("acme")
    view = data.load(desk.rt, MARCH, acme)
    report = view.statement("acme")
    assert report is not None and report.total == Decimal("12000.00")  # the page's "owed"
    for staff in (True, False):
        text = data.csv_table(view, "credits", staff=staff)
        assert owed(text, "acme") == report.total


def test_the_dashboard_csv_of_a_month_not_over_says_so_to_staff(desk: Desk) -> None:
    """The CLI's CSV notes that a month still running is provisional (and which contract has
    no fee); the same table downloaded from the dashboard by staff said nothing."""
    three_late_sev1s(desk)
    assert isinstance(desk.rt.clock, TravelClock)
    desk.rt.clock.set(datetime(2026, 3, 20, tzinfo=UTC))
    view = data.load(desk.rt, MARCH, None)
    text = data.csv_table(view, "credits", staff=True)
    assert "# note: acme: the month is not over" in text
    assert "# note: initech: no monthly fee in the contract" in text
