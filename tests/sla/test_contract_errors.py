"""A contract the SLA code cannot honour is refused with file and line, and loses nothing.

Each broken copy differs from ``contracts/customers.yaml`` in one line; the error must name
that file and that line, say what is wrong and how to write it, and a reload must keep the
contracts already in force.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from supportbot.contracts.customers import load_contracts
from supportbot.datafiles import DataFileError
from supportbot.desk.actions import Actor
from supportbot.runtime import Runtime
from supportbot.sla.explain import sla_answer
from tests.conftest import REPO, Desk
from tests.support.records import GLOBEX_CHANNEL, dump
from tests.support.slack_requests import TRIAGE

CONTRACTS = (REPO / "contracts" / "customers.yaml").read_text()

# (what the good file says, what the broken copy says, what the error must say)
BROKEN = {
    "unknown tier": (
        "tier: Standard",
        "tier: Gold",
        "customers[1].tier: unknown tier 'Gold'; use one of Premier, Standard, Basic",
    ),
    "zero target": (
        "sev2: {response: 2h}",
        "sev2: {response: 0m}",
        "customers[1].sla.targets[2].response: target '0m' is zero; a target must be positive",
    ),
    "zero business days": (
        "sev2: {response: 2h}",
        "sev2: {resolution: 0bd}",
        "customers[1].sla.targets[2].resolution: target '0bd' is zero",
    ),
    "negative target": (
        "sev2: {response: 2h}",
        "sev2: {response: -30m}",
        "customers[1].sla.targets[2].response: target '-30m' is negative; a target must be "
        "positive",
    ),
    "target without a unit": (
        "sev2: {response: 2h}",
        "sev2: {response: 0}",
        "customers[1].sla.targets[2].response: a target needs a unit, got 0",
    ),
    "unknown holiday country": (
        "holidays: {country: SG}",
        "holidays: {country: XX}",
        "customers[2].business_hours.holidays.country: unknown holiday country 'XX': use an "
        "ISO 3166-1 alpha-2 code",
    ),
    "threshold above 1": (
        "thresholds: [0.5, 0.8]",
        "thresholds: [0.5, 1.2]",
        "customers[1].sla.thresholds: threshold 1.2 is outside (0, 1)",
    ),
    "threshold of 1": (
        "thresholds: [0.5, 0.8]",
        "thresholds: [0.5, 1]",
        "customers[1].sla.thresholds: threshold 1.0 is outside (0, 1)",
    ),
    "threshold of 0": (
        "thresholds: [0.5, 0.8]",
        "thresholds: [0, 0.8]",
        "customers[1].sla.thresholds: threshold 0.0 is outside (0, 1)",
    ),
    "negative threshold": (
        "thresholds: [0.5, 0.8]",
        "thresholds: [-0.5, 0.8]",
        "customers[1].sla.thresholds: threshold -0.5 is outside (0, 1)",
    ),
}


def broken_copy(tmp_path: Path, good: str, bad: str) -> tuple[Path, int]:
    """Write the contracts with one line changed; return the path and that line's number."""
    text = CONTRACTS.replace(good, bad)
    assert text != CONTRACTS, f"{good!r} is not in the contracts file"
    path = tmp_path / "customers.yaml"
    path.write_text(text)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if bad in row)
    return path, line


@pytest.mark.parametrize("case", list(BROKEN))
def test_each_problem_names_file_line_and_fix(tmp_path: Path, case: str) -> None:
    good, bad, message = BROKEN[case]
    path, line = broken_copy(tmp_path, good, bad)

    with pytest.raises(DataFileError) as caught:
        load_contracts(path)

    assert len(caught.value.problems) == 1, str(caught.value)
    problem = caught.value.problems[0]
    assert (problem.path, problem.line) == (str(path), line)
    assert str(problem).startswith(f"{path}:{line}: {message}"), str(problem)


def test_all_problems_of_a_file_are_named_at_once(tmp_path: Path) -> None:
    text = CONTRACTS
    for case in ("unknown tier", "zero target", "unknown holiday country", "threshold above 1"):
        good, bad, _ = BROKEN[case]
        text = text.replace(good, bad)
    path = tmp_path / "customers.yaml"
    path.write_text(text)

    with pytest.raises(DataFileError) as caught:
        load_contracts(path)

    lines = str(caught.value).splitlines()
    assert len(lines) == 4
    for case in ("unknown tier", "zero target", "unknown holiday country", "threshold above 1"):
        assert any(BROKEN[case][2] in row for row in lines), (case, lines)


@pytest.mark.parametrize("case", ["unknown tier", "zero target", "unknown holiday country",
                                  "threshold above 1"])  # fmt: skip
def test_a_broken_reload_keeps_the_contracts_in_force(
    desk: Desk, tmp_path: Path, case: str
) -> None:
    rt: Runtime = desk.rt
    path = tmp_path / "customers.yaml"
    path.write_text(CONTRACTS)
    rt.settings = rt.settings.model_copy(update={"contracts_file": path})
    rt.reload_files()
    desk.slack.command("sev2 invoices missing", channel=GLOBEX_CHANNEL)
    desk.drain()
    in_force, before = rt.contracts, dump(rt)
    explained = sla_answer(rt, Actor.staff_member("U0STAFF001"), "INC-1")

    good, bad, message = BROKEN[case]
    path.write_text(CONTRACTS.replace(good, bad))
    with pytest.raises(DataFileError) as caught:
        rt.reload_files()
    assert f"{path}:" in str(caught.value) and message in str(caught.value)

    assert rt.contracts is in_force
    globex = rt.contracts.by_key("globex")
    assert globex is not None and globex.tier == "standard"
    assert [float(f) for f in globex.sla.thresholds] == [0.5, 0.8]
    assert dump(rt) == before
    # The desk carries on under the old contracts: same explanation, new incidents open.
    assert (
        sla_answer(rt, Actor.staff_member("U0STAFF001"), "INC-1").split("\n")[:5]
        == explained.split("\n")[:5]
    )
    desk.slack.command("sev2 second problem", channel=GLOBEX_CHANNEL)
    desk.drain()
    assert "Globex GmbH" in sla_answer(rt, Actor.staff_member("U0STAFF001"), "INC-2")


def test_check_names_each_problem(tmp_path: Path, redis_url: str) -> None:
    text = CONTRACTS
    cases = ("unknown tier", "zero target", "unknown holiday country", "threshold above 1")
    for case in cases:
        good, bad, _ = BROKEN[case]
        text = text.replace(good, bad)
    contracts = tmp_path / "customers.yaml"
    contracts.write_text(text)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "SUPPORTBOT_", "TWILIO_", "REDIS_", "DATABASE_"))
    }
    env |= {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "s3cret-s3cret",
        "REDIS_URL": redis_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SUPPORTBOT_TRIAGE_CHANNEL": TRIAGE,
        "SUPPORTBOT_CONTRACTS_FILE": str(contracts),
        "SUPPORTBOT_TRIAGE_RULES_FILE": str(REPO / "contracts" / "triage.yaml"),
        "SUPPORTBOT_ROTATIONS_DIR": str(REPO / "rotations"),
    }

    done = subprocess.run(
        [sys.executable, "-m", "supportbot", "check", "--offline"],  # no slack.com from tests
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 1, done.stdout + done.stderr
    problems = [row for row in done.stdout.splitlines() if row.startswith("problem: ")]
    for case in cases:
        good, bad, message = BROKEN[case]
        line = next(n for n, row in enumerate(text.splitlines(), 1) if bad in row)
        assert f"problem: {contracts}:{line}: {message}" in "\n".join(problems), (case, problems)
    assert f"{len(problems)} problem(s) found" in done.stdout
    # One line per problem in the contracts file (other checks may add their own notes).
    assert len([row for row in problems if str(contracts) in row]) == len(cases)
