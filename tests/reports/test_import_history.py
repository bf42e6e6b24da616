"""``supportbot import incidents``: a history file comes in through the real command (a
subprocess), every bad row is reported with its file and line and nothing is stored, a
re-import stores nothing twice, and ``supportbot report sla`` then shows the history."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from supportbot.db.migrate import upgrade
from supportbot.db.models import Incident, SlaClock, SlaTimer, TimelineEvent
from supportbot.runtime import Runtime
from supportbot.slack import jobs as slack_jobs
from tests.conftest import REPO

HEADER = "external_id,customer,severity,title,opened_at,acknowledged_at,first_response_at," \
    "resolved_at,level,assignee,outage"  # fmt: skip
# Acme (Premier, New York): a Sev1 outage answered after 3 h (due 14:15: a $5,000 credit
# line), resolved at 17:45 (due 18:00).
LATE_SEV1 = "Z-1,acme,1,Checkout down,2026-03-03T14:00:00Z,2026-03-03T17:00:00Z," \
    "2026-03-03T17:00:00Z,2026-03-03T17:45:00Z,L2,U0STAFF001,true"  # fmt: skip
# Globex (Berlin), with an offset: acknowledged after 20 min, resolved at L1.
GLOBEX_SEV3 = "Z-2,globex,3,Slow search,2026-03-10T10:00:00+01:00,2026-03-10T10:20:00+01:00,," \
    "2026-03-11T10:00:00+01:00,L1,,"  # fmt: skip
INTERNAL_SEV4 = "Z-3,,4,Disk warning,2026-03-20T08:00:00Z,,2026-03-20T09:00:00Z," \
    "2026-03-20T12:00:00Z,,,false"  # fmt: skip
GOOD = [LATE_SEV1, GLOBEX_SEV3, INTERNAL_SEV4]


def supportbot(database_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = supportbot_env(database_url, tmp_path)
    command = [sys.executable, "-m", "supportbot", *args]
    return subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)  # fmt: skip


def supportbot_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": database_url,
        "SUPPORTBOT_CONTRACTS_FILE": str(REPO / "contracts" / "customers.yaml"),
        "SUPPORTBOT_ROTATIONS_DIR": str(REPO / "rotations"),
        "SUPPORTBOT_DATA_DIR": str(tmp_path / "cli-var"),
        # This checkout's code, not whichever copy the interpreter has installed.
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
    }


@pytest.fixture
def engine(database_url: str) -> Engine:
    made = create_engine(database_url)
    upgrade(made)
    return made


def write(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def count(engine: Engine, what: type) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(what)) or 0)


def test_a_history_file_is_imported_once_and_reported(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    path = write(tmp_path, "history.csv", [HEADER, *GOOD])
    done = supportbot(database_url, tmp_path, "import", "incidents", str(path))
    assert done.returncode == 0, done.stderr
    assert "imported 3, 0 already imported" in done.stdout
    with Session(engine) as session:
        stored = session.scalars(select(Incident).order_by(Incident.opened_at)).all()
        assert [(i.source_channel, i.source_ts, i.status) for i in stored] == [
            ("import", "Z-1", "resolved"), ("import", "Z-2", "resolved"),
            ("import", "Z-3", "resolved"),
        ]  # fmt: skip
        late, globex, internal = stored
        assert (late.level, late.assignee, late.outage, late.card_ts) == ("L2", "U0STAFF001",
                                                                          True, None)  # fmt: skip
        # No first response given: the acknowledgement was the first answer, as on the desk.
        assert globex.first_response_at == globex.opened_at.replace(minute=20 + 0)
        clocks = session.scalars(select(SlaClock).where(SlaClock.incident_id == late.id)).all()
        assert {(c.kind, c.state) for c in clocks} == {("response", "breached"),
                                                       ("resolution", "met")}  # fmt: skip
        assert session.scalar(select(func.count()).where(SlaClock.incident_id == internal.id)) \
            == 0  # fmt: skip
        unposted = select(func.count()).where(TimelineEvent.posted_internal_at.is_(None))
        assert session.scalar(unposted) == 0
    assert count(engine, SlaTimer) == 0

    again = supportbot(database_url, tmp_path, "import", "incidents", str(path))
    assert again.returncode == 0, again.stderr
    assert "imported 0, 3 already imported (skipped)" in again.stdout
    assert count(engine, Incident) == 3

    report = supportbot(database_url, tmp_path, "report", "sla", "--month", "2026-03",
                        "--format", "json")  # fmt: skip
    assert report.returncode == 0, report.stderr
    figures = json.loads(report.stdout)
    overall = next(g for g in figures["groups"] if g["grouping"] == "overall")
    assert (overall["opened"], overall["resolved"], overall["open_at_end"]) == (3, 3, 0)
    assert (overall["sev1"], overall["sev3"], overall["sev4"]) == (1, 1, 1)
    assert overall["mtta_s"] == (3 * 3600 + 20 * 60) / 2  # one internal never acknowledged
    assert overall["never_acknowledged"] == 1
    assert overall["escalated"] == 1  # the Sev1 reached L2
    assert [b["incident"] for b in figures["breaches"] if b["target"] == "response"] == [
        f"INC-{late.id}"
    ]
    credits = supportbot(database_url, tmp_path, "report", "credits", "--month", "2026-03",
                         "--customer", "acme", "--format", "json")  # fmt: skip
    assert credits.returncode == 0, credits.stderr
    lines = json.loads(credits.stdout)["lines"]
    assert [(line["incident"], line["amount"]) for line in lines] == [(f"INC-{late.id}", "5000.00")]


BAD = {
    "bad timestamp": ("Z-9,acme,2,Bad,yesterday,,,2026-03-04T10:00:00Z,,,",
                      "opened_at 'yesterday' is not a timestamp"),
    "naive timestamp": ("Z-9,acme,2,Naive,2026-03-04T09:00:00,,,2026-03-04T10:00:00Z,,,",
                        "opened_at '2026-03-04T09:00:00' has no offset"),
    "unknown customer": ("Z-9,umbrella,2,Who,2026-03-04T09:00:00Z,,,2026-03-04T10:00:00Z,,,",
                         "unknown customer 'umbrella'"),
    "resolved before opened": (
        "Z-9,acme,2,Backwards,2026-03-04T09:00:00Z,,,2026-03-04T08:00:00Z,,,",
        "resolved_at 2026-03-04T08:00:00Z is before opened_at 2026-03-04T09:00:00Z"),
    "duplicate external id": ("Z-1,acme,2,Again,2026-03-04T09:00:00Z,,,2026-03-04T10:00:00Z,,,",
                              "duplicate external_id 'Z-1' (first on line 2)"),
    "future": ("Z-9,acme,2,Later,2026-03-04T09:00:00Z,,,2999-01-01T00:00:00Z,,,",
               "resolved_at 2999-01-01T00:00:00Z is in the future"),
    "missing resolution": ("Z-9,acme,2,Open,2026-03-04T09:00:00Z,,,,,,", "resolved_at is required"),
    "bad severity": ("Z-9,acme,7,Sev7,2026-03-04T09:00:00Z,,,2026-03-04T10:00:00Z,,,",
                     "severity '7' is not 1, 2, 3 or 4"),
}  # fmt: skip


@pytest.mark.parametrize("kind", list(BAD))
def test_a_bad_row_is_named_by_file_and_line_and_nothing_is_stored(
    engine: Engine, database_url: str, tmp_path: Path, kind: str
) -> None:
    row, message = BAD[kind]
    path = write(tmp_path, "history.csv", [HEADER, LATE_SEV1, row, GLOBEX_SEV3])
    done = supportbot(database_url, tmp_path, "import", "incidents", str(path))
    assert done.returncode == 1
    assert f"{path}:3: {message}" in done.stderr
    assert "nothing imported" in done.stderr
    assert count(engine, Incident) == 0  # not even the good rows around it


def test_json_lines_and_arrays_name_their_lines_and_dry_run_stores_nothing(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    keys = HEADER.split(",")
    objects = [dict(zip(keys, line.split(","), strict=True)) for line in GOOD]
    lines = write(tmp_path, "history.json", [json.dumps(o) for o in objects])
    dry = supportbot(database_url, tmp_path, "import", "incidents", str(lines), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would import 3" in dry.stdout and "dry run: nothing stored" in dry.stdout
    assert count(engine, Incident) == 0
    objects[1]["opened_at"] = "2026-03-10 10:00"  # naive
    pretty = tmp_path / "array.json"
    pretty.write_text(json.dumps(objects, indent=2), encoding="utf-8")
    done = supportbot(database_url, tmp_path, "import", "incidents", str(pretty))
    assert done.returncode == 1
    second = json.dumps(objects, indent=2).splitlines().index("  {", 2) + 1
    assert f"{pretty}:{second}: opened_at '2026-03-10 10:00' has no offset" in done.stderr
    assert count(engine, Incident) == 0


@pytest.mark.parametrize(
    ("name", "text", "said"),
    [
        ("history.txt", "x", "write the history as FILE.csv or FILE.json"),
        ("history.csv", "external_id,title,sevrity\n", "unknown column(s) sevrity"),
        ("history.json", '{"external_id": "A"\n', "history.json:1: not JSON"),
        ("history.csv", HEADER + "\n", "no incidents in the file"),
    ],
)
def test_bad_files_are_refused_in_one_line(
    engine: Engine, database_url: str, tmp_path: Path, name: str, text: str, said: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    done = supportbot(database_url, tmp_path, "import", "incidents", str(path))
    assert done.returncode == 1
    assert said in done.stderr
    assert "Traceback" not in done.stderr


def test_imported_incidents_are_never_carded_by_the_reconciler(
    rt: Runtime, database_url: str, tmp_path: Path
) -> None:
    path = write(tmp_path, "history.csv", [HEADER, *GOOD])
    assert supportbot(database_url, tmp_path, "import", "incidents", str(path)).returncode == 0
    assert rt.settings.triage_channel  # the redriver cards incidents without one only then
    assert slack_jobs.unposted(rt) == 0
    with rt.session() as session:
        assert session.scalar(select(func.count()).select_from(Incident)) == 3


def test_a_file_that_is_not_utf8_is_named_with_where(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("external_id,title\nX-1,Caf\u00e9 down\n".encode("latin-1"))
    done = supportbot(database_url, tmp_path, "import", "incidents", str(path))
    assert done.returncode == 1
    assert f"{path}: not UTF-8 (byte 0xe9 at offset 25); save it as UTF-8" in done.stderr
    assert "Traceback" not in done.stderr
