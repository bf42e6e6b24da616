"""Data files and command arguments an operator gets wrong, run as the real command.

Each case is one an editor or another tool produces without anyone meaning harm: a file
saved as Latin-1, a target with a few digits too many, an export whose "never" is the year
9999, a description longer than the CSV reader's field limit. Each must end in lines naming
the file (and line), a non-zero exit and no stack trace; nothing is stored.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from supportbot.oncall import lookup
from supportbot.runtime import Runtime
from tests.test_live_files import data, settings
from tests.test_operator_errors import REPO, Supportbot

__all__ = [
    "data",
    "settings",
]  # the fixtures: editable copies of the data files, and settings on them


@pytest.fixture
def supportbot(tmp_path: Path) -> Supportbot:
    return Supportbot(tmp_path)


CUSTOMERS = REPO / "contracts" / "customers.yaml"
ROTATION = REPO / "rotations" / "follow-the-sun.yaml"
HEADER = "external_id,customer,severity,title,opened_at,resolved_at\n"


def _no_stack(out: str) -> None:
    assert "Traceback" not in out, out


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_a_customers_file_saved_as_latin1_names_file_and_line(
    supportbot: Supportbot, tmp_path: Path
) -> None:
    text = CUSTOMERS.read_text().replace("name: Globex GmbH", "name: Glöbex GmbH")
    path = tmp_path / "customers.yaml"
    path.write_bytes(text.encode("latin-1"))
    line = _line_of(text, "Glöbex")
    env = {"SUPPORTBOT_CONTRACTS_FILE": str(path)}

    check, deadline, run = supportbot.all(
        [
            (("check", "--offline"), env),
            (
                (
                    "sla",
                    "deadline",
                    "--customer",
                    "acme",
                    "--severity",
                    "1",
                    "--opened",
                    "2026-03-10T10:00Z",
                ),
                env,
            ),  # fmt: skip
            (("run",), env),
        ]
    )

    assert check.code == 1
    _no_stack(check.out + check.err)
    assert f"problem: {path}:{line}: " in check.out, check.out
    assert "UTF-8" in check.out, check.out
    assert deadline.code != 0
    _no_stack(deadline.out + deadline.err)
    assert f"{path}:{line}: " in deadline.err, deadline.err
    run.assert_refused(f"{path}:{line}: ")


def test_a_rotation_file_saved_as_latin1_names_file_and_line(
    supportbot: Supportbot, tmp_path: Path
) -> None:
    rotations = tmp_path / "rotations"
    rotations.mkdir()
    text = ROTATION.read_text()  # "Chloé Martin": the first byte Latin-1 writes otherwise
    (rotations / ROTATION.name).write_bytes(text.encode("latin-1"))
    path, line = rotations / ROTATION.name, _line_of(text, "Chloé")
    env = {"SUPPORTBOT_ROTATIONS_DIR": str(rotations)}

    check, oncall = supportbot.all([(("check", "--offline"), env), (("oncall",), env)])

    assert check.code == 1
    _no_stack(check.out + check.err)
    assert f"problem: {path}:{line}: " in check.out, check.out
    assert oncall.code == 1
    _no_stack(oncall.out + oncall.err)
    assert f"{path}:{line}: " in oncall.err, oncall.err


def test_a_target_too_long_for_any_calendar_is_refused_by_check(
    supportbot: Supportbot, tmp_path: Path
) -> None:
    # A few digits too many: `check` said "configuration OK" and every deadline of the
    # customer then failed with a stack (a date past the year 9999); more digits still
    # stopped `check` itself with one.
    text = CUSTOMERS.read_text()
    line = _line_of(text, "sev2: {response: 2h}")
    cases = []
    for target in ("999999999h", "99999999999999h", "9999999bd"):
        path = tmp_path / f"customers-{target}.yaml"
        path.write_text(text.replace("sev2: {response: 2h}", f"sev2: {{response: {target}}}"))
        env = {"SUPPORTBOT_CONTRACTS_FILE": str(path)}
        cases += [
            (("check", "--offline"), env),
            (
                (
                    "sla",
                    "deadline",
                    "--customer",
                    "globex",
                    "--severity",
                    "2",
                    "--opened",
                    "2026-03-10T10:00Z",
                ),
                env,
            ),  # fmt: skip
        ]

    done = supportbot.all(cases)

    for check, deadline in zip(done[::2], done[1::2], strict=True):
        _no_stack(check.out + check.err + deadline.out + deadline.err)
        assert check.code == 1, check.out
        assert f":{line}: customers[1].sla.targets" in check.out, check.out
        assert deadline.code != 0, deadline.out


def _incidents(tmp_path: Path) -> int:
    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        return int(db.execute("select count(*) from incidents").fetchone()[0])


def test_an_import_time_beyond_the_calendar_is_a_row_problem(
    supportbot: Supportbot, tmp_path: Path
) -> None:
    # Exports write "never" as 9999-12-31; in a zone west of UTC that is past the year 9999.
    assert supportbot("migrate").code == 0
    path = tmp_path / "history.csv"
    path.write_text(
        HEADER
        + "OK-1,acme,2,fine,2026-01-05T10:00:00Z,2026-01-05T12:00:00Z\n"
        + "X-1,acme,2,never,2026-01-05T10:00:00Z,9999-12-31T23:00:00-05:00\n"
        + "X-2,acme,2,dawn,0001-01-01T00:00:00+01:00,2026-01-05T12:00:00Z\n"
    )

    done = supportbot("import", "incidents", str(path))

    _no_stack(done.out + done.err)
    assert done.code == 1
    assert f"{path}:3: resolved_at " in done.err, done.err
    assert f"{path}:4: opened_at " in done.err, done.err
    assert _incidents(tmp_path) == 0, "nothing is stored unless every row is good"


def test_an_import_field_over_the_csv_limit_is_a_problem_not_a_stack(
    supportbot: Supportbot, tmp_path: Path
) -> None:
    assert supportbot("migrate").code == 0
    path = tmp_path / "history.csv"
    huge = "x" * 200_000  # a pasted log in the other tool's title column
    path.write_text(HEADER + f"X-1,acme,2,{huge},2026-01-05T10:00:00Z,2026-01-05T12:00:00Z\n")

    done = supportbot("import", "incidents", str(path), "--dry-run")

    _no_stack(done.out + done.err)
    assert done.code == 1
    assert f"{path}:2: " in done.err, done.err
    assert _incidents(tmp_path) == 0


# -- the same mistakes made while the service runs ------------------------------------------------
def test_a_latin1_or_control_character_edit_keeps_the_copy_and_names_the_line(
    rt: Runtime, data: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # An editor that saves Latin-1, and a terminal colour code pasted into a rotation: each
    # was "loading failed unexpectedly" with a stack in the log and no line for /healthz.
    contracts, rotation = data / "contracts" / "customers.yaml", data / "rotations" / ROTATION.name
    good, resolver = rt.contracts, lookup.resolver(rt)
    assert resolver is not None
    text = contracts.read_text().replace("name: Globex GmbH", "name: Glöbex GmbH")
    contracts.write_bytes(text.encode("latin-1"))
    rotation_text = rotation.read_text().replace("name: Greta Lind", "name: \x1b[31mGreta Lind")
    rotation.write_text(rotation_text)

    with caplog.at_level(logging.ERROR):
        assert rt.contracts is good
        assert lookup.resolver(rt) is resolver

    for source, path, line in (
        (rt.contracts_source, contracts, _line_of(text, "Glöbex")),
        (lookup.rotations(rt), rotation, _line_of(rotation_text, "\x1b")),
    ):
        problem = source.problem
        assert problem is not None and problem.kept, path
        assert problem.error.startswith(f"{path}:{line}: "), problem.error
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2 and all(r.exc_info is None for r in errors), caplog.text
