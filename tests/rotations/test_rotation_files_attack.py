"""Rotation files that `supportbot check` accepted but that broke or silenced paging, and a
board that said "the fallback roster covers" when there was none."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from supportbot.check import Report
from supportbot.datafiles import DataFileError
from supportbot.oncall import Resolver, parse_rotation
from supportbot.oncall.board import build_board, to_text
from supportbot.oncall.check import check_rotations
from supportbot.settings import Settings
from tests.rotations.synthetic import one_region

SATURDAY_NOON = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
PEOPLE = """\
people:
  solo: {slack: U0SOLO0001, phone: "+353 85 555 0201"}
  boss: {slack: U0BOSS0001, phone: "+353 85 555 0203"}
"""
ALWAYS = """\
fallback:
  name: Night desk
  time_zone: Etc/UTC
  rosters:
    L1: {rotation: weekly, handoff_time: "12:00", start: 2025-01-03, primary: [solo]}
    L2: {rotation: weekly, handoff_time: "12:00", start: 2025-01-03, primary: [solo]}
    L3: {rotation: weekly, handoff_time: "12:00", start: 2025-01-03, primary: [solo]}
"""


def problems(text: str) -> str:
    with pytest.raises(DataFileError) as caught:
        parse_rotation(text, "r.yaml")
    return str(caught.value)


@pytest.mark.parametrize(
    ("where", "text"),
    [
        # Too big for a timedelta: `check` and `oncall` died with an OverflowError traceback.
        ("contact[1].after", "99999999999999h"),
        # Fits a timedelta, but "now + delay" overflowed when the Sev1 was paged: the step
        # failed as a whole and not even the immediate SMS went out.
        ("contact[1].after", "99999999h"),
        ("contact[1].after", "1000h"),
    ],
)
def test_absurd_contact_delay_is_refused(where: str, text: str) -> None:
    contact = f"contact: [sms, {{method: voice, after: {text}}}]"
    found = problems(
        PEOPLE.replace('"+353 85 555 0201"}', f'"+353 85 555 0201", {contact}}}')
        + ALWAYS
        + "management: [boss]\n"
    )
    assert f"people.solo.{where}" in found and "longer than 7 days" in found


@pytest.mark.parametrize("field", ["steps[1].after", "repeat_after"])
def test_absurd_escalation_delay_is_refused(field: str) -> None:
    policy = (
        "escalation:\n  sev1:\n    repeat_after: 99999999h\n    steps:\n"
        "      - {after: 0m, page: [L1]}\n      - {after: 5m, page: [L2]}\n"
    )
    if field == "steps[1].after":
        policy = policy.replace("repeat_after: 99999999h", "repeat_after: 5m")
        policy = policy.replace("after: 5m, page: [L2]", "after: 99999999h, page: [L2]")
    found = problems(PEOPLE + ALWAYS + "management: [boss]\n" + policy)
    assert f"escalation.sev1.{field}" in found and "longer than 7 days" in found


def run_check(tmp_path: Path, text: str) -> Report:
    rotations = tmp_path / "rotations"
    rotations.mkdir()
    (rotations / "r.yaml").write_text(text)
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        rotations_dir=rotations,
        data_dir=tmp_path / "var",
        database_url=f"sqlite:///{tmp_path / 'check.sqlite3'}",
        oncall_channel="C0ONCALL01",
    )
    report = Report()
    check_rotations(settings, report, at=SATURDAY_NOON)
    return report


def test_check_says_management_pages_nobody(tmp_path: Path) -> None:
    # The built-in policy pages management at 15 minutes; with nobody listed, every Sev1
    # said "nobody to page for management" at run time while `check` said nothing.
    report = run_check(tmp_path, PEOPLE + ALWAYS)
    assert any(
        "escalation sev1 (the built-in default) step 4 pages management" in p
        and "management: lists nobody" in p
        for p in report.problems
    ), report.problems


def test_check_says_a_step_of_secondaries_that_never_exist_pages_nobody(tmp_path: Path) -> None:
    policy = (
        "escalation:\n  sev1:\n    steps:\n      - {after: 0m, page: [L1.secondary]}\n"
        "      - {after: 5m, page: [L2, management]}\n"
    )
    report = run_check(tmp_path, PEOPLE + ALWAYS + "management: [boss]\n" + policy)
    assert report.problems == [
        f"{tmp_path / 'rotations'}: escalation sev1 step 1 pages L1.secondary, but no L1 "
        "roster has a secondary (one person and no secondary: list): that page reaches nobody"
    ]


def test_board_without_a_fallback_does_not_claim_one_covers() -> None:
    found = Resolver(parse_rotation(one_region(fallback=False)))
    text = to_text(build_board(found, SATURDAY_NOON, []))
    assert "fallback roster covers" not in text
    assert "Regions on shift: none, and there is no fallback roster: nobody is on call" in text
