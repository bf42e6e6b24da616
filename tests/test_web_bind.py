"""``supportbot web`` listens where SUPPORTBOT_BIND (or ``--host``) says, loopback by default
in local mode, and its log line names the address it really binds."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from supportbot.devtools.local_mode import bind_address
from supportbot.settings import Settings

REPO = Path(__file__).resolve().parent.parent
_OURS = ("SLACK_", "SUPPORTBOT_", "TWILIO_", "REDIS_URL", "DATABASE_URL", "PORT")


@pytest.mark.parametrize(
    ("values", "host", "expected"),
    [
        ({}, None, "127.0.0.1"),
        ({"slack_bot_token": "xoxb-1"}, None, "0.0.0.0"),
        ({"slack_signing_secret": "secret"}, None, "0.0.0.0"),
        ({"slack_app_token": "xapp-1"}, None, "0.0.0.0"),
        ({"public_url": "https://bot.example.com"}, None, "0.0.0.0"),
        ({"public_url": "https://bot.example.com", "bind": "127.0.0.1"}, None, "127.0.0.1"),
        ({"bind": "0.0.0.0"}, None, "0.0.0.0"),
        ({"bind": "127.0.0.1"}, "0.0.0.0", "0.0.0.0"),
        ({"slack_bot_token": "xoxb-1"}, "::1", "::1"),
    ],
)
def test_bind_address(
    monkeypatch: pytest.MonkeyPatch, values: dict[str, str], host: str | None, expected: str
) -> None:
    for name in list(os.environ):
        if name.startswith(_OURS):
            monkeypatch.delenv(name)
    settings = Settings(_env_file=None, **values)  # type: ignore[arg-type]
    assert bind_address(settings, host) == expected


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _listening(port: int) -> set[str]:
    """IPv4 addresses with a listening TCP socket on ``port``, read from /proc/net/tcp."""
    found = set()
    for row in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = row.split()[1], row.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


def test_web_binds_what_it_says(tmp_path: Path, redis_url: str) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)}
    base |= {
        "REDIS_URL": redis_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SUPPORTBOT_DATA_DIR": str(tmp_path / "var"),
        "SUPPORTBOT_ROTATIONS_DIR": str(REPO / "rotations"),
        "SUPPORTBOT_CONTRACTS_FILE": str(REPO / "contracts" / "customers.yaml"),
        "SUPPORTBOT_TRIAGE_RULES_FILE": str(REPO / "contracts" / "triage.yaml"),
    }
    public = {"SUPPORTBOT_PUBLIC_URL": "https://supportbot.example.com"}
    cases = [  # (extra settings, extra arguments, the address it must bind)
        ({}, [], "127.0.0.1"),  # local mode
        (public, [], "0.0.0.0"),
        (public | {"SUPPORTBOT_BIND": "127.0.0.1"}, [], "127.0.0.1"),
        ({"SUPPORTBOT_BIND": "127.0.0.1"}, ["--host", "0.0.0.0"], "0.0.0.0"),
    ]
    started = []
    for number, (env, args, _) in enumerate(cases):
        port = _free_port()
        log = tmp_path / f"web-{number}.log"
        process = subprocess.Popen(
            [sys.executable, "-m", "supportbot", "web", *args],
            cwd=tmp_path,
            env=base | env | {"PORT": str(port)},
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        started.append((process, port, log))
    try:
        for (process, port, log), (_, _, expected) in zip(started, cases, strict=True):
            deadline = time.monotonic() + 60
            while not _listening(port):
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
            assert _listening(port) == {expected}, log.read_text()
            assert f"web listening on http://{expected}:{port}" in log.read_text()
            assert "start-up heap frozen" in log.read_text()  # supportbot.heap, before serving
    finally:
        for process, _, _ in started:
            process.send_signal(signal.SIGTERM)
        for process, _, _ in started:
            process.wait(30)


def test_web_starts_while_slack_is_unreachable_and_says_so(tmp_path: Path, redis_url: str) -> None:
    """Slack down at start is a warning, not a traceback: the web comes up, answers /healthz,
    and will answer Slack's requests once it is back (Bolt's own start-up auth.test raised)."""
    port, nowhere = _free_port(), _free_port()  # nothing listens on ``nowhere``
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)} | {
        "SLACK_BOT_TOKEN": "xoxb-0000-unreachable",
        "SLACK_SIGNING_SECRET": "s3cret-s3cret",
        "SLACK_API_URL": f"http://127.0.0.1:{nowhere}/api/",
        "REDIS_URL": redis_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SUPPORTBOT_DATA_DIR": str(tmp_path / "var"),
        "SUPPORTBOT_BIND": "127.0.0.1",
        "PORT": str(port),
    }
    log = tmp_path / "web.log"
    process = subprocess.Popen([sys.executable, "-m", "supportbot", "web"], cwd=REPO, env=env,
                               stdout=log.open("wb"), stderr=subprocess.STDOUT)  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while not _listening(port):
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        assert health.status_code in (200, 503) and "staff" in health.json()
        text = log.read_text()
        assert "Traceback" not in text and "xoxb-0000-unreachable" not in text
        assert "WARNING supportbot [" in text and "Slack is unreachable at SLACK_API_URL" in text
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(30)
