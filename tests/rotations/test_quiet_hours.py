"""Quiet hours and contact methods: the file format, its bad input, and brute force across DST.

The reference is naive on purpose: a minute-by-minute walk of the person's wall clock, read
as minutes since midnight, compared with the window as plain integers.
"""

from __future__ import annotations

import random
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from supportbot.datafiles import DataFileError
from supportbot.oncall import parse_rotation
from supportbot.oncall.model import Person
from supportbot.oncall.quiet import contact_plan, is_quiet, quiet_end

BASE = """\
people:
  ana:
    slack: U0AMER0001
    phone: "+1 512 555 0101"
{extra}management: [ana]
fallback:
  name: F
  time_zone: Etc/UTC
  rosters: {{L1: {{rotation: weekly, handoff_time: "12:00", start: 2025-01-03, primary: [ana]}}}}
"""


def ana(extra: str) -> Person:
    return parse_rotation(BASE.format(extra=extra)).people["ana"]


def problems(extra: str) -> list[str]:
    with pytest.raises(DataFileError) as caught:
        parse_rotation(BASE.format(extra=extra), "rotations/people.yaml")
    return [str(problem) for problem in caught.value.problems]


def test_contact_methods_in_order_with_a_second_phone() -> None:
    person = ana(
        "    second_phone: '+1 512 555 0199'\n"
        "    time_zone: America/Chicago\n"
        "    quiet_hours: {start: '22:00', end: '07:00'}\n"
        "    contact: [sms, {method: voice, after: 5m}, {method: sms, phone: second, after: 10m}]\n"
    )
    assert contact_plan(person) == [
        ("sms", "+15125550101", timedelta(0)),
        ("voice", "+15125550101", timedelta(minutes=5)),
        ("sms", "+15125550199", timedelta(minutes=10)),
    ]
    assert contact_plan(ana("")) == [
        ("sms", "+15125550101", timedelta(0)),
        ("voice", "+15125550101", timedelta(0)),
    ]


@pytest.mark.parametrize(
    ("extra", "line", "message"),
    [
        (
            "    time_zone: America/Chicago\n    quiet_hours: {start: '07:00', end: '07:00'}\n",
            6,
            "quiet hours 07:00–07:00 cover the whole day",
        ),
        (
            "    time_zone: America/Chicago\n    quiet_hours: {start: '00:00', end: '24:00'}\n",
            6,
            "cover the whole day",
        ),
        (  # issue 13's "quiet hours that cover the whole day": one minute awake is none
            "    time_zone: America/Chicago\n    quiet_hours: {start: '00:00', end: '23:59'}\n",
            6,
            "quiet hours 00:00–23:59 cover the whole day (awake 1 min of 24 h",
        ),
        (
            "    time_zone: Europe/Dublin\n    quiet_hours: {start: '08:00', end: '07:01'}\n",
            6,
            "quiet hours 08:00–07:01 cover the whole day (awake 59 min of 24 h",
        ),
        ("    quiet_hours: {start: '22:00', end: '07:00'}\n", 3, "need the person's time_zone"),
        ("    time_zone: Mars/Olympus\n", 5, "Mars/Olympus"),
        ("    contact: [{method: voice, phone: second}]\n", 3, "second_phone is not set"),
        ("    contact: [pigeon]\n", 5, "'sms' or 'voice'"),
        ("    contact: [{method: sms, after: soon}]\n", 5, "invalid duration"),
        ("    contact: []\n", 5, "at least 1"),
        ("    second_phone: '12345'\n", 5, "invalid phone number"),
    ],
)
def test_bad_personal_rules_are_refused_with_file_and_line(
    extra: str, line: int, message: str
) -> None:
    found = problems(extra)
    assert any(message in p for p in found), found
    assert any(p.startswith(f"rotations/people.yaml:{line}:") for p in found), found


@pytest.mark.parametrize(
    ("start", "end"), [("08:00", "07:00"), ("07:00", "06:00"), ("23:00", "22:00")]
)
def test_quiet_hours_leaving_one_hour_awake_are_accepted(start: str, end: str) -> None:
    person = ana(
        f"    time_zone: Europe/Dublin\n    quiet_hours: {{start: '{start}', end: '{end}'}}\n"
    )
    assert person.quiet_hours is not None
    assert person.quiet_hours.awake == timedelta(hours=1)


def test_supportbot_check_names_a_whole_day_of_quiet_hours(tmp_path: Path) -> None:
    rotations = tmp_path / "rotations"
    rotations.mkdir()
    extra = "    time_zone: Europe/Dublin\n    quiet_hours: {start: '00:00', end: '23:59'}\n"
    (rotations / "people.yaml").write_text(BASE.format(extra=extra))
    result = subprocess.run(
        [sys.executable, "-m", "supportbot", "check", "--offline"],
        env={"SUPPORTBOT_ROTATIONS_DIR": str(rotations), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 1
    assert f"{rotations / 'people.yaml'}:6:" in result.stdout + result.stderr
    assert "cover the whole day" in result.stdout + result.stderr


# --- brute force across DST --------------------------------------------------------------

ZONES = ("America/Chicago", "Europe/Dublin", "Asia/Singapore", "Australia/Lord_Howe")
WINDOWS = (
    ("22:00", "07:00"),
    ("01:30", "02:30"),  # inside the hour that is skipped or repeated
    ("00:30", "01:30"),
    ("23:00", "02:00"),
    ("02:00", "03:00"),
    ("09:00", "17:00"),
)


def minutes(text: str) -> int:
    hours, mins = text.split(":")
    return int(hours) * 60 + int(mins)


def naive_quiet(window: tuple[str, str], zone: ZoneInfo, at: datetime) -> bool:
    local = at.astimezone(zone)
    reading, start, end = local.hour * 60 + local.minute, *map(minutes, window)
    return start <= reading < end if start < end else reading >= start or reading < end


def transition_days(zone: ZoneInfo, year: int) -> list[date]:
    days, day = [], date(year, 1, 1)
    while day.year == year:
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        if (
            noon.astimezone(zone).utcoffset()
            != (noon - timedelta(days=1)).astimezone(zone).utcoffset()
        ):
            days.append(day)
        day += timedelta(days=1)
    return days


@pytest.mark.parametrize("zone_name", ZONES)
def test_quiet_hours_against_a_naive_minute_walk_across_dst(zone_name: str) -> None:
    zone, rng = ZoneInfo(zone_name), random.Random(zone_name)
    spans = []
    for year in (2025, 2026, 2027):
        for day in transition_days(zone, year):
            spans.append(datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(days=2))
        spans.append(datetime(year, rng.randint(1, 12), rng.randint(1, 28), tzinfo=UTC))
    checked = 0
    for window in WINDOWS:
        hours = f"{{start: '{window[0]}', end: '{window[1]}'}}"
        extra = f"    time_zone: {zone_name}\n    quiet_hours: {hours}\n"
        person = ana(extra)
        for begin in spans:
            walk = [begin + timedelta(minutes=m) for m in range(4 * 24 * 60)]
            flags = [naive_quiet(window, zone, at) for at in walk]
            awake_from: list[datetime | None] = [None] * len(walk)
            following = None
            for index in range(len(walk) - 1, -1, -1):
                following = walk[index] if not flags[index] else following
                awake_from[index] = following
            for index in range(0, 3 * 24 * 60, 7):
                at = walk[index]
                assert is_quiet(person, at) == flags[index], (window, at)
                expected = awake_from[index]
                if expected is not None:
                    assert quiet_end(person, at) == expected, (window, at.isoformat())
                    checked += 1
    assert checked > 10_000
