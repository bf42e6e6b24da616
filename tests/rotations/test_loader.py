"""Rotation files: the example loads, and every bad entry is named with its file and line."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest

from supportbot.datafiles import DataFileError
from supportbot.oncall import DEFAULT_POLICY, load_rotation, parse_rotation
from tests.rotations.synthetic import EXAMPLE_DIR

GOOD = """\
people:
  alice: {slack: U0000000A1, phone: "+1 512 555 0101", name: Alice}
  bob: {slack: U0000000B2, phone: "+353 85 555 0102"}
regions:
  - name: EMEA
    time_zone: Europe/Dublin
    shift: {start: "08:00", end: "20:00"}
    holidays: {country: IE}
    rosters:
      L1: {rotation: daily, handoff_time: "08:00", start: 2025-01-06, primary: [alice, bob]}
"""


def problems(text: str, name: str = "r.yaml") -> list[str]:
    with pytest.raises(DataFileError) as caught:
        parse_rotation(text, name)
    return [str(problem) for problem in caught.value.problems]


def test_example_file_loads() -> None:
    rotation = load_rotation(EXAMPLE_DIR)
    assert [r.name for r in rotation.regions] == ["Americas", "EMEA", "Asia-Pacific"]
    assert [r.time_zone for r in rotation.regions] == [
        "America/Chicago",
        "Europe/Dublin",
        "Asia/Singapore",
    ]
    for region in rotation.regions:
        assert (region.shift.start, region.shift.end) == (time(8), time(20))
        assert set(region.rosters) == {"L1", "L2", "L3"}
        assert region.working_days == ["mon", "tue", "wed", "thu", "fri"]
    assert [r.holidays.describe() for r in rotation.regions if r.holidays] == ["US-TX", "IE", "SG"]
    assert rotation.fallback is not None and set(rotation.fallback.rosters) == {"L1", "L2", "L3"}
    assert rotation.management == ("morgan", "niamh")
    assert rotation.policy_for(1) == DEFAULT_POLICY
    assert rotation.people["aoife"].phone == "+353855550101"  # spaces removed


def test_good_file_normalises_values() -> None:
    rotation = parse_rotation(GOOD)
    assert rotation.people["alice"].phone == "+15125550101"
    assert rotation.people["alice"].key == "alice"
    assert rotation.people["bob"].label == "bob"
    roster = rotation.regions[0].rosters["L1"]
    assert roster.holders(0) == ("alice", "bob") and roster.holders(1) == ("bob", "alice")


def test_malformed_yaml_names_the_line() -> None:
    found = problems(GOOD + "  - name: [unclosed\n")
    assert len(found) == 1 and found[0].startswith("r.yaml:12:") and "invalid YAML" in found[0]


def test_unknown_time_zone_with_suggestion() -> None:
    (found,) = problems(GOOD.replace("Europe/Dublin", "Europe/Dublinn"))
    assert found.startswith("r.yaml:6: regions[0].time_zone: unknown time zone 'Europe/Dublinn'")
    assert "did you mean Europe/Dublin" in found


@pytest.mark.parametrize("phone", ["+0512555010", "15125550101", "+1512", "+1234567890123456"])
def test_invalid_phone_number(phone: str) -> None:
    (found,) = problems(GOOD.replace("+1 512 555 0101", phone))
    assert found.startswith("r.yaml:2: people.alice.phone: invalid phone number")


def test_invalid_slack_id() -> None:
    (found,) = problems(GOOD.replace("U0000000A1", "alice"))
    assert found.startswith("r.yaml:2: people.alice.slack: invalid Slack user id")


def test_unknown_person_in_roster() -> None:
    (found,) = problems(GOOD.replace("[alice, bob]", "[alice, carol]"))
    assert found == (
        "r.yaml:10: regions[0].rosters.L1.primary[1]: unknown person 'carol': "
        "declare it under people:"
    )


@pytest.mark.parametrize(
    ("window", "message"),
    [
        ('{start: "08:00", end: "08:00"}', "is empty"),
        ('{start: "25:00", end: "20:00"}', "start"),
        ('{start: "08:00:30", end: "20:00"}', "whole minutes"),
        ('{start: "08:00"}', "end"),
        ("{start: 8, end: 20}", "ambiguous time 8"),
    ],
)
def test_bad_shift_window(window: str, message: str) -> None:
    found = problems(GOOD.replace('{start: "08:00", end: "20:00"}', window))
    assert found and all(line.startswith("r.yaml:7: regions[0].shift") for line in found)
    assert message in "\n".join(found)


def test_unquoted_sexagesimal_time_is_read_as_clock_time() -> None:
    rotation = parse_rotation(GOOD.replace('end: "20:00"', "end: 20:00"))
    assert rotation.regions[0].shift.end == time(20)


def test_unknown_holiday_country_and_subdivision() -> None:
    (found,) = problems(GOOD.replace("{country: IE}", "{country: XX}"))
    assert found.startswith("r.yaml:8: regions[0].holidays.country: unknown holiday country 'XX'")
    (found,) = problems(GOOD.replace("{country: IE}", "{country: US, subdivision: ZZ}"))
    assert "unknown subdivision 'ZZ'" in found and found.startswith("r.yaml:8:")


def test_duplicate_region_names() -> None:
    second = GOOD.split("regions:\n", 1)[1]
    (found,) = problems(GOOD + second)
    assert found == "r.yaml:11: regions[1].name: duplicate region name 'EMEA' (first at r.yaml:5)"


def test_unknown_level_in_roster_and_in_escalation() -> None:
    text = GOOD.replace("      L1:", "      L4:") + (
        "escalation:\n  sev1:\n    steps:\n      - {after: 0m, page: [L1, L5.primary]}\n"
    )
    found = problems(text)
    assert (
        found[0] == "r.yaml:10: regions[0].rosters.L4: unknown level 'L4': rosters are L1, L2 or L3"
    )
    assert found[1].startswith("r.yaml:14: escalation.sev1.steps[0].page[1]: unknown level 'L5'")


def test_many_problems_are_reported_together() -> None:
    text = (
        GOOD.replace("+353 85 555 0102", "+353")
        .replace("Europe/Dublin", "Mars/Olympus")
        .replace("{country: IE}", "{country: XX}")
    )
    found = problems(text)
    assert [line.split(":")[1] for line in found] == ["3", "6", "8"]


def test_cross_reference_problems_are_reported_together() -> None:
    text = GOOD.replace("[alice, bob]", "[zed, bob]") + (
        "management: [boss]\npriority: [EMEA, APAC]\n"
        "fallback:\n  name: F\n  time_zone: UTC\n  rosters:\n"
        "    L2: {rotation: weekly, handoff_time: '12:00', start: 2025-01-03, primary: [nemo]}\n"
    )
    hint = ": declare it under people:"
    assert problems(text) == [
        f"r.yaml:10: regions[0].rosters.L1.primary[0]: unknown person 'zed'{hint}",
        f"r.yaml:17: fallback.rosters.L2.primary[0]: unknown person 'nemo'{hint}",
        f"r.yaml:11: management[0]: unknown person 'boss'{hint}",
        "r.yaml:12: priority[1]: unknown region 'APAC'",
    ]


def test_primary_and_secondary_clash() -> None:
    text = GOOD.replace("primary: [alice, bob]}", "primary: [alice, bob], secondary: [bob, bob]}")
    (found,) = problems(text)
    assert "'bob' would be primary and secondary at once" in found and found.startswith("r.yaml:10")


def test_duplicate_yaml_keys_are_refused() -> None:
    text = GOOD.replace("  bob:", "  alice:")
    (found,) = problems(text)
    assert found == "r.yaml:3: alice: duplicate key 'alice' (first on line 2)"


def test_escalation_policy_errors() -> None:
    text = GOOD + (
        "escalation:\n  sev2:\n    repeat: 2\n    steps:\n"
        "      - {after: 10m, page: [L1]}\n      - {after: 5m, page: [L2]}\n"
        "  sev9:\n    steps: [{after: 0m, page: [L1]}]\n"
    )
    found = problems(text)
    assert found[0].startswith("r.yaml:13: escalation.sev2: steps must come in order")
    assert (
        found[1]
        == "r.yaml:18: escalation.sev9: unknown severity 'sev9': use sev1, sev2, sev3 or sev4"
    )


def test_directory_of_files_is_merged_and_checked_across_files(tmp_path: Path) -> None:
    people, regions = GOOD.split("regions:\n", 1)
    (tmp_path / "people.yaml").write_text(people)
    (tmp_path / "regions.yaml").write_text("regions:\n" + regions)
    rotation = load_rotation(tmp_path)
    assert set(rotation.people) == {"alice", "bob"} and rotation.regions[0].name == "EMEA"

    (tmp_path / "more.yaml").write_text(people.replace("bob", "carol"))
    with pytest.raises(DataFileError) as caught:
        load_rotation(tmp_path)
    found, clash = [str(p) for p in caught.value.problems]
    assert found.startswith(f"{tmp_path / 'people.yaml'}:2: people.alice: person 'alice' already")
    assert f"declared at {tmp_path / 'more.yaml'}:2" in found
    assert clash == (
        f"{tmp_path / 'people.yaml'}:3: people.bob.slack: Slack id U0000000B2 is already 'carol'"
    )


def test_missing_directory_and_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="rotations directory not found"):
        load_rotation(tmp_path / "nope")
    with pytest.raises(DataFileError, match=r"no \*.yaml rotation files"):
        load_rotation(tmp_path)


def test_durations_accept_short_and_iso_forms() -> None:
    text = GOOD + (
        "escalation:\n  sev1:\n    repeat_after: PT2M\n    steps:\n"
        "      - {after: 0s, page: [L1]}\n      - {after: 1h30m, page: [management]}\n"
    )
    policy = parse_rotation(text).policy_for(1)
    assert [step.after for step in policy.steps] == [timedelta(0), timedelta(minutes=90)]
    assert policy.repeat_after == timedelta(minutes=2)
