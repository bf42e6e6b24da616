"""``supportbot check`` asks Slack and Twilio for real: tokens, channels and the account.

Run in-process through ``cli.main`` with only the environment an operator would set, against
the Slack and Twilio stand-ins on 127.0.0.1; one test runs the real command as a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from supportbot.cli import main
from supportbot.settings import get_settings
from tests.standins import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, SlackStandin, TwilioStandin
from tests.standins.slack_api import DEFAULT_APP_TOKEN, DEFAULT_TOKEN

REPO = Path(__file__).resolve().parent.parent
TRIAGE, ONCALL = "C0TRIAGE01", "C0ONCALL01"
_OURS = ("SLACK_", "SUPPORTBOT_", "TWILIO_", "REDIS_URL", "DATABASE_URL", "PORT")


@dataclass
class Operator:
    """An operator's shell: a clean environment, a working directory without a .env."""

    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]
    env: dict[str, str]

    def check(self, *args: str, **env: str | None) -> tuple[int, list[str], list[str]]:
        """Run ``supportbot check``; answer the exit code, the problems and the notes."""
        for name, value in {**self.env, **env}.items():
            if value is None:
                self.monkeypatch.delenv(name, raising=False)
            else:
                self.monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        try:
            code = main(["check", *args])
        finally:
            get_settings.cache_clear()
        out = self.capsys.readouterr().out.splitlines()
        problems = [line.removeprefix("problem: ") for line in out if line.startswith("problem:")]
        notes = [line.removeprefix("note: ") for line in out if line.startswith("note:")]
        return code, problems, notes


@pytest.fixture
def twilio_api() -> Iterator[TwilioStandin]:
    with TwilioStandin(hang_seconds=0.5) as standin:
        yield standin


@pytest.fixture
def operator(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    redis_url: str,
    slack_api: SlackStandin,
    twilio_api: TwilioStandin,
) -> Operator:
    for name in list(os.environ):
        if name.startswith(_OURS):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    slack_api.add_channel(TRIAGE, "triage")
    slack_api.add_channel(ONCALL, "oncall")
    env = {
        "SLACK_BOT_TOKEN": DEFAULT_TOKEN,
        "SLACK_SIGNING_SECRET": "s3cret-s3cret-s3cret",
        "SLACK_APP_TOKEN": DEFAULT_APP_TOKEN,
        "SLACK_API_URL": slack_api.api_url,
        "TWILIO_ACCOUNT_SID": TWILIO_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": "+15005550006",
        "TWILIO_API_URL": twilio_api.url,
        "SUPPORTBOT_PUBLIC_URL": "https://supportbot.example.com",
        "SUPPORTBOT_CALENDAR_SECRET": "calendar-secret-0123",
        "REDIS_URL": redis_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SUPPORTBOT_DATA_DIR": str(tmp_path / "var"),
        "SUPPORTBOT_TRIAGE_CHANNEL": TRIAGE,
        "SUPPORTBOT_ONCALL_CHANNEL": ONCALL,
        "SUPPORTBOT_CONTRACTS_FILE": str(REPO / "contracts" / "customers.yaml"),
        "SUPPORTBOT_TRIAGE_RULES_FILE": str(REPO / "contracts" / "triage.yaml"),
        "SUPPORTBOT_ROTATIONS_DIR": str(REPO / "rotations"),
    }
    return Operator(monkeypatch, capsys, env)


def test_a_working_configuration_is_checked_online_by_default_and_passes(
    operator: Operator, slack_api: SlackStandin, twilio_api: TwilioStandin
) -> None:
    code, problems, notes = operator.check()

    assert (code, problems) == (0, [])
    # Every call the product depends on was really made, with the configured credentials.
    assert [c.params["channel"] for c in slack_api.calls("conversations.info")] == [TRIAGE, ONCALL]
    for method in ("auth.test", "conversations.info"):
        assert {c.headers["authorization"] for c in slack_api.calls(method)} == {
            f"Bearer {DEFAULT_TOKEN}"
        }
    [connect] = slack_api.calls("apps.connections.open")
    assert connect.headers["authorization"] == f"Bearer {DEFAULT_APP_TOKEN}"
    assert connect.response["url"].startswith("ws://127.0.0.1:")
    [account] = twilio_api.calls("Accounts.fetch")
    assert account.status == 200
    assert any(f"in workspace {slack_api.team} ({slack_api.team_id})" in n for n in notes)
    assert f"SUPPORTBOT_TRIAGE_CHANNEL={TRIAGE} is #triage, and the bot is in it" in notes
    assert "Slack: SLACK_APP_TOKEN opens Socket Mode connections" in notes
    assert any(n.startswith("Twilio: account") and "is active" in n for n in notes)


def test_offline_makes_no_call(
    operator: Operator, slack_api: SlackStandin, twilio_api: TwilioStandin
) -> None:
    code, problems, notes = operator.check("--offline", SLACK_BOT_TOKEN="xoxb-rejected-later")

    assert (code, problems) == (0, [])
    assert slack_api.calls() == [] and twilio_api.calls() == []
    assert any(n.startswith("offline: Slack and Twilio were not asked") for n in notes)


def test_a_token_slack_rejects_is_one_problem_naming_the_setting_and_the_fix(
    operator: Operator, slack_api: SlackStandin
) -> None:
    code, problems, _ = operator.check(
        SLACK_BOT_TOKEN="xoxb-revoked-0000", SLACK_APP_TOKEN="xapp-1-A0APP00001-unknown"
    )

    assert code == 1
    assert problems == [
        "SLACK_BOT_TOKEN was rejected by Slack (invalid_auth): copy the Bot User OAuth Token "
        "(xoxb-…) from the app's OAuth & Permissions page (reinstall the app if it was revoked)",
        "SLACK_APP_TOKEN was rejected by Slack (invalid_auth): create an app-level token with "
        "connections:write (Basic Information → App-Level Tokens), or unset SLACK_APP_TOKEN to "
        "serve Slack over HTTP only",
    ]
    # The channels are not looked up with a token that does not work.
    assert slack_api.calls("conversations.info") == []


def test_swapped_tokens_are_named_and_never_sent(
    operator: Operator, slack_api: SlackStandin
) -> None:
    code, problems, _ = operator.check(
        "--online", SLACK_BOT_TOKEN=DEFAULT_APP_TOKEN, SLACK_APP_TOKEN=DEFAULT_TOKEN
    )

    assert code == 1
    assert len(problems) == 2, problems
    assert problems[0].startswith(
        "SLACK_BOT_TOKEN holds an app-level token (xapp-…): move it to SLACK_APP_TOKEN"
    )
    assert problems[1].startswith(
        "SLACK_APP_TOKEN holds a bot token (xoxb-…): that belongs in SLACK_BOT_TOKEN"
    )
    assert slack_api.calls() == []
    assert DEFAULT_TOKEN not in "\n".join(problems)


def test_channels_must_be_ids_that_exist_with_the_bot_in_them(
    operator: Operator, slack_api: SlackStandin
) -> None:
    code, problems, _ = operator.check(SUPPORTBOT_TRIAGE_CHANNEL="#triage")
    assert code == 1
    [problem] = problems
    assert problem.startswith("SUPPORTBOT_TRIAGE_CHANNEL='#triage' is a channel name, not an id")
    assert [c.params["channel"] for c in slack_api.calls("conversations.info")] == [ONCALL]

    code, problems, _ = operator.check(SUPPORTBOT_TRIAGE_CHANNEL="C0NOSUCH01")
    assert problems == [
        "SUPPORTBOT_TRIAGE_CHANNEL=C0NOSUCH01: no such channel, or a private one the bot is "
        "not in; set it to an existing channel's id and invite the bot: type /invite "
        "@supportbot in that channel"
    ]

    slack_api.add_channel(ONCALL, "oncall", is_member=False)
    code, problems, _ = operator.check()
    assert problems == [
        f"SUPPORTBOT_ONCALL_CHANNEL={ONCALL} (#oncall): the bot is not a member, so it can "
        "neither post nor read threads there; invite the bot: type /invite @supportbot in "
        "that channel"
    ]

    slack_api.add_channel(ONCALL, "oncall", is_archived=True)
    code, problems, _ = operator.check()
    assert problems == [
        f"SUPPORTBOT_ONCALL_CHANNEL={ONCALL} (#oncall) is archived: unarchive it or set "
        "another channel's id"
    ]
    assert code == 1


def test_a_missing_scope_says_to_reinstall_from_the_manifest(
    operator: Operator, slack_api: SlackStandin
) -> None:
    slack_api.inject("conversations.info", "missing_scope", times=2)

    code, problems, _ = operator.check()

    assert code == 1
    assert problems == [
        f"{name}: cannot look the channel up (missing_scope): reinstall the app from "
        "slack-app-manifest.yaml (it asks for channels:read, groups:read)"
        for name in ("SUPPORTBOT_TRIAGE_CHANNEL", "SUPPORTBOT_ONCALL_CHANNEL")
    ]


def test_twilio_credentials_and_account_are_checked(
    operator: Operator, twilio_api: TwilioStandin
) -> None:
    code, problems, _ = operator.check(TWILIO_AUTH_TOKEN="f" * 32)
    assert code == 1
    assert problems == [
        "TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN were rejected by Twilio (401, code 20003): "
        "copy both from the Twilio console's Account Info"
    ]
    assert "f" * 32 not in problems[0]

    twilio_api.account_status = "suspended"
    code, problems, _ = operator.check()
    assert problems == [
        f"TWILIO_ACCOUNT_SID={TWILIO_ACCOUNT_SID}: the Twilio account is suspended, so no page "
        "can be sent; reactivate it in the Twilio console"
    ]


def test_unreachable_services_are_named_not_raised(operator: Operator) -> None:
    closed = "http://127.0.0.1:9"  # the discard port: nothing listens there
    code, problems, _ = operator.check(SLACK_API_URL=closed + "/api/", TWILIO_API_URL=closed)

    assert code == 1
    slack, twilio = problems[0], problems[-1]
    assert len(problems) == 3, problems  # the bot token, the app token, Twilio
    assert slack.startswith("Slack is unreachable at SLACK_API_URL (")
    assert slack.endswith(
        "SLACK_BOT_TOKEN could not be checked; check the network (or SLACK_API_URL)"
    )
    assert twilio.startswith("Twilio is unreachable at TWILIO_API_URL (")


def test_without_credentials_it_works_offline(
    operator: Operator, slack_api: SlackStandin, twilio_api: TwilioStandin
) -> None:
    none = dict.fromkeys(
        ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "TWILIO_ACCOUNT_SID"),
        None,
    )
    none |= dict.fromkeys(("TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER"), None)

    code, problems, notes = operator.check(**none)
    assert code == 1
    assert problems == [
        "SLACK_BOT_TOKEN is not set; set it in the environment or .env (README, 'Configuration')",
        "SLACK_SIGNING_SECRET is not set; set it in the environment or .env (README, "
        "'Configuration')",
    ]
    assert slack_api.calls() == [] and twilio_api.calls() == []

    code, problems, notes = operator.check("--online", **none)
    assert "online: no Slack or Twilio credentials to try" in notes
    assert slack_api.calls() == [] and twilio_api.calls() == []


def test_check_online_as_a_real_command(
    tmp_path: Path, redis_url: str, slack_api: SlackStandin
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)}
    env |= {
        "SLACK_BOT_TOKEN": "xoxb-wrong",
        "SLACK_SIGNING_SECRET": "s3cret-s3cret-s3cret",
        "SLACK_API_URL": slack_api.api_url,
        "REDIS_URL": redis_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SUPPORTBOT_TRIAGE_CHANNEL": "triage",
        "SUPPORTBOT_ROTATIONS_DIR": str(REPO / "rotations"),
        "SUPPORTBOT_CONTRACTS_FILE": str(REPO / "contracts" / "customers.yaml"),
        "SUPPORTBOT_TRIAGE_RULES_FILE": str(REPO / "contracts" / "triage.yaml"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "supportbot", "check"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 1, done.stdout + done.stderr
    assert "problem: SLACK_BOT_TOKEN was rejected by Slack (invalid_auth)" in done.stdout
    assert "problem: SUPPORTBOT_TRIAGE_CHANNEL='triage' is a channel name, not an id" in done.stdout
    assert "xoxb-wrong" not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert [c.headers["authorization"] for c in slack_api.calls("auth.test")] == [
        "Bearer xoxb-wrong"
    ]
