"""``supportbot report`` end to end: a database filled through the product's own intake and
actions while the clock travels, then the real command in a subprocess."""

from __future__ import annotations

import csv
import io
import json
import os
import shlex
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from supportbot.clock import TravelClock
from supportbot.desk import actions, intake
from supportbot.incidents.access import Actor
from supportbot.runtime import Runtime
from tests.conftest import REPO, Desk

START = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)  # a Tuesday: 10:00 New York, 15:00 Berlin
STAFF = Actor.staff_member("U0STAFF001")


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(START)


def cli_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": database_url,
        "SUPPORTBOT_CONTRACTS_FILE": str(REPO / "contracts" / "customers.yaml"),
        "SUPPORTBOT_ROTATIONS_DIR": str(REPO / "rotations"),
        "SUPPORTBOT_DATA_DIR": str(tmp_path / "cli-var"),
    }


def report(database_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "supportbot", "report", *args]
    return subprocess.run(
        command, env=cli_env(database_url, tmp_path), cwd=tmp_path, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip


def open_incident(rt: Runtime, customer: str, severity: int) -> int:
    found = rt.contracts.by_key(customer)
    assert found is not None
    incident = intake.open_incident(
        rt, title=f"{customer} sev{severity}", severity=severity, reporter="U0STAFF001",
        customer=found,
    )  # fmt: skip
    return incident.id


def fill(desk: Desk) -> dict[str, int]:
    rt = desk.rt
    # Acme (Premier): a Sev1 answered after 90 min, over the 1 h credit line.
    late_sev1 = open_incident(rt, "acme", 1)
    desk.travel(timedelta(minutes=90))
    actions.acknowledge(rt, late_sev1, STAFF)
    # Globex (Standard, business hours 08-18 Berlin): a Sev2 opened 16:30 Berlin, answered
    # six wall-clock hours later: 1.5 business hours, no credit.
    evening_sev2 = open_incident(rt, "globex", 2)
    desk.travel(timedelta(hours=6))
    actions.reply(rt, evening_sev2, STAFF, "looking into it")
    actions.escalate(rt, evening_sev2, STAFF)
    actions.resolve(rt, late_sev1, STAFF, "fixed")
    # Globex: a Sev2 opened 00:30 Berlin on 1 April (still 31 March in UTC): April's, not
    # March's. Its business clock starts 08:00 Berlin (06:00Z), the 4 h line is 10:00Z.
    assert isinstance(rt.clock, TravelClock)
    rt.clock.set(datetime(2026, 3, 31, 22, 30, tzinfo=UTC))
    april_globex = open_incident(rt, "globex", 2)
    # Acme (Premier, 24x7): a Sev2 opened 23:30 New York on 31 March (already 1 April in
    # UTC): March's. Its 4 h credit line is 07:30Z; answered 08:30Z.
    desk.travel(timedelta(hours=5))
    month_end_sev2 = open_incident(rt, "acme", 2)
    desk.travel(timedelta(hours=5))
    actions.acknowledge(rt, month_end_sev2, STAFF)
    desk.travel(timedelta(hours=2, minutes=30))
    actions.reply(rt, april_globex, STAFF, "on it")
    # An April incident of Acme's (in every zone) that must not count in March.
    rt.clock.set(datetime(2026, 4, 2, 15, 0, tzinfo=UTC))
    april = open_incident(rt, "acme", 1)
    return {
        "late": late_sev1,
        "evening": evening_sev2,
        "month_end": month_end_sev2,
        "april_globex": april_globex,
        "april": april,
    }


def test_credits_and_sla_report_of_a_month(desk: Desk, database_url: str, tmp_path: Path) -> None:
    ids = fill(desk)
    done = report(database_url, tmp_path, "credits", "--month", "2026-03", "--format", "json")
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    # Owed per currency (Acme pays in USD, Globex in EUR), never added across currencies.
    assert got["totals"] == {"USD": "7500.00", "EUR": "0.00"}
    acme_statement = next(s for s in got["statements"] if s["customer"] == "acme")
    assert acme_statement["total"] == "7500.00" and acme_statement["cap"] == "12000.00"
    assert acme_statement["availability"]["percent"] == "100.000"
    lines = {line["incident"]: line for line in got["lines"]}
    assert set(lines) == {f"INC-{ids['late']}", f"INC-{ids['month_end']}"}
    late = lines[f"INC-{ids['late']}"]
    assert late["amount"] == "5000.00" and late["late_by_s"] == 1800.0
    assert late["due_at"] == "2026-03-10T15:00:00+00:00"
    assert late["actual_at"] == "2026-03-10T15:30:00+00:00"
    month_end = lines[f"INC-{ids['month_end']}"]
    assert month_end["amount"] == "2500.00" and month_end["late_by_s"] == 3600.0
    assert month_end["due_at"] == "2026-04-01T07:30:00+00:00"
    initech = next(s for s in got["statements"] if s["customer"] == "initech")
    assert initech["availability"] is None and "no monthly fee" in initech["notes"][0]

    done = report(database_url, tmp_path, "sla", "--month", "2026-03", "--format", "json")
    assert done.returncode == 0, done.stderr
    sla = json.loads(done.stdout)
    groups = {(g["grouping"], g["name"]): g for g in sla["groups"]}
    acme = groups[("customer", "acme")]
    assert (acme["opened"], acme["sev1"], acme["sev2"], acme["resolved"]) == (2, 1, 1, 1)
    assert acme["mtta_s"] == (5400 + 5 * 3600) / 2
    assert acme["response_met"] == 0 and acme["response_breached"] == 2
    assert acme["escalated"] == 2 and acme["by_breach"] == 2 and acme["by_hand"] == 0
    globex = groups[("customer", "globex")]
    assert globex["opened"] == 1 and globex["mean_response_s"] == 6 * 3600
    # Six wall-clock hours, but 1.5 business hours of a 2 business-hour target: met.
    assert (globex["response_met"], globex["response_breached"]) == (1, 0)
    # Escalated by hand, then again when its resolution target (48 business hours) broke.
    assert (globex["escalated"], globex["by_hand"], globex["by_breach"]) == (1, 1, 1)
    assert globex["never_acknowledged"] == 1 and globex["still_open"] == 1
    assert acme["first_contact_resolved"] == 0  # resolved, but escalated on its breach
    assert groups[("overall", "all")]["opened"] == 3
    breached = {(b["incident"], b["target"]) for b in sla["breaches"]}
    assert (f"INC-{ids['late']}", "response") in breached
    assert (f"INC-{ids['month_end']}", "response") in breached

    done = report(database_url, tmp_path, "credits", "--month", "2026-03", "--customer", "globex")
    assert done.returncode == 0, done.stderr
    assert "no credits owed" in done.stdout and "total: 0.00 EUR" in done.stdout

    done = report(database_url, tmp_path, "credits", "--month", "2026-04", "--customer", "globex",
                  "--format", "json")  # fmt: skip
    april = json.loads(done.stdout)
    assert [line["incident"] for line in april["lines"]] == [f"INC-{ids['april_globex']}"]
    assert april["lines"][0]["due_at"] == "2026-04-01T10:00:00+00:00"
    assert april["lines"][0]["late_by_s"] == 3600.0 and april["totals"] == {"EUR": "2500.00"}
    assert april["lines"][0]["currency"] == "EUR"


def test_csv_starts_with_the_definitions(desk: Desk, database_url: str, tmp_path: Path) -> None:
    fill(desk)
    for kind, column in (("sla", "grouping"), ("credits", "customer")):
        done = report(database_url, tmp_path, kind, "--month", "2026-03", "--format", "csv")
        assert done.returncode == 0, done.stderr
        comments = [line for line in done.stdout.splitlines() if line.startswith("#")]
        body = done.stdout.splitlines()[len(comments) :]
        assert done.stdout.startswith("# supportbot ")
        assert any(line.startswith("# period: ") for line in comments)
        rows = list(csv.DictReader(io.StringIO("\n".join(body))))
        assert rows and column in rows[0]
    assert "# credit: a Sev1 response later than 1 h" in done.stdout
    assert sum(float(row["amount"]) for row in rows) == 7500.0


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (("sla", "--month", "2026-13"), "argument --month: '2026-13' is not a month: the month "
         "must be from 01 to 12", 2),
        (("credits", "--month", "March"), "argument --month: 'March' is not a month; write it "
         "as YYYY-MM", 2),
        (("credits", "--month", "2026-03", "--customer", "nobody"), "unknown customer 'nobody'",
         1),
        (("sla", "--month", "2026-03", "--customer", "x" * 3000), "unknown customer "
         f"'{'x' * 40}'… (3000 characters); known customers: acme, globex, initech", 1),
    ],
)  # fmt: skip
def test_bad_input_is_one_line(
    rt: Runtime, database_url: str, tmp_path: Path, args: tuple[str, ...], message: str, code: int
) -> None:
    """A malformed period is argparse's usage error (status 2, the usage then one error
    line); what only the data can refuse is one line and status 1."""
    done = report(database_url, tmp_path, *args)
    assert done.returncode == code
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    prefix = "supportbot report: error: " if code == 2 else "supportbot: error: "
    assert lines[-1].startswith(prefix) and message in lines[-1] and len(lines[-1]) < 200
    assert code == 2 or len(lines) == 1


def test_a_reader_that_stops_reading_gets_no_traceback(
    rt: Runtime, database_url: str, tmp_path: Path
) -> None:
    """``| head -1`` reads a line and goes; ``| true`` reads nothing: either way the report
    ends quietly, not with BrokenPipeError's traceback (nor Python's complaint at exit)."""
    command = f"{shlex.quote(sys.executable)} -m supportbot report"
    pipes = [f"{command} sla --month 2026-03 --format csv | head -1",
             f"{command} trend --week 2026-W14 | true",
             f"{command} usage --month 2026-03 --format json | true"]  # fmt: skip
    # The other read-only commands too: `oncall --json | head` ended in a traceback.
    other = f"{shlex.quote(sys.executable)} -m supportbot"
    pipes += [f"{other} oncall --json | true", f"{other} oncall | true",
              f"{other} sla deadline --customer acme --severity 2 "
              "--opened 2026-11-27T17:30:00+00:00 --json | true"]  # fmt: skip
    for line in pipes:
        done = subprocess.run(["sh", "-c", line], env=cli_env(database_url, tmp_path),
                              cwd=tmp_path, capture_output=True, text=True, timeout=60)  # fmt: skip
        assert done.returncode == 0 and done.stderr == "", (line, done.stderr)
        if "head" in line:
            assert done.stdout.startswith("# supportbot SLA report 2026-03, as of ")
            assert done.stdout.count("\n") == 1
        else:
            assert done.stdout == ""
