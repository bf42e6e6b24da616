"""``supportbot`` as a hostile or careless user runs it: a reader that goes away, a terminal
that is not UTF-8, a DATABASE_URL that does not parse, a database a newer release migrated,
a thread count of 0. Each ends in output or one error line, never a stack trace."""

from __future__ import annotations

import json
import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from supportbot.cli import build_parser
from tests.test_operator_errors import Supportbot

ASCII = {"PYTHONIOENCODING": "ascii"}


@pytest.fixture
def supportbot(tmp_path: Path) -> Supportbot:
    return Supportbot(tmp_path)


def test_check_and_migrate_end_quietly_when_the_reader_goes_away(supportbot: Supportbot) -> None:
    """``supportbot check | head -1`` ended in BrokenPipeError's traceback (``migrate``
    too, after migrating): the other commands already stop quietly."""
    command = f"{shlex.quote(sys.executable)} -m supportbot"
    for line in (f"{command} check --offline | true", f"{command} migrate | true"):
        done = subprocess.run(["sh", "-c", line], env=supportbot.base, cwd=supportbot.cwd,
                              capture_output=True, text=True, timeout=60)  # fmt: skip
        assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr


def test_a_terminal_that_is_not_utf8_gets_the_answer_escaped(supportbot: Supportbot) -> None:
    """With PYTHONIOENCODING=ascii, ``oncall`` ended in UnicodeEncodeError's traceback and
    ``report sla`` said "'ascii' codec can't encode character" as its error."""
    assert supportbot("migrate").code == 0
    at = ("--at", "2026-03-10T10:00Z")
    json_at = ("oncall", *at, "--json")
    text, as_json, utf8 = supportbot.all(
        [(("oncall", *at), ASCII), (json_at, ASCII), (json_at, {})]
    )
    for done in (text, as_json):
        assert done.code == 0 and "Traceback" not in done.err, done.err
    assert "Chlo\\u00e9 Martin" in text.out  # escaped, not lost
    assert json.loads(as_json.out) == json.loads(utf8.out)  # still valid JSON, same data
    for report in ("sla", "trend"):
        done = supportbot("report", report, "--month", "2026-03", **ASCII)
        assert done.code == 0 and done.err == "", done.err


@pytest.mark.parametrize("url", ["not a url", "mysql://someone@db.example/support"])
def test_an_unusable_database_url_is_one_line_for_reports_and_oncall(
    supportbot: Supportbot, url: str
) -> None:
    """``report`` and ``oncall`` built their engine outside any error handling: a stack."""
    reports = [(("report", r, "--month", "2026-03"), {"DATABASE_URL": url})
               for r in ("sla", "credits", "usage", "oncall", "trend")]  # fmt: skip
    for done in supportbot.all(reports):
        done.assert_refused("DATABASE_URL is not a database URL this install can use")
    # oncall answers from the rotation files without the overrides, and says so.
    board = supportbot("oncall", "--at", "2026-03-10T10:00Z", DATABASE_URL=url)
    assert board.code == 0 and "Traceback" not in board.err, board.err
    assert board.out.startswith("On call at Tue 10 Mar 2026 10:00 UTC")
    assert "DATABASE_URL is not a database URL" in board.err
    assert "without overrides" in board.err


def test_a_database_from_a_newer_release_is_named_not_a_stack(
    supportbot: Supportbot, tmp_path: Path
) -> None:
    """Alembic's "Can't locate revision" came out of ``migrate`` (and web, worker) as a
    traceback; the database must be left as it was."""
    assert supportbot("migrate").code == 0
    database = tmp_path / "db.sqlite3"
    with sqlite3.connect(database) as db:
        db.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    before = _dump(database)

    supportbot("migrate").assert_refused(
        "the database's schema is at revision 0099_from_the_future, which this supportbot "
        "does not know"
    )
    assert _dump(database) == before
    # `check` says so too: it passed, while web and worker would refuse to start.
    checked = supportbot("check", "--offline")
    assert checked.code == 1, checked
    assert "revision 0099_from_the_future, which this supportbot does not know" in checked.out


def _dump(database: Path) -> list[str]:
    db = sqlite3.connect(database)
    try:
        return list(db.iterdump())
    finally:
        db.close()


@pytest.mark.parametrize("threads", ["0", "-1"])
def test_web_refuses_a_thread_count_that_serves_nothing(
    threads: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``web --threads 0`` listened and never answered a request (not even /healthz)."""
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["web", "--threads", threads])
    assert exited.value.code == 2
    assert "argument --threads: must be at least 1" in capsys.readouterr().err
