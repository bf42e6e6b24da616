"""What the operator must fix ends in one clear line each and exit status 1, never a stack.

Each case runs the real command (``python -m supportbot …``) with a crafted environment and a
temporary data dir, as an operator would on their first hour: a bad setting, an unusable
DATABASE_URL, a broken data file, a port in use, a token Slack rejects.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.standins import SLACK_TOKEN, SlackStandin

REPO = Path(__file__).resolve().parent.parent
_OURS = ("SLACK_", "SUPPORTBOT_", "TWILIO_", "REDIS_URL", "DATABASE_URL", "PORT")
ERROR = "supportbot: error: "


@dataclass
class Done:
    code: int
    out: str
    err: str

    @property
    def errors(self) -> list[str]:
        return [
            line.removeprefix(ERROR) for line in self.err.splitlines() if line.startswith(ERROR)
        ]

    def assert_refused(self, *expected: str) -> None:
        """Exit 1, exactly the expected error lines (each a prefix), and no stack trace."""
        everything = self.out + self.err
        assert self.code == 1, everything
        assert "Traceback" not in everything, everything
        assert len(self.errors) == len(expected), everything
        for line, start in zip(self.errors, expected, strict=True):
            assert line.startswith(start), (line, start)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Supportbot:
    """Runs ``supportbot`` in ``tmp_path`` with only the given settings besides the
    repository's data files, a SQLite file and a free PORT; :meth:`all` runs several at once
    (each start imports the whole product, about a second)."""

    def __init__(self, tmp_path: Path) -> None:
        self.cwd = tmp_path
        self.base = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)}
        self.base |= {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "SUPPORTBOT_DATA_DIR": str(tmp_path / "var"),
            "SUPPORTBOT_CONTRACTS_FILE": str(REPO / "contracts" / "customers.yaml"),
            "SUPPORTBOT_TRIAGE_RULES_FILE": str(REPO / "contracts" / "triage.yaml"),
            "SUPPORTBOT_ROTATIONS_DIR": str(REPO / "rotations"),
        }

    def __call__(self, *args: str, **env: str) -> Done:
        return self.all([(args, env)])[0]

    def all(self, cases: list[tuple[tuple[str, ...], dict[str, str]]]) -> list[Done]:
        started = [
            subprocess.Popen(
                [sys.executable, "-m", "supportbot", *args],
                cwd=self.cwd,
                env=self.base | {"PORT": str(_free_port())} | env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for args, env in cases
        ]
        done = []
        for process in started:
            try:
                out, err = process.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                out, err = process.communicate()
            done.append(Done(process.returncode, out, err))
        return done


@pytest.fixture
def supportbot(tmp_path: Path) -> Supportbot:
    return Supportbot(tmp_path)


@pytest.fixture
def slack() -> Iterator[SlackStandin]:
    with SlackStandin(hang_seconds=0.5) as standin:
        yield standin


def test_a_setting_that_does_not_parse_names_the_setting(supportbot: Supportbot) -> None:
    commands = ["run", "web", "worker", "migrate", "check"]
    for done in supportbot.all([((command,), {"PORT": "abc"}) for command in commands]):
        done.assert_refused("PORT='abc' is not valid (Input should be a valid integer")


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        # A negative interval made the worker spin at full CPU; no SMS (or call) in 15
        # minutes would hold every page back.
        ("SUPPORTBOT_RECONCILE_INTERVAL_SECONDS", "-1", "Input should be greater than 0"),
        ("SUPPORTBOT_PAGE_SMS_PER_15MIN", "0", "Input should be greater than or equal to 1"),
        ("SUPPORTBOT_PAGE_MIN_GAP_SECONDS", "-60", "Input should be greater than or equal"),
        # logging's own refusal was a traceback at start (`migrate`, `check` alike).
        ("SUPPORTBOT_LOG_LEVEL", "verbose", "use DEBUG, INFO, WARNING, ERROR or CRITICAL"),
    ],
)
def test_a_setting_out_of_range_is_refused_at_start(
    supportbot: Supportbot, name: str, value: str, says: str
) -> None:
    for done in supportbot.all([((command,), {name: value}) for command in ("worker", "check")]):
        done.assert_refused(f"{name}='{value}' is not valid ({says}")


def test_an_unusable_database_url_is_named_without_its_password(
    supportbot: Supportbot, redis_url: str
) -> None:
    cases = [
        ("migrate", "not a url", "Could not parse SQLAlchemy URL"),
        ("web", "postgresql://ops:hunter2@db.internal:port/prod", "invalid literal for int()"),
        ("worker", "mysql://ops:hunter2@db.internal/prod", "No module named"),
        ("run", "postgresql//ops:hunter2@db.internal/prod", "Could not parse SQLAlchemy URL"),
    ]
    runs = [
        ((command,), {"DATABASE_URL": url, "REDIS_URL": redis_url}) for command, url, _ in cases
    ]
    for done, (_, _, reason) in zip(supportbot.all(runs), cases, strict=True):
        done.assert_refused(f"DATABASE_URL is not a database URL this install can use ({reason}")
        assert "hunter2" not in done.out + done.err


def _broken(tmp_path: Path, source: Path, old: str, new: str) -> tuple[Path, int]:
    """A copy of ``source`` with ``old`` replaced; and the line it is on."""
    text = source.read_text()
    assert old in text
    line = text[: text.index(old)].count("\n") + 1
    target = tmp_path / "broken" / source.name
    target.parent.mkdir(exist_ok=True)
    target.write_text(text.replace(old, new, 1))
    return target, line


def test_a_broken_customers_file_names_file_and_line(
    supportbot: Supportbot, tmp_path: Path
) -> None:
    path, line = _broken(
        tmp_path, REPO / "contracts" / "customers.yaml", "tier: Standard", "tier: Gold"
    )

    done = supportbot("run", SUPPORTBOT_CONTRACTS_FILE=str(path))

    done.assert_refused(f"{path}:{line}: customers[1].tier:")
    assert not (tmp_path / "var" / "redis").exists(), "nothing is started before the check"


def test_a_broken_triage_file_names_file_and_line(
    supportbot: Supportbot, tmp_path: Path, redis_url: str
) -> None:
    path, line = _broken(tmp_path, REPO / "contracts" / "triage.yaml", "severity: 2", "severity: 7")

    supportbot("web", SUPPORTBOT_TRIAGE_RULES_FILE=str(path), REDIS_URL=redis_url).assert_refused(
        f"{path}:{line}: rules[2].severity:"
    )


def test_a_broken_rotation_file_names_file_and_line(
    supportbot: Supportbot, tmp_path: Path, redis_url: str
) -> None:
    path, line = _broken(
        tmp_path,
        REPO / "rotations" / "follow-the-sun.yaml",
        # The region's (a line of its own), not the commented personal-rules example above it.
        "time_zone: America/Chicago\n",
        "time_zone: America/Atlantis\n",
    )
    rotations = path.parent

    supportbot(
        "worker", SUPPORTBOT_ROTATIONS_DIR=str(rotations), REDIS_URL=redis_url
    ).assert_refused(f"{path}:{line}: regions[0].time_zone:")
    # Every problem, one line each: a second broken entry is a second line.
    text = path.read_text().replace("time_zone: Europe/Dublin", "time_zone: Europe/Lilliput")
    path.write_text(text)
    supportbot("run", SUPPORTBOT_ROTATIONS_DIR=str(rotations)).assert_refused(
        f"{path}:{line}: regions[0].time_zone:", f"{path}:"
    )


def test_a_port_in_use_says_so_and_starts_nothing(
    supportbot: Supportbot, tmp_path: Path, redis_url: str
) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        web = {"PORT": str(port), "REDIS_URL": redis_url}
        runs = supportbot.all([(("run",), {"PORT": str(port)}), (("web",), web)])

    for done in runs:
        done.assert_refused(f"port {port} is in use; set PORT")
    assert not (tmp_path / "var" / "redis").exists(), "run started no embedded Redis"


def test_a_token_slack_rejects_stops_the_start(
    supportbot: Supportbot, slack: SlackStandin, redis_url: str
) -> None:
    env = {
        "SLACK_BOT_TOKEN": "xoxb-not-the-real-one",
        "SLACK_SIGNING_SECRET": "s3cret-s3cret",
        "SLACK_API_URL": slack.api_url,
        "REDIS_URL": redis_url,
    }
    for done in supportbot.all([(("run",), env), (("web",), env), (("worker",), env)]):
        done.assert_refused("SLACK_BOT_TOKEN was rejected by Slack (invalid_auth): copy the Bot")
        assert "xoxb-not-the-real-one" not in done.out + done.err
    assert [c.response["error"] for c in slack.calls("auth.test")] == ["invalid_auth"] * 3


def test_an_app_token_in_the_bot_token_stops_the_web_before_any_call(
    supportbot: Supportbot, slack: SlackStandin, redis_url: str
) -> None:
    supportbot(
        "web",
        SLACK_BOT_TOKEN="xapp-1-A0APP00001-000-abc",
        SLACK_SIGNING_SECRET="s3cret-s3cret",
        SLACK_API_URL=slack.api_url,
        REDIS_URL=redis_url,
    ).assert_refused(
        "SLACK_BOT_TOKEN holds an app-level token (xapp-…): move it to SLACK_APP_TOKEN"
    )
    assert slack.calls() == []


def test_an_empty_signing_secret_is_named_not_a_stack(
    supportbot: Supportbot, slack: SlackStandin, redis_url: str
) -> None:
    """SLACK_SIGNING_SECRET= in .env: set (so not local mode) but nothing to verify with."""
    alone = {"SLACK_SIGNING_SECRET": "", "REDIS_URL": redis_url}
    with_token = alone | {"SLACK_BOT_TOKEN": "xoxb-1-2-abc", "SLACK_API_URL": slack.api_url}
    cases = [
        (("web",), alone),
        (("run",), alone),
        (("web",), with_token | {"SLACK_SIGNING_SECRET": "  "}),
    ]
    for done in supportbot.all(cases):
        done.assert_refused(
            "SLACK_SIGNING_SECRET is set but empty: set it to the Slack app's "
            "Signing Secret (Basic Information → App Credentials), or unset it"
        )
    assert slack.calls() == []


def test_migrate_needs_no_slack(supportbot: Supportbot, slack: SlackStandin) -> None:
    done = supportbot("migrate", SLACK_BOT_TOKEN="xoxb-wrong", SLACK_API_URL=slack.api_url)

    assert (done.code, done.out.strip()) == (0, "database is at the latest schema"), done.err
    assert slack.calls() == []


def test_an_unwritable_data_dir_names_the_path(supportbot: Supportbot, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")

    supportbot("migrate", DATABASE_URL="", SUPPORTBOT_DATA_DIR=str(blocker / "var")).assert_refused(
        f"{blocker / 'var'}: Not a directory"
    )


def test_a_missing_rotations_directory_is_named(
    supportbot: Supportbot, tmp_path: Path, redis_url: str
) -> None:
    missing = tmp_path / "no-rotations-here"

    supportbot("web", SUPPORTBOT_ROTATIONS_DIR=str(missing), REDIS_URL=redis_url).assert_refused(
        f"SUPPORTBOT_ROTATIONS_DIR='{missing}' is not a directory: set it to the folder"
    )


def test_no_triage_channel_is_said_by_the_worker(
    supportbot: Supportbot, slack: SlackStandin, redis_url: str
) -> None:
    """Not fatal, but not silent: without it no card reaches Slack (nor, in local mode, the
    log). Said by the worker, which posts cards: once under `supportbot run`."""
    env = {
        "SLACK_BOT_TOKEN": SLACK_TOKEN,
        "SLACK_SIGNING_SECRET": "s3cret-s3cret",
        "SLACK_API_URL": slack.api_url,
        "REDIS_URL": redis_url,
    }
    local = {"REDIS_URL": redis_url}
    without, in_local_mode, with_channel = supportbot.all(
        [
            (("worker", "--burst"), env),
            (("worker", "--burst"), local),
            (("worker", "--burst"), env | {"SUPPORTBOT_TRIAGE_CHANNEL": "C0TRIAGE"}),
        ]
    )
    said = "SUPPORTBOT_TRIAGE_CHANNEL is not set: incident cards"
    assert without.code == 0, without.err
    assert f"{said}" in without.err and "set it to the triage channel's id" in without.err
    assert in_local_mode.code == 0, in_local_mode.err
    assert said in in_local_mode.err and "(C0LOCAL) writes them to the log" in in_local_mode.err
    assert with_channel.code == 0, with_channel.err
    assert "SUPPORTBOT_TRIAGE_CHANNEL is not set" not in with_channel.err
