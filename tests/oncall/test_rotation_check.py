"""``supportbot check`` for rotations: bad entries by file and line, every coverage gap."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from supportbot.check import Report
from supportbot.cli import main
from supportbot.db.models import OncallOverride
from supportbot.oncall import Resolver, coverage_gaps, lookup, parse_rotation
from supportbot.oncall.check import check_rotations
from supportbot.runtime import Runtime
from supportbot.settings import Settings, get_settings
from tests.oncall.conftest import TUESDAY_10_DUBLIN
from tests.rotations.synthetic import EXAMPLE_DIR, one_region

BROKEN = """\
version: 1
people:
  ana: {slack: U0AMER0001, phone: "+1 512 555 0101"}
  ben: {slack: U0AMER0002, phone: "555-0102"}
regions:
  - name: Americas
    time_zone: America/Austin
    shift: {start: "08:00", end: "20:00"}
    rosters:
      L1: {rotation: daily, handoff_time: "08:00", start: 2025-01-06, primary: [ana, ben]}
"""


def settings_for(tmp_path: Path, rotations: Path, **values: Any) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        rotations_dir=rotations,
        data_dir=tmp_path / "var",
        database_url=f"sqlite:///{tmp_path / 'check.sqlite3'}",
        **values,
    )


def run_check(settings: Settings) -> Report:
    report = Report()
    check_rotations(settings, report, at=TUESDAY_10_DUBLIN)
    return report


def test_every_bad_entry_is_named_with_file_and_line(tmp_path: Path) -> None:
    rotations = tmp_path / "rotations"
    rotations.mkdir()
    (rotations / "americas.yaml").write_text(BROKEN)
    (rotations / "zz-broken.yaml").write_text("people: [unclosed\n")
    report = run_check(settings_for(tmp_path, rotations, oncall_channel="C0ONCALL01"))

    americas, broken = rotations / "americas.yaml", rotations / "zz-broken.yaml"
    assert any(
        p.startswith(f"{americas}:4:") and "invalid phone number" in p for p in report.problems
    )
    assert any(
        p.startswith(f"{americas}:7:") and "unknown time zone 'America/Austin'" in p
        for p in report.problems
    )
    assert any(p.startswith(f"{broken}:") and "invalid YAML" in p for p in report.problems)


def test_gaps_are_listed_as_hour_ranges(tmp_path: Path) -> None:
    rotations = tmp_path / "rotations"
    rotations.mkdir()
    # One Dublin region, weekdays 08:00–20:00, and no fallback roster.
    (rotations / "solo.yaml").write_text(one_region(fallback=False))
    report = run_check(settings_for(tmp_path, rotations, oncall_channel="C0ONCALL01"))

    l1, l2, l3, management = report.problems
    assert "step 4 pages management, but management: lists nobody" in management
    lines = l1.splitlines()
    expected = coverage_gaps(
        Resolver(parse_rotation(one_region(fallback=False))), TUESDAY_10_DUBLIN, 90, levels=["L1"]
    )
    total = sum(len(gap.hours()) for gap in expected)
    assert lines[0].startswith(
        f"{rotations}: nobody is on call for L1 in {len(expected)} range(s), {total} hour(s) "
        "of the next 90 days (nobody on call for L1: no region on shift and no fallback L1 "
        "roster); add a fallback L1 roster or widen the shifts:"
    )
    assert len(lines) == 1 + len(expected)  # every range named
    # Tuesday night (Dublin is on GMT until 29 March), then the weekend.
    assert lines[1] == "  2026-03-10 20:00–2026-03-11 08:00 UTC (12 h)"
    assert "  2026-03-13 20:00–2026-03-16 08:00 UTC (60 h)" in lines
    # After the clocks change, the same local night is an hour earlier in UTC.
    assert "  2026-03-31 19:00–2026-04-01 07:00 UTC (12 h)" in lines
    # L2 and L3 have no roster at all: nobody for all 90 days, one range each.
    for level, problem in (("L2", l2), ("L3", l3)):
        assert problem.splitlines()[1:] == ["  2026-03-10 10:00–2026-06-08 10:00 UTC (2160 h)"]
        assert f"nobody is on call for {level} in 1 range(s), 2160 hour(s)" in problem


def test_example_rotation_has_no_gaps_but_needs_the_oncall_channel(tmp_path: Path) -> None:
    # A public URL: Slack and Twilio are meant to call in (not local mode).
    public = {"public_url": "https://desk.example.com"}
    report = run_check(settings_for(tmp_path, EXAMPLE_DIR, **public))

    missing = (
        "SUPPORTBOT_ONCALL_CHANNEL is not set: handoffs and override changes cannot be "
        "announced; set it to the on-call channel's id (README, 'Configuration')"
    )
    assert report.problems == [missing]
    # In local mode (no Slack credential, no public URL) Slack posts only go to the log.
    local = run_check(settings_for(tmp_path, EXAMPLE_DIR))
    assert local.problems == [] and missing in local.notes
    assert any(
        "3 region(s), 23 people, fallback Global weekend; no coverage gaps" in n
        for n in report.notes
    )
    assert any("SUPPORTBOT_CALENDAR_SECRET is not set" in n for n in report.notes)

    configured = settings_for(
        tmp_path, EXAMPLE_DIR, oncall_channel="C0ONCALL01", calendar_secret="s"
    )
    report = run_check(configured)
    assert report.problems == [] and len(report.notes) == 1


def test_an_override_for_someone_no_longer_in_the_rotation_is_reported(rt: Runtime) -> None:
    with rt.session() as session:
        session.add(
            OncallOverride(
                person="ghost", level="L1", slot="primary", start_at=TUESDAY_10_DUBLIN,
                end_at=TUESDAY_10_DUBLIN + timedelta(hours=2), created_by="U0STAFF001",
                created_at=TUESDAY_10_DUBLIN,
            )
        )  # fmt: skip
    settings = rt.settings.model_copy(update={"oncall_channel": "C0ONCALL01"})
    report = Report()
    check_rotations(settings, report, at=TUESDAY_10_DUBLIN + timedelta(hours=1))
    [problem] = report.problems
    assert "names 'ghost', who is not in the rotation files" in problem
    # The pager itself ignores it, with an error in the log, rather than fail a lookup.
    with rt.session() as session:
        answer = lookup.on_call(rt, session, "L1", TUESDAY_10_DUBLIN + timedelta(hours=1))
    assert answer is not None and answer.source == "roster"


def test_supportbot_check_prints_rotation_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rotations = tmp_path / "rotations"
    rotations.mkdir()
    (rotations / "americas.yaml").write_text(BROKEN)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("SUPPORTBOT_ROTATIONS_DIR", str(rotations))
    monkeypatch.setenv("SUPPORTBOT_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    try:
        assert main(["check"]) == 1
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    assert f"problem: {rotations / 'americas.yaml'}:4:" in out
    assert f"problem: {rotations / 'americas.yaml'}:7:" in out
