"""The environment of a real ``supportbot web`` or ``worker`` a test starts as a subprocess."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

import requests

from supportbot.settings import Settings
from tests.conftest import REPO, SIGNING_SECRET

# Settings of the developer's shell that must not reach the process under test.
_OURS = ("SLACK_", "SUPPORTBOT_", "TWILIO_", "REDIS_", "DATABASE_", "PORT")


def process_env(s: Settings, tmp_path: Path, name: str) -> dict[str, str]:
    """The test's settings (Slack stand-in, Redis, database, data files) for a process
    called ``name``, with a data directory of its own; callers add what else it needs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)}
    return env | {
        "SLACK_BOT_TOKEN": s.slack_bot_token.get_secret_value() if s.slack_bot_token else "",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": s.slack_api_url,
        "REDIS_URL": str(s.redis_url),
        "DATABASE_URL": s.sqlalchemy_url,
        "SUPPORTBOT_TRIAGE_CHANNEL": str(s.triage_channel),
        "SUPPORTBOT_CONTRACTS_FILE": str(s.contracts_file),
        "SUPPORTBOT_TRIAGE_RULES_FILE": str(s.triage_rules_file),
        "SUPPORTBOT_ROTATIONS_DIR": str(s.rotations_dir),
        "SUPPORTBOT_DATA_DIR": str(tmp_path / f"{name}-var"),
        "SUPPORTBOT_BIND": "127.0.0.1",
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(
    condition: Callable[[], object], what: str | Callable[[], str], timeout: float = 30
) -> None:
    """``what`` says what never happened; a callable is asked only then."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what() if callable(what) else what}"
        time.sleep(0.1)


def web_up(port: int) -> bool:
    """A ``supportbot web`` on ``port`` answers its health check (200, or 503 naming a part)."""
    try:
        return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code in (200, 503)
    except requests.RequestException:
        return False
