"""``supportbot sla deadline``: in-process through ``cli.main`` and once as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportbot import cli
from supportbot.settings import get_settings
from tests.conftest import REPO

CONTRACTS = REPO / "contracts" / "customers.yaml"
GLOBEX_CAL = "business hours 08:00–18:00 Mon–Fri Europe/Berlin, holidays DE-BE"


@pytest.fixture(autouse=True)
def contracts_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Settings from a clean environment (no stray .env) pointing at the repo's contracts."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUPPORTBOT_CONTRACTS_FILE", str(CONTRACTS))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["sla", "deadline", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_business_hours_deadline_skips_the_weekend(capsys: pytest.CaptureFixture[str]) -> None:
    # Friday 18:30 in Berlin, after hours: the clock starts Monday 08:00.
    code, out, err = run(
        capsys, "--customer", "globex", "--severity", "2", "--opened", "2025-03-07T17:30:00Z"
    )

    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "Globex GmbH (globex)"
    assert lines[1].startswith("Standard Sev 2 (High), business-hours coverage; opened Fri")
    assert lines[2].startswith("Response due Mon 2025-03-10 10:00 CET (09:00 UTC): 2 h of ")
    assert f"business time ({GLOBEX_CAL}); clock started at the next opening, Mon " in lines[2]
    assert "Rule: contract override for Sev 2 (High) response" in lines[2]
    assert lines[3].startswith("Resolution due Fri 2025-03-14 16:00 CET (15:00 UTC): 48 h")
    assert lines[4] == "Reminders at 50%, 80% of each target."


def test_holidays_are_closed_days(capsys: pytest.CaptureFixture[str]) -> None:
    # Thursday 17:00 before Easter: 1 h on Thursday, then Good Friday, the weekend and Easter
    # Monday are closed in Berlin; the second hour is Tuesday 08:00-09:00.
    code, out, _ = run(
        capsys, "--customer", "Globex GmbH", "--severity", "high", "--opened",
        "2025-04-17T17:00:00+02:00",
    )  # fmt: skip

    assert code == 0
    assert "Response due Tue 2025-04-22 09:00 CEST (07:00 UTC)" in out


def test_wall_clock_sev1_and_name_lookup(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "--customer", "ACME CORP", "--severity", "sev1", "--opened", "2025-03-07T17:30Z"
    )

    assert code == 0
    assert "Premier Sev 1 (Critical), 24x7 coverage" in out
    assert "Response due Fri 2025-03-07 12:45 EST (17:45 UTC): 15 min of elapsed time" in out
    assert "(24x7 wall clock)" in out


def test_json_output_for_scripts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "--customer", "initech", "--severity", "4", "--opened",
        "2025-03-07T17:30:00+00:00", "--json",
    )  # fmt: skip

    assert code == 0
    data = json.loads(out)
    assert data["customer"] == {"key": "initech", "name": "Initech"}
    assert (data["tier"], data["severity"], data["coverage"]) == ("basic", 4, "business-hours")
    assert data["opened"] == "2025-03-07T17:30:00+00:00"
    assert data["calendar"]["timezone"] == "Asia/Singapore"
    assert data["calendar"]["holidays"] == "SG"
    assert data["response"]["due"] == "2025-03-20T09:00:00+00:00"
    assert data["response"]["clock"] == "business-hours"
    assert data["resolution"]["target"] == "15bd"
    assert data["resolution"]["counted_seconds"] == 15 * 8 * 3600
    assert data["resolution"]["due"] == "2025-03-28T09:00:00+00:00"
    assert data["reminder_thresholds"] == [0.5, 0.75, 0.9]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--customer", "umbrella", "--severity", "2", "--opened", "2025-03-07T17:30Z"],
            "error: unknown customer 'umbrella': use a key or name from the contracts file. "
            "Known customers: acme (Acme Corp), globex (Globex GmbH), initech (Initech)",
        ),
        (
            ["--customer", "acme", "--severity", "5", "--opened", "2025-03-07T17:30Z"],
            "error: --severity: unknown severity '5': use 1-4",
        ),
        (
            ["--customer", "acme", "--severity", "urgent", "--opened", "2025-03-07T17:30Z"],
            "error: --severity: unknown severity 'urgent'",
        ),
        (
            ["--customer", "acme", "--severity", "2", "--opened", "2025-03-07T17:30"],
            "error: --opened '2025-03-07T17:30' has no UTC offset; add one like +00:00 or Z",
        ),
        (
            ["--customer", "acme", "--severity", "2", "--opened", "2025-03-07"],
            # A day is no instant: the example to follow has a time and an offset.
            "error: --opened '2025-03-07' is not an ISO 8601 time; write it with an offset, "
            "e.g. 2025-03-07T17:30:00+00:00",
        ),
        (
            ["--customer", "acme", "--severity", "2", "--opened", "next friday"],
            "error: --opened 'next friday' is not an ISO 8601 time; write it with an offset",
        ),
        (
            ["--customer", "acme", "--severity", "2", "--opened", "2025-02-30T10:00Z"],
            "error: --opened '2025-02-30T10:00Z' is not an ISO 8601 time",
        ),
        (  # a "sev-1" is a Sev1; a bare -1 is no severity (it was read as 1)
            ["--customer", "acme", "--severity", "-1", "--opened", "2025-03-07T17:30Z"],
            "error: --severity: unknown severity '-1': use 1-4",
        ),
        (  # a traceback (OverflowError) at the calendar's ends
            ["--customer", "acme", "--severity", "2", "--opened", "9999-12-31T23:59:59Z"],
            "error: --opened '9999-12-31T23:59:59Z': the year must be from 1970 to 9998",
        ),
        (
            ["--customer", "acme", "--severity", "2", "--opened", "0001-01-01T00:00:00Z"],
            "error: --opened '0001-01-01T00:00:00Z': the year must be from 1970 to 9998",
        ),
    ],
)
def test_bad_input_is_named_with_a_non_zero_exit(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, *args)

    assert code == 2
    assert out == ""
    assert err.startswith(message), err


def test_missing_arguments_are_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["sla", "deadline", "--customer", "acme"])
    assert exited.value.code == 2
    assert "--severity" in capsys.readouterr().err


def test_a_broken_contracts_file_is_named_with_its_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = tmp_path / "customers.yaml"
    text = CONTRACTS.read_text().replace("tier: Basic", "tier: Diamond")
    broken.write_text(text)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "tier: Diamond" in row)
    monkeypatch.setenv("SUPPORTBOT_CONTRACTS_FILE", str(broken))
    get_settings.cache_clear()

    code, _, err = run(capsys, "--customer", "acme", "--severity", "2", "--opened", "2025-03-07Z")

    assert code == 2
    assert f"{broken}:{line}: customers[2].tier: unknown tier 'Diamond'" in err


def test_a_missing_contracts_file_is_named(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SUPPORTBOT_CONTRACTS_FILE", str(tmp_path / "nope.yaml"))
    get_settings.cache_clear()

    code, _, err = run(capsys, "--customer", "acme", "--severity", "2", "--opened", "2025-03-07Z")

    assert code == 2
    assert f"contracts file {tmp_path / 'nope.yaml'} not found" in err


def test_as_a_subprocess(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORTBOT_")}
    env["SUPPORTBOT_CONTRACTS_FILE"] = str(CONTRACTS)
    command = [sys.executable, "-m", "supportbot", "sla", "deadline"]
    ok = subprocess.run(
        [*command, "--customer", "acme", "--severity", "2", "--opened", "2025-03-07T17:30Z",
         "--json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    bad = subprocess.run(
        [*command, "--customer", "acme", "--severity", "2", "--opened", "2025-03-07T17:30"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip

    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["response"]["due"] == "2025-03-07T19:30:00+00:00"
    assert bad.returncode == 2
    assert "has no UTC offset; add one like +00:00 or Z" in bad.stderr
