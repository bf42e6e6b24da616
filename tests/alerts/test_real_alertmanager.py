"""End to end with a real Prometheus Alertmanager (Debian's ``prometheus-alertmanager``):
its webhook receiver points at the running web app on 127.0.0.1; alerts posted to
Alertmanager's own API open the incident, and resolving them resolves it.

The binary is required, not optional: ``.ci/run`` installs the package when it is missing.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from supportbot.clock import TravelClock
from supportbot.db.models import Alert, Incident
from tests.alerts.conftest import TOKENS, Monitor

BINARY = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


@pytest.fixture
def clock() -> TravelClock:
    """Real time: Alertmanager stamps its alerts with its own clock."""
    return TravelClock(datetime.now(UTC), ticking=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(what: str, check: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def alertmanager(monitor: Monitor, tmp_path: Path) -> Iterator[str]:
    assert BINARY, (
        "prometheus-alertmanager is not installed: apt-get install -y prometheus-alertmanager "
        "(.ci/run installs it)"
    )
    port = _free_port()
    config = tmp_path / "alertmanager.yml"
    config.write_text(f"""\
route:
  receiver: supportbot
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: supportbot
    webhook_configs:
      - url: {monitor.pager.desk.url}/alerts/prometheus
        send_resolved: true
        http_config:
          authorization: {{type: Bearer, credentials: {TOKENS["prometheus"]}}}
""")
    log = (tmp_path / "alertmanager.log").open("w")
    process = subprocess.Popen(
        [BINARY, f"--config.file={config}", f"--storage.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait("Alertmanager to be ready", lambda: _ready(url, process))
        yield url
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def _ready(url: str, process: subprocess.Popen[bytes]) -> bool:
    assert process.poll() is None, "Alertmanager exited; see alertmanager.log in tmp_path"
    try:
        return requests.get(f"{url}/-/ready", timeout=1).ok
    except requests.ConnectionError:
        return False


def test_alertmanager_opens_and_resolves_an_incident(alertmanager: str, monitor: Monitor) -> None:
    started = datetime.now(UTC) - timedelta(seconds=5)
    alert = {
        "labels": {"alertname": "DiskFull", "severity": "warning", "instance": "db-1"},
        "annotations": {"summary": "disk 97% full on db-1", "runbook_url": "https://wiki/disk"},
        "generatorURL": "http://prometheus.internal:9090/graph?g0.expr=disk",
        "startsAt": started.isoformat(),
    }
    assert requests.post(f"{alertmanager}/api/v2/alerts", json=[alert], timeout=5).ok

    def opened() -> bool:
        with monitor.rt.session() as session:
            return session.query(Incident).count() == 1

    _wait("the incident to open", opened)
    incident = monitor.incident()
    assert incident.title == "DiskFull: disk 97% full on db-1" and incident.severity == 3
    assert incident.reporter == "alerts:prometheus"
    monitor.pager.desk.drain()
    assert (
        "1 firing, 0 resolved" in monitor.card() and "<https://wiki/disk|runbook>" in monitor.card()
    )

    ended = alert | {"endsAt": datetime.now(UTC).isoformat()}
    assert requests.post(f"{alertmanager}/api/v2/alerts", json=[ended], timeout=5).ok
    _wait("the incident to resolve", lambda: monitor.incident().status == "resolved")
    with monitor.rt.session() as session:
        row = session.query(Alert).one()
        assert row.status == "resolved" and row.incident_id == incident.id
    assert any("All 1 alert(s) resolved" in t for t in monitor.timeline())
