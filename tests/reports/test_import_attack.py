"""``supportbot import incidents`` attacked with the files other tools really export: cells
holding line breaks and Unicode separators, duplicated columns, JSON that is not quite the
documented shape, truncated files and instants out of range. Each bad file is one line naming
where, exit 1, no traceback and nothing stored; each good one is stored as written."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import distinct, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from supportbot.clock import TravelClock
from supportbot.db.models import Incident, SlaClock, TimelineEvent
from supportbot.desk import actions, intake
from supportbot.incidents.access import Actor
from tests.conftest import Desk
from tests.reports.test_import_history import (
    HEADER,
    count,
    engine,
    supportbot,
    supportbot_env,
    write,
)
from tests.support.slack_requests import STAFF

__all__ = ["engine"]  # the fixture, shared with test_import_history

ROW = "{id},acme,2,{title},2026-03-03T14:00:00Z,,,2026-03-03T15:00:00Z,,,"
OBJECT = {"external_id": "J-1", "customer": "acme", "severity": 2, "title": "Checkout slow",
          "opened_at": "2026-03-03T14:00:00Z", "resolved_at": "2026-03-03T15:00:00Z"}  # fmt: skip


def refused(done: object, engine: Engine) -> str:
    """The command's stderr, after checking it refused the file cleanly."""
    assert getattr(done, "returncode") == 1, getattr(done, "stdout")  # noqa: B009
    stderr: str = getattr(done, "stderr")  # noqa: B009
    assert "Traceback" not in stderr, stderr
    assert count(engine, Incident) == 0
    return stderr


def titles(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        rows = session.execute(select(Incident.source_ts, Incident.title)).all()
        return {str(key): title for key, title in rows}


EARLY, LATE = "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"
MARCH = "2026-03-03T15:00:00Z"


@pytest.mark.parametrize(
    ("opened", "resolved", "said"),
    [
        # Valid ISO 8601 whose UTC instant is outside what a datetime holds.
        (EARLY, MARCH, f"opened_at '{EARLY}' is outside the years 1 to 9999 in UTC"),
        (MARCH, LATE, f"resolved_at '{LATE}' is outside the years 1 to 9999 in UTC"),
        # A tool's "no date" (.NET's DateTime.MinValue): stored, then no report could show it.
        ("0001-01-01T00:00:00Z", MARCH, "opened_at '0001-01-01T00:00:00Z' is before 1970"),
    ],
)
def test_an_instant_out_of_range_is_a_line_not_a_traceback(
    engine: Engine, database_url: str, tmp_path: Path, opened: str, resolved: str, said: str
) -> None:
    row = f"Z-1,acme,2,Old,{opened},,,{resolved},,,"
    path = write(tmp_path, "history.csv", [HEADER, row])
    stderr = refused(supportbot(database_url, tmp_path, "import", "incidents", str(path)), engine)
    assert f"{path}:2: {said}" in stderr


def test_a_duplicated_column_is_refused_not_last_one_wins(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    # Two "title" columns (a spreadsheet's copied column): which one is the title?
    path = write(
        tmp_path, "history.csv", [HEADER + ",title", ROW.format(id="Z-1", title="A") + ",B"]
    )
    stderr = refused(supportbot(database_url, tmp_path, "import", "incidents", str(path)), engine)
    assert f"{path}:1: duplicate column(s) title" in stderr


def test_a_row_with_line_breaks_in_a_cell_is_named_by_the_line_it_starts_on(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    multi = 'Z-1,acme,2,"Checkout down,\nthen up,\nthen down",2026-03-03T14:00:00Z,,,' \
        "2026-03-03T13:00:00Z,,,"  # fmt: skip
    path = write(tmp_path, "history.csv", [HEADER, multi, ROW.format(id="Z-2", title="x" * 201)])
    stderr = refused(supportbot(database_url, tmp_path, "import", "incidents", str(path)), engine)
    assert f"{path}:2: resolved_at 2026-03-03T13:00:00Z is before opened_at" in stderr
    assert f"{path}:5: title is longer than 200 characters" in stderr


def test_unicode_separators_inside_a_cell_stay_in_the_cell(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    # RFC 4180 ends a record at CR or LF only; U+2028 (pasted from a web page), a form feed
    # or NEL are characters of the title. JSON strings may hold U+2028 raw.
    odd = {"Z-1": "Foo\u2028Bar", "Z-2": "Page\x0cbreak", "Z-3": "Next\x85line"}
    rows = [ROW.format(id=key, title=title) for key, title in odd.items()]
    csv_file = write(tmp_path, "history.csv", [HEADER, *rows])
    done = supportbot(database_url, tmp_path, "import", "incidents", str(csv_file))
    assert done.returncode == 0, done.stderr
    assert titles(engine) == odd
    with Session(engine) as session:
        notes = session.scalars(select(TimelineEvent.text).where(TimelineEvent.kind == "imported"))
        assert sorted(notes) == [f"imported from history.csv line {n} (external id Z-{n - 1})"
                                 for n in (2, 3, 4)]  # fmt: skip
    lines = tmp_path / "more.json"
    lines.write_text(json.dumps(dict(OBJECT, title="A\u2028B"), ensure_ascii=False) + "\n",
                     encoding="utf-8")  # fmt: skip
    done = supportbot(database_url, tmp_path, "import", "incidents", str(lines))
    assert done.returncode == 0, done.stderr
    assert titles(engine)["J-1"] == "A\u2028B"


def test_a_json_string_is_not_taken_for_a_problem(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "history.json"
    path.write_text('"all good, nothing to see"\n', encoding="utf-8")
    stderr = refused(supportbot(database_url, tmp_path, "import", "incidents", str(path)), engine)
    assert f"{path}:1: each incident must be an object" in stderr
    assert "all good, nothing to see" not in stderr


def test_json_values_that_are_not_text_numbers_or_booleans_are_refused(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "history.json"
    row = dict(OBJECT, external_id={"id": 7}, title=["Checkout", "down"])
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    stderr = refused(supportbot(database_url, tmp_path, "import", "incidents", str(path)), engine)
    assert f"{path}:1: external_id must be a text, number or true/false" in stderr
    assert f"{path}:1: title must be a text, number or true/false" in stderr


def test_a_truncated_file_is_refused(engine: Engine, database_url: str, tmp_path: Path) -> None:
    # Cut off after a whole element (a full disk, a broken download): the rest is lost.
    array = tmp_path / "history.json"
    array.write_text("[\n" + json.dumps(OBJECT) + ",\n", encoding="utf-8")
    stderr = refused(supportbot(database_url, tmp_path, "import", "incidents", str(array)), engine)
    assert f"{array}:3: the array is not closed" in stderr
    # A quote never closed swallows every later row into one cell.
    unclosed = write(tmp_path, "history.csv", [HEADER, ROW.format(id="Z-1", title='"Oops'),
                                               ROW.format(id="Z-2", title="Fine")])  # fmt: skip
    stderr = refused(supportbot(database_url, tmp_path, "import", "incidents", str(unclosed)),
                     engine)  # fmt: skip
    assert f"{unclosed}:2: not CSV (" in stderr


def test_a_cell_too_big_for_the_csv_reader_is_a_line_not_a_traceback(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    path = write(tmp_path, "history.csv", [HEADER, ROW.format(id="Z-1", title="x" * 200_000)])
    stderr = refused(supportbot(database_url, tmp_path, "import", "incidents", str(path)), engine)
    assert f"{path}:2: not CSV (field larger than field limit" in stderr


def test_a_directory_is_named_as_one(engine: Engine, database_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "history.csv"
    folder.mkdir()
    stderr = refused(supportbot(database_url, tmp_path, "import", "incidents", str(folder)), engine)
    assert f"{folder}: is a directory, not a file" in stderr


@pytest.fixture
def clock() -> TravelClock:
    """Friday 6 March 2026, 15:30 UTC (16:30 in Berlin, 10:30 in New York): past, so the same
    incidents can be imported afterwards."""
    return TravelClock(datetime(2026, 3, 6, 15, 30, tzinfo=UTC))


def test_an_imported_incident_counts_as_the_same_incident_lived_on_the_desk(
    desk: Desk, database_url: str, tmp_path: Path
) -> None:
    # Lived: a Globex Sev2 (business hours, 2 h) opened Friday 16:30 Berlin, acknowledged
    # Monday 10:00 (2.5 business hours: late) and resolved at noon; an Acme Sev1 (24x7, 1 h)
    # acknowledged after 90 min (a 5,000.00 credit).
    rt = desk.rt
    globex, acme = rt.contracts.by_key("globex"), rt.contracts.by_key("acme")
    assert globex and acme
    late = intake.open_incident(rt, title="Search slow", severity=2, reporter=STAFF,
                                customer=globex)  # fmt: skip
    sev1 = intake.open_incident(rt, title="Checkout down", severity=1, reporter=STAFF,
                                customer=acme)  # fmt: skip
    desk.travel(timedelta(minutes=90))
    actions.acknowledge(rt, sev1.id, Actor.staff_member(STAFF))
    actions.resolve(rt, sev1.id, Actor.staff_member(STAFF), "rolled back")
    desk.travel(timedelta(days=2, hours=16))  # Monday 08:00 UTC, 09:00 Berlin
    desk.travel(timedelta(hours=1))
    actions.acknowledge(rt, late.id, Actor.staff_member(STAFF))
    desk.travel(timedelta(hours=2))
    actions.resolve(rt, late.id, Actor.staff_member(STAFF), "reindexed")
    desk.drain()

    # Imported: the same instants, from another tool.
    with rt.session() as session:
        lived = {i.id: i for i in session.scalars(select(Incident))}
        acks = dict(session.execute(
            select(TimelineEvent.incident_id, TimelineEvent.at)
            .where(TimelineEvent.kind == "status:acknowledged")
        ).all())  # fmt: skip

    def row(key: str, incident: Incident) -> str:
        at = {"opened": incident.opened_at, "ack": acks[incident.id],
              "first": incident.first_response_at, "resolved": incident.resolved_at}  # fmt: skip
        times = [t.isoformat() for t in at.values()]
        return ",".join([key, incident.customer or "", str(incident.severity), incident.title,
                         *times, incident.level, "", "false"])  # fmt: skip

    path = write(tmp_path, "history.csv", [HEADER, row("G-1", lived[late.id]),
                                           row("A-1", lived[sev1.id])])  # fmt: skip
    done = supportbot(database_url, tmp_path, "import", "incidents", str(path))
    assert done.returncode == 0, done.stderr
    with rt.session() as session:
        imported = {i.source_ts: i.id for i in session.scalars(
            select(Incident).where(Incident.source_channel == "import"))}  # fmt: skip

        def clocks(incident_id: int) -> set[tuple[object, ...]]:
            found = session.scalars(select(SlaClock).where(SlaClock.incident_id == incident_id))
            return {(c.kind, c.target_seconds, c.due_at, c.state, c.stopped_at) for c in found}

        assert clocks(imported["G-1"]) == clocks(late.id)
        assert clocks(imported["A-1"]) == clocks(sev1.id)
        assert ("response", "breached") in {(c[0], c[3]) for c in clocks(late.id)}

    report = supportbot(database_url, tmp_path, "report", "sla", "--month", "2026-03",
                        "--format", "json")  # fmt: skip
    assert report.returncode == 0, report.stderr
    figures = json.loads(report.stdout)
    breaches = sorted((b["incident"], b["target"]) for b in figures["breaches"])
    pairs = {f"INC-{late.id}": f"INC-{imported['G-1']}", f"INC-{sev1.id}": f"INC-{imported['A-1']}"}
    assert sorted((pairs.get(k, k), t) for k, t in breaches if k in pairs) == sorted(
        (k, t) for k, t in breaches if k not in pairs
    )
    for customer in ("acme", "globex"):
        credits = supportbot(database_url, tmp_path, "report", "credits", "--month", "2026-03",
                             "--customer", customer, "--format", "json")  # fmt: skip
        assert credits.returncode == 0, credits.stderr
        lines = {line["incident"]: line["amount"] for line in json.loads(credits.stdout)["lines"]
                 if line["incident"]}  # fmt: skip
        assert customer != "acme" or sorted(lines.values()) == ["5000.00", "5000.00"]
        assert {pairs.get(k, k): v for k, v in lines.items() if k in pairs} == {
            k: v for k, v in lines.items() if k not in pairs
        }


def test_two_imports_of_one_file_at_once_store_each_incident_once(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    # A re-run started while the first still runs (a retried cron job, two operators): both
    # read "none of these ids stored yet" before either committed.
    rows = [ROW.format(id=f"R-{n}", title=f"Row {n}") for n in range(4000)]
    path = write(tmp_path, "history.csv", [HEADER, *rows])
    env = supportbot_env(database_url, tmp_path)
    command = [sys.executable, "-m", "supportbot", "import", "incidents", str(path)]
    runs = [subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]  # fmt: skip
    outputs = [run.communicate(timeout=120) for run in runs]
    for run, (_, stderr) in zip(runs, outputs, strict=True):
        assert run.returncode in (0, 1) and "Traceback" not in stderr, stderr
    with Session(engine) as session:
        stored = session.execute(select(func.count(), func.count(distinct(Incident.source_ts))))
        assert tuple(stored.one()) == (4000, 4000)
    assert any(run.returncode == 0 for run in runs), outputs


def test_a_duplicate_of_a_row_refused_for_something_else_is_said_too(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    """Two rows share an external id and the first also lacks its title: both problems are
    printed at once, not the duplicate only after the title is fixed."""
    first = ROW.format(id="ZD-2006", title="")
    second = ROW.format(id="ZD-2006", title="Second")
    path = write(tmp_path, "history.csv", [HEADER, first, second])
    stderr = refused(supportbot(database_url, tmp_path, "import", "incidents", str(path)), engine)
    assert f"{path}:2: title is required" in stderr, stderr
    assert f"{path}:3: duplicate external_id 'ZD-2006' (first on line 2)" in stderr, stderr
