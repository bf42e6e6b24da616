"""``supportbot oncall``: the same board as ``/oncall``, for any instant, in-process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from supportbot.cli import main
from supportbot.oncall import Resolver, load_rotation
from supportbot.oncall.overrides import OverrideRequest, create_override
from supportbot.runtime import Runtime
from supportbot.settings import get_settings
from tests.oncall.conftest import SATURDAY_NOON, TUESDAY_10_DUBLIN
from tests.rotations.synthetic import EXAMPLE_DIR, one_region


@pytest.fixture
def env(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str
) -> Iterator[pytest.MonkeyPatch]:
    """The CLI reads its settings from the environment; no .env, no Slack, no Redis.

    Depends on ``database_url`` so that fixture reads the real DATABASE_URL before this one
    points the CLI at a fresh, unmigrated database."""
    monkeypatch.chdir(tmp_path)
    for name in ("REDIS_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SUPPORTBOT_ROTATIONS_DIR", str(EXAMPLE_DIR))
    monkeypatch.setenv("SUPPORTBOT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["oncall", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_text_board_for_a_tuesday(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--at", "2026-03-10T10:00Z")

    assert code == 0
    assert out.startswith("On call at Tue 10 Mar 2026 10:00 UTC\n")
    assert (
        "L1 · EMEA · roster\n    primary Chloé Martin [chloe] · secondary Aoife Byrne [aoife]"
        in out
    )
    assert "Tue 10 Mar 08:00 America/Chicago (13:00 UTC): EMEA → Americas" in out
    assert "+353" not in out  # phone numbers only in --json
    assert "run `supportbot migrate`" in err  # a fresh database: roster only, and it says so


def test_json_is_machine_readable_with_contacts(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--at", "2026-03-10T11:00+01:00", "--json")  # 10:00 UTC

    assert code == 0
    data = json.loads(out)
    assert data["at"] == "2026-03-10T10:00:00Z"
    assert data["overrides_included"] is False
    assert data["regions_on_shift"] == ["EMEA", "Asia-Pacific"]
    l1 = data["levels"][0]
    assert [level["level"] for level in data["levels"]] == ["L1", "L2", "L3"]
    assert (l1["region"], l1["source"], l1["time_zone"]) == ("EMEA", "roster", "Europe/Dublin")
    assert l1["primary"] == {
        "key": "chloe",
        "name": "Chloé Martin",
        "slack": "U0EMEA0003",
        "phone": "+353855550103",
    }
    assert l1["secondary"]["key"] == "aoife"
    assert (l1["shift_start"], l1["shift_end"]) == ("2026-03-10T08:00:00Z", "2026-03-10T13:00:00Z")
    assert "EMEA on shift" in l1["reason"]
    first = data["next_handoffs"][0]
    assert (first["at"], first["level"], first["region_changed"]) == (
        "2026-03-10T13:00:00Z",
        "L1",
        True,
    )
    assert first["at_local"] == "2026-03-10T08:00:00-05:00"
    assert (first["from"]["team"], first["to"]["team"]) == ("EMEA", "Americas")
    assert first["to"]["person"]["key"] == "carla"


def test_json_on_a_saturday_is_the_fallback(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(capsys, "--json", "--at", SATURDAY_NOON.isoformat())
    levels = json.loads(out)["levels"]
    assert {level["source"] for level in levels} == {"fallback"}
    assert {level["covered_by"] for level in levels} == {"Global weekend"}
    assert levels[0]["region"] is None


def test_overrides_in_the_database_are_shown(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], rt: Runtime
) -> None:
    found = Resolver(load_rotation(EXAMPLE_DIR))
    person = found.rotation.people["bram"]
    with rt.session() as session:
        create_override(
            session,
            found,
            OverrideRequest(person, timedelta(hours=2), "L1", "primary"),
            now=TUESDAY_10_DUBLIN - timedelta(hours=1),
            created_by="U0STAFF001",
        )
    env.setenv("DATABASE_URL", rt.settings.sqlalchemy_url)
    get_settings.cache_clear()

    code, out, err = run(capsys, "--at", "2026-03-10T10:00Z", "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    l1 = data["levels"][0]
    assert data["overrides_included"] is True
    assert (l1["source"], l1["primary"]["key"]) == ("override", "bram")
    assert (l1["shift_start"], l1["shift_end"]) == ("2026-03-10T09:00:00Z", "2026-03-10T11:00:00Z")
    # The override's end is the next change of the L1 pager.
    assert data["next_handoffs"][0]["at"] == "2026-03-10T11:00:00Z"
    assert data["next_handoffs"][0]["to"]["person"]["key"] == "chloe"

    # An hour after it ended, the roster is back.
    _, out, _ = run(capsys, "--at", "2026-03-10T12:00Z", "--json")
    assert json.loads(out)["levels"][0]["source"] == "roster"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-03-10T10:00", "has no UTC offset"),
        ("tomorrow", "is not an ISO 8601 time"),
        ("2026-13-01T10:00Z", "is not an ISO 8601 time"),
        ("9999-12-31T23:59:59Z", "the year must be from 1970 to 9998"),
        ("0001-01-01T00:00:00Z", "the year must be from 1970 to 9998"),
    ],
)
def test_naive_or_malformed_at_exits_2(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], value: str, message: str
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["oncall", "--at", value])
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


def test_invalid_rotation_files_exit_1_with_every_problem(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "rotations"
    broken.mkdir()
    (broken / "team.yaml").write_text("people:\n  ana: {slack: U0A, phone: '12'}\n")
    env.setenv("SUPPORTBOT_ROTATIONS_DIR", str(broken))
    get_settings.cache_clear()

    code, out, err = run(capsys)
    assert code == 1 and out == ""
    assert f"{broken / 'team.yaml'}:2" in err and "invalid phone number" in err


def test_a_level_nobody_covers_says_so_and_why(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rotations = tmp_path / "solo"
    rotations.mkdir()
    (rotations / "solo.yaml").write_text(one_region(fallback=False))  # only an L1 roster
    env.setenv("SUPPORTBOT_ROTATIONS_DIR", str(rotations))
    get_settings.cache_clear()

    _, out, _ = run(capsys, "--at", "2026-03-10T10:00Z", "--json")
    l2 = json.loads(out)["levels"][1]
    assert (l2["source"], l2["primary"], l2["region"], l2["time_zone"]) == (
        "nobody",
        None,
        None,
        "UTC",
    )
    assert l2["reason"] == "nobody on call for L2: no region on shift and no fallback L2 roster"
    _, text, _ = run(capsys, "--at", "2026-03-10T10:00Z")
    assert "L2 · no team · nobody\n    nobody holds this pager" in text
