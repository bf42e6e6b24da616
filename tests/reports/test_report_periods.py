"""``supportbot report`` by day, ISO week and month, with business time beside wall-clock time.

The database is filled through the product's own intake and actions (``fill`` of
test_report_cli: Acme 24x7 in New York, Globex business hours 08:00-18:00 in Berlin, around
the end of March 2026), then the real command runs in a subprocess; the malformed periods go
through the real parser in this process.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from supportbot.cli import build_parser
from supportbot.clock import TravelClock
from supportbot.reports.definitions import DEFINITIONS
from supportbot.reports.render import SLA_COLUMNS
from supportbot.runtime import Runtime
from tests.conftest import REPO, Desk
from tests.reports.test_report_cli import fill, report

START = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
GLOBEX_HOURS = "business hours 08:00–18:00 Mon–Fri Europe/Berlin, holidays DE-BE"


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(START)


def sla(database_url: str, tmp_path: Path, *args: str) -> dict:  # type: ignore[type-arg]
    done = report(database_url, tmp_path, "sla", *args, "--format", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def by_group(got: dict) -> dict:  # type: ignore[type-arg]
    return {(g["grouping"], g["name"]): g for g in got["groups"]}


def test_days_and_weeks_in_each_customers_zone(
    desk: Desk, database_url: str, tmp_path: Path
) -> None:
    ids = fill(desk)
    # 10 March: Acme's Sev1 (10:00 New York) and Globex's Sev2 (16:30 Berlin).
    day = sla(database_url, tmp_path, "--day", "2026-03-10")
    assert (day["period"], day["period_kind"]) == ("2026-03-10", "day")
    groups = by_group(day)
    assert groups[("overall", "all")]["opened"] == 2
    assert groups[("customer", "acme")]["opened"] == groups[("customer", "globex")]["opened"] == 1
    # 31 March: Acme's Sev2 at 03:30Z on 1 April is 23:30 on the 31st in New York: counted.
    # Globex's at 22:30Z on the 31st is already 1 April in Berlin: not.
    last = by_group(sla(database_url, tmp_path, "--day", "2026-03-31"))
    assert last[("overall", "all")]["opened"] == last[("customer", "acme")]["opened"] == 1
    assert last[("customer", "globex")]["opened"] == 0  # listed: it has incidents still open
    first = by_group(sla(database_url, tmp_path, "--day", "2026-04-01"))
    assert first[("overall", "all")]["opened"] == first[("customer", "globex")]["opened"] == 1
    # ISO week 14 (Monday 30 March to Monday 6 April) holds the three month-end incidents.
    week = sla(database_url, tmp_path, "--week", "2026-W14")
    assert (week["period"], week["period_kind"]) == ("2026-W14", "week")
    assert by_group(week)[("overall", "all")]["opened"] == 3
    assert (
        by_group(sla(database_url, tmp_path, "--week", "2026-W11"))[("overall", "all")]["opened"]
        == 2
    )
    assert ids["april"]  # the Acme incident of 2 April is W14's third

    done = report(database_url, tmp_path, "sla", "--week", "2026-W14", "--format", "csv")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# supportbot SLA report 2026-W14, as of ")
    assert "# period: a calendar day (label 2026-11-30), ISO week" in done.stdout
    assert "# business_time: for incidents whose SLA clock runs on business hours" in done.stdout

    trend = report(database_url, tmp_path, "trend", "--week", "2026-W14", "--format", "json")
    assert trend.returncode == 0, trend.stderr
    rows = json.loads(trend.stdout)["rows"]
    assert [r["period"] for r in rows] == [f"2026-W{n:02d}" for n in range(3, 15)]
    assert [r["opened"] for r in rows][-4:] == [2, 0, 0, 3]
    assert json.loads(trend.stdout)["title"].startswith("supportbot trend, 12 weeks to 2026-W14")
    days = report(database_url, tmp_path, "trend", "--day", "2026-03-01", "--format", "json")
    assert [r["period"] for r in json.loads(days.stdout)["rows"]][:2] == ["2026-02-18",
                                                                          "2026-02-19"]  # fmt: skip
    oncall = report(database_url, tmp_path, "oncall", "--week", "2026-W14")
    assert oncall.returncode == 0 and "on-call load 2026-W14 (UTC week)" in oncall.stdout


def test_business_time_beside_wall_clock_time(
    desk: Desk, database_url: str, tmp_path: Path
) -> None:
    fill(desk)
    groups = by_group(sla(database_url, tmp_path, "--month", "2026-03"))
    globex = groups[("customer", "globex")]
    # Opened 16:30 Berlin, answered six wall-clock hours later: 1 h 30 min of business time.
    assert globex["mean_response_s"] == 6 * 3600
    assert globex["mean_response_business_s"] == 5400.0
    assert globex["business_clock"] == 1 and globex["business_calendar"] == GLOBEX_HOURS
    assert globex["mtta_business_s"] is None and globex["mttr_business_s"] is None  # none yet
    acme = groups[("customer", "acme")]  # Premier 24x7: no business clock
    assert acme["business_clock"] == 0
    assert acme["business_calendar"] is acme["mean_response_business_s"] is None
    overall = groups[("overall", "all")]  # one calendar (Globex's); Acme's counted apart
    assert overall["business_clock"] == 1 and overall["mean_response_business_s"] == 5400.0
    table = report(database_url, tmp_path, "sla", "--month", "2026-03")
    header, *lines = table.stdout.splitlines()[2:6]
    assert "mean_response_business_s" in header.split() and "mttr_business_s" in header.split()
    acme_line = next(line.split() for line in lines if line.split()[1] == "acme")
    column = header.split().index("mean_response_business_s")
    assert acme_line[column] == "–"
    globex_line = next(line.split() for line in lines if line.split()[1] == "globex")
    assert globex_line[column] == "5400.0"
    done = report(database_url, tmp_path, "sla", "--month", "2026-03", "--format", "csv")
    rows = list(csv.DictReader(line for line in io.StringIO(done.stdout) if line[0] != "#"))
    globex_row = next(r for r in rows if r["name"] == "globex")
    assert globex_row["business_calendar"] == GLOBEX_HOURS
    assert next(r for r in rows if r["name"] == "acme")["mean_response_business_s"] == ""


def parse(*args: str, capsys: pytest.CaptureFixture[str]) -> str:
    """The real parser's verdict: the last line of its usage error (exit status 2)."""
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["report", *args])
    assert exited.value.code == 2
    return capsys.readouterr().err.strip().splitlines()[-1]


MALFORMED = [
    ("--week", "2026-W54", "'2026-W54' is not a week: 2026 has ISO weeks W01 to W53"),
    ("--week", "2025-W53", "'2025-W53' is not a week: 2025 has ISO weeks W01 to W52"),
    ("--week", "2026-W00", "'2026-W00' is not a week: 2026 has ISO weeks W01 to W53"),
    ("--week", "2026-W4", "'2026-W4' is not a week; write it as YYYY-Www"),
    ("--week", "2026-48", "'2026-48' is not a week; write it as YYYY-Www"),
    ("--week", "W48", "'W48' is not a week; write it as YYYY-Www"),
    ("--week", "2026-11-30", "'2026-11-30' is not a week; write it as YYYY-Www"),
    ("--week", "1969-W52", "'1969-W52' is not a week: the year must be from 1970 to 9998"),
    ("--day", "2026-02-30", "'2026-02-30' is not a day: February 2026 has 28 days"),
    ("--day", "2026-11-31", "'2026-11-31' is not a day: November 2026 has 30 days"),
    ("--day", "2026-13-01", "'2026-13-01' is not a day: the month must be from 01 to 12"),
    ("--day", "2026-00-10", "'2026-00-10' is not a day: the month must be from 01 to 12"),
    ("--day", "2026-11-00", "'2026-11-00' is not a day: November 2026 has 30 days"),
    ("--day", "2026-1-1", "'2026-1-1' is not a day; write it as YYYY-MM-DD"),
    ("--day", "30-11-2026", "'30-11-2026' is not a day; write it as YYYY-MM-DD"),
    ("--day", "2026-W48", "'2026-W48' is not a day; write it as YYYY-MM-DD"),
    ("--day", "", "'' is not a day; write it as YYYY-MM-DD"),
    ("--day", "1969-12-31", "'1969-12-31' is not a day: the year must be from 1970 to 9998"),
    ("--month", "2026-13", "'2026-13' is not a month: the month must be from 01 to 12"),
    ("--month", "2026-00", "'2026-00' is not a month: the month must be from 01 to 12"),
    ("--month", "2026-3", "'2026-3' is not a month; write it as YYYY-MM"),
    ("--month", "March", "'March' is not a month; write it as YYYY-MM"),
    ("--month", "2026-03-01", "'2026-03-01' is not a month; write it as YYYY-MM"),
    ("--month", "9999-01", "'9999-01' is not a month: the year must be from 1970 to 9998"),
    ("--month", "２０２６-03", "'２０２６-03' is not a month; write it as YYYY-MM"),
    # Whatever was pasted, the message is one readable line: its start and its length.
    ("--month", "2026-" + "1" * 5000, f"'2026-{'1' * 35}'… (5005 characters) is not a month; "
     "write it as YYYY-MM"),
    ("--week", " " * 30 + "2026-W54" + " " * 30, "'                              2026-W54  '… (68 "
     "characters) is not a week: 2026 has ISO weeks W01 to W53"),
]  # fmt: skip


@pytest.mark.parametrize(("flag", "value", "message"), MALFORMED)
def test_every_malformed_period_is_an_argparse_error(
    flag: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    said = parse("sla", flag, value, capsys=capsys)
    assert said.startswith(f"supportbot report: error: argument {flag}: {message}")
    assert len(said) < 200, said


def test_exactly_one_period(capsys: pytest.CaptureFixture[str]) -> None:
    assert parse("sla", capsys=capsys) == (
        "supportbot report: error: one of the arguments --month --week --day is required"
    )
    assert parse("sla", "--week", "2026-W48", "--day", "2026-11-30", capsys=capsys) == (
        "supportbot report: error: argument --day: not allowed with argument --week"
    )
    assert parse("credits", "--month", "2026-11", "--day", "2026-11-30", capsys=capsys) == (
        "supportbot report: error: argument --day: not allowed with argument --month"
    )
    good = build_parser().parse_args(["report", "sla", "--week", "2026-W53"])
    assert isinstance(good, argparse.Namespace) and good.week.label == "2026-W53"
    assert good.month is None and good.day is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("credits", "--week", "2026-W14"), "report credits takes --month only: the contract's "
         "credits (late responses, availability, the cap) are monthly"),
        (("credits", "--day", "2026-03-31"), "report credits takes --month only"),
        (("oncall", "--week", "2026-W14", "--customer", "acme"), "report oncall takes no "
         "--customer: the load is per person and region"),
        (("sla", "--month", "2026-03", "--post"), "--post is for report usage only; report sla "
         "prints its figures"),
        (("trend", "--day", "2026-03-31", "--post"), "--post is for report usage only"),
    ],
)  # fmt: skip
def test_what_a_report_does_not_take_is_a_usage_error(
    rt: Runtime, database_url: str, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    done = report(database_url, tmp_path, *args)
    assert done.returncode == 2 and done.stdout == ""
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("supportbot report: error: ") and message in last


def _documented_names() -> set[str]:
    text = (REPO / "docs" / "metrics.md").read_text()
    return set(re.findall(r"`([a-z0-9_]+)`", text))


def _fields(value: object) -> set[str]:
    """Every key of a JSON document, nested ones included (not the currency codes of
    ``totals``, which are data)."""
    if isinstance(value, list):
        return set().union(*(_fields(item) for item in value))
    if not isinstance(value, dict):
        return set()
    keys = set(value)
    return keys.union(*(_fields(v) for k, v in value.items() if k != "totals"))


def test_every_output_field_and_definition_is_documented(
    desk: Desk, database_url: str, tmp_path: Path
) -> None:
    """docs/metrics.md names every JSON field of the reports (the CSV columns are the same
    names) and every definition key printed at the head of a CSV."""
    fill(desk)
    documented = _documented_names()
    got = sla(database_url, tmp_path, "--week", "2026-W14")
    assert got["breaches"] and set(SLA_COLUMNS) <= _fields(got)  # JSON and CSV: same fields
    fields = _fields(got)
    for args in (("trend", "--week", "2026-W14"), ("oncall", "--month", "2026-03"),
                 ("credits", "--month", "2026-03")):  # fmt: skip
        done = report(database_url, tmp_path, *args, "--format", "json")
        assert done.returncode == 0, done.stderr
        fields |= _fields(json.loads(done.stdout))
    assert {
        "title",
        "rows",
        "statements",
        "lines",
        "availability",
        "evidence",
        "pages_sleep",
        "mttr_business_s",
    } <= fields
    assert fields - documented == set()
    assert set(DEFINITIONS) - documented == set()
