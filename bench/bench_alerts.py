"""Alert intake: alerts accepted per second into one group and across 1,000 groups, and the
time from an Alertmanager POST to the SMS at the Twilio stand-in against a signed
`/incident sev1` in the same run.

Real processes, as bench_sev1_page.py: `supportbot web` and `supportbot worker` on an
embedded Redis and a SQLite file (or --database-url), Twilio at the local stand-in, the
per-contact throttle off for the run. Throughput: 8 concurrent senders posting
Alertmanager v4 payloads of --batch alerts (one group: every batch adds new fingerprints to
the same group; 1,000 groups: each batch is a group of its own). Latency: each sample is a
new group firing one critical alert (an incident and a page each), alternating with a
signed `/incident sev1` in the same run.

    python bench/bench_alerts.py [--alerts 20000] [--batch 100] [--samples 200]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _common import free_port, load, row, start_server, summary  # noqa: E402

from supportbot.clients.slack import LOCAL_TEAM_ID  # noqa: E402
from supportbot.devtools.embedded_redis import EmbeddedRedis  # noqa: E402
from supportbot.devtools.slack_simulator import SlackInbound  # noqa: E402
from tests.standins import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TwilioStandin  # noqa: E402

SECRET = "bench-signing-secret"
TOKEN = "bench-alerts-token"


def _integrations(path: Path) -> Path:
    digest = hashlib.sha256(TOKEN.encode()).hexdigest()
    path.write_text(
        "integrations:\n  - key: prom\n    name: Bench Prometheus\n    format: alertmanager\n"
        f"    token_sha256: {digest}\n"
    )
    return path


def _payload(group: str, prints: list[str], severity: str = "critical") -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    alerts = [
        {"status": "firing", "labels": {"alertname": group, "severity": severity, "i": p},
         "annotations": {"summary": f"{group} on {p}"}, "startsAt": now,
         "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prom/graph", "fingerprint": p}
        for p in prints
    ]  # fmt: skip
    return {"version": "4", "groupKey": f'{{}}:{{alertname="{group}"}}', "status": "firing",
            "receiver": "bench", "groupLabels": {"alertname": group}, "commonLabels": {},
            "commonAnnotations": {}, "externalURL": "", "alerts": alerts}  # fmt: skip


def _throughput(url: str, alerts: int, batch: int, groups: int) -> float:
    """One group: requests of ``batch`` new alerts each. Many: one request per group."""
    session = requests.Session()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    if groups > 1:
        batch = max(1, alerts // groups)
    total = alerts // batch

    def send(i: int) -> None:
        group = "storm" if groups == 1 else f"g{i}-of-{groups}"
        prints = [f"{groups}-{i}-{j}" for j in range(batch)]
        answer = session.post(url, json=_payload(group, prints, "warning"), headers=headers,
                              timeout=60)  # fmt: skip
        if answer.status_code != 200:
            raise RuntimeError(f"HTTP {answer.status_code}: {answer.text[:200]}")

    start = time.perf_counter()
    load(send, total, 8)
    return total * batch / (time.perf_counter() - start)


def _env(tmp: str, port: int, twilio: TwilioStandin, redis_url: str, db: str) -> dict[str, str]:
    return {
        "REDIS_URL": redis_url,
        "DATABASE_URL": db or f"sqlite:///{tmp}/bench.sqlite3",
        "SLACK_SIGNING_SECRET": SECRET,
        "SUPPORTBOT_TRIAGE_CHANNEL": "C0TRIAGE",
        "TWILIO_ACCOUNT_SID": TWILIO_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": "+15005550006",
        "TWILIO_API_URL": twilio.url,
        "SUPPORTBOT_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "PORT": str(port),
        "SUPPORTBOT_DATA_DIR": tmp,
        "SUPPORTBOT_LOG_LEVEL": "WARNING",
        "SUPPORTBOT_CONTRACTS_FILE": str(REPO / "contracts/customers.yaml"),
        "SUPPORTBOT_TRIAGE_RULES_FILE": str(REPO / "contracts/triage.yaml"),
        "SUPPORTBOT_ROTATIONS_DIR": str(REPO / "rotations"),
        "SUPPORTBOT_INTEGRATIONS_FILE": str(_integrations(Path(tmp) / "integrations.yaml")),
        "SUPPORTBOT_PAGE_MIN_GAP_SECONDS": "0",
        "SUPPORTBOT_PAGE_SMS_PER_15MIN": "100000",
        "SUPPORTBOT_PAGE_CALLS_PER_15MIN": "100000",
    }


def _latencies(port: int, twilio: TwilioStandin, samples: int) -> tuple[list[float], list[float]]:
    session = requests.Session()
    url, headers = f"http://127.0.0.1:{port}/alerts/prom", {"Authorization": f"Bearer {TOKEN}"}
    # Local mode (no bot token): the home team is the local client's, so the sender is staff.
    inbound = SlackInbound(
        f"http://127.0.0.1:{port}/slack/events",
        SECRET,
        lambda: "http://127.0.0.1:9/response",
        team_id=LOCAL_TEAM_ID,
    )
    alert_s, sev1_s = [], []
    for i in range(samples + 10):
        for kind in ("alert", "sev1"):
            seen = len(twilio.calls("Messages.create"))
            start = time.perf_counter()
            if kind == "alert":
                answer = session.post(url, json=_payload(f"lat{i}", [f"lat{i}"]), headers=headers,
                                      timeout=30)  # fmt: skip
            else:
                answer = inbound.command(f"sev1 bench outage {i}", channel="C0ACMESHARED")
            if answer.status_code != 200:
                raise RuntimeError(f"{kind}: HTTP {answer.status_code}: {answer.text[:200]}")
            twilio.wait_for("Messages.create", timeout=30, count=seen + 1)
            if i >= 10:  # the first ones warm the worker up
                (alert_s if kind == "alert" else sev1_s).append(time.perf_counter() - start)
    return alert_s, sev1_s


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alerts", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--database-url", default="", help="default: a SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, TwilioStandin() as twilio:
        redis = EmbeddedRedis(Path(tmp) / "redis")
        port = free_port()
        env = _env(tmp, port, twilio, redis.start(), args.database_url)
        processes = []
        try:
            processes.append(start_server(["-m", "supportbot", "web"], port, env))
            processes.append(start_server(["-m", "supportbot", "worker"], None, env))
            url = f"http://127.0.0.1:{port}/alerts/prom"
            one = _throughput(url, args.alerts, args.batch, 1)
            many = _throughput(url, args.alerts, args.batch, 1000)
            print(f"alerts accepted, one group:        {one:9.0f}/s  (batches of {args.batch})")
            per = max(1, args.alerts // 1000)
            print(
                f"alerts accepted, 1,000 groups:     {many:9.0f}/s  (one group of {per} a request)"
            )
            time.sleep(5)  # let the worker catch up with the cards of the 1,000 groups
            twilio.clear()
            alert_s, sev1_s = _latencies(port, twilio, args.samples)
            alert, sev1 = summary(alert_s), summary(sev1_s)
            print(row("Alertmanager POST → SMS at Twilio", alert))
            print(row("signed /incident sev1 → SMS", sev1))
            print(f"ratio: median {alert['median_ms'] / sev1['median_ms']:.2f}x, "
                  f"p99 {alert['p99_ms'] / sev1['p99_ms']:.2f}x")  # fmt: skip
        finally:
            for process in processes:
                process.terminate()
                process.wait(10)
            redis.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
