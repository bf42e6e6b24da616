"""``supportbot check`` in local mode, the README's default: no Slack credential and no
public URL, as ``make run`` starts. Missing Slack settings are what local mode runs with, so
they are notes and the check passes; what would stop ``supportbot run`` still fails it.

Each case runs the real command in a fresh data dir with the shipped data files, as the
operator errors do (tests/test_operator_errors.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_operator_errors import REPO, Done, Supportbot, _broken


@pytest.fixture
def supportbot(tmp_path: Path) -> Supportbot:
    found = Supportbot(tmp_path)
    del found.base["DATABASE_URL"]  # the default: SQLite in the (fresh) data dir
    return found


def lines(done: Done, kind: str) -> list[str]:
    return [row.removeprefix(kind) for row in done.out.splitlines() if row.startswith(kind)]


def test_check_in_local_mode_notes_missing_slack_settings_and_exits_0(
    supportbot: Supportbot,
) -> None:
    done = supportbot("check")

    assert "Traceback" not in done.out + done.err
    assert lines(done, "problem: ") == [], done.out
    assert done.code == 0, done.out + done.err
    notes = "\n".join(lines(done, "note: "))
    assert "local mode" in notes and "SLACK_BOT_TOKEN" in notes, notes
    assert "SUPPORTBOT_TRIAGE_CHANNEL is not set" in notes
    assert "SUPPORTBOT_ONCALL_CHANNEL is not set" in notes
    assert done.out.rstrip().endswith("configuration OK")


def test_check_in_local_mode_still_fails_on_a_broken_file_or_an_unreachable_redis(
    supportbot: Supportbot, tmp_path: Path
) -> None:
    path, line = _broken(
        tmp_path, REPO / "contracts" / "customers.yaml", "tier: Standard", "tier: Gold"
    )
    broken, unreachable = supportbot.all(
        [
            (("check",), {"SUPPORTBOT_CONTRACTS_FILE": str(path)}),
            (("check",), {"REDIS_URL": "redis://127.0.0.1:1/0"}),
        ]
    )

    assert broken.code == 1, broken.out + broken.err
    problems = lines(broken, "problem: ")
    assert problems and all(p.startswith(f"{path}:{line}: customers[1].tier:") for p in problems)
    assert unreachable.code == 1, unreachable.out + unreachable.err
    assert [p.split(":")[0] for p in lines(unreachable, "problem: ")] == [
        "Redis at REDIS_URL is unreachable"
    ], unreachable.out


def test_check_outside_local_mode_still_requires_the_slack_settings(
    supportbot: Supportbot,
) -> None:
    # A public URL means Slack and Twilio are meant to call in: not local mode.
    done = supportbot("check", SUPPORTBOT_PUBLIC_URL="https://desk.example.com")

    assert done.code == 1, done.out + done.err
    problems = "\n".join(lines(done, "problem: "))
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SUPPORTBOT_TRIAGE_CHANNEL"):
        assert f"{name} is not set" in problems, problems
    assert "SUPPORTBOT_ONCALL_CHANNEL is not set" in problems
