"""The README's run command on a fresh machine: no Redis, no database, no credentials.

`supportbot run` must start an embedded Redis, migrate a SQLite file, serve the web app and
run the worker; it must answer signed Slack requests in local mode and stop cleanly.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from supportbot.clients.slack import LOCAL_TEAM_ID
from supportbot.devtools.slack_simulator import SlackInbound

REPO = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"supportbot run exited with {process.returncode}"
        try:
            response = requests.get(url, timeout=1)
            if response.status_code == 200:
                return response.json()
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} never became healthy")


def test_run_starts_everything_without_redis_or_credentials_and_stops_cleanly(
    tmp_path: Path,
) -> None:
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "TWILIO_", "SUPPORTBOT_"))
        and k not in ("REDIS_URL", "DATABASE_URL")
    }
    env |= {
        "PORT": str(port),
        "SUPPORTBOT_DATA_DIR": str(tmp_path / "var"),
        "SUPPORTBOT_TRIAGE_CHANNEL": "C0TRIAGE",
    }
    log = (tmp_path / "run.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "supportbot", "run"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        health = _wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
        assert health["database"] == "ok" and health["redis"] == "ok"
        assert health["slack"].startswith("local mode")
        # A signed /incident opens an incident in local mode (the secret lives in the data dir).
        secret = (tmp_path / "var" / "local-signing-secret").read_text().strip()
        inbound = SlackInbound(
            f"http://127.0.0.1:{port}/slack/events",
            secret,
            lambda: "http://127.0.0.1:9/response",
            team_id=LOCAL_TEAM_ID,  # the workspace local mode's auth.test names
        )
        response = inbound.command("sev2 checkout slow", user="U0ENGINEER", channel="C0TRIAGE")
        assert response.status_code == 200 and "Opened *INC-1*" in response.text
        # The worker posts the card; in local mode it is written to the log instead.
        deadline = time.monotonic() + 30
        while b"chat.postMessage" not in (tmp_path / "run.log").read_bytes():
            assert time.monotonic() < deadline, (tmp_path / "run.log").read_text()
            time.sleep(0.2)
        text = (tmp_path / "run.log").read_text()
        assert "Slack credentials missing" in text and "SLACK_BOT_TOKEN" in text
        # The worker's counts reach the web's /metrics (separate processes: the card's post
        # was counted in the worker's memory, which no /metrics served).
        served = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
        assert served.status_code == 200, served.text
        worker_post = 'supportbot_slack_calls_total{method="chat.postMessage",outcome="ok"}'
        assert worker_post in served.text, served.text[:2000]
        opened = 'supportbot_incidents_opened_total{severity="2"}'  # counted by the web
        assert opened in served.text
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(30)
        log.close()
    text = (tmp_path / "run.log").read_text()
    assert code == 0, text
    assert "Traceback" not in text
    # The embedded Redis went with it.
    redis_port = int(text.split("embedded Redis listening on redis://127.0.0.1:")[1].split("/")[0])
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", redis_port)) != 0
