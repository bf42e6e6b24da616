"""Time from a signed `/incident sev1 …` until the Twilio stand-in receives the SMS.

Real processes: `supportbot web` and `supportbot worker` (warm, with its scheduler) on an
embedded Redis and a SQLite file, Twilio pointed at the local stand-in. Every incident pages
the same on-call primary, so the per-contact throttle is switched off for the run (it would
bundle them, by design); everything else is the product as shipped. Baseline, same run: the
stand-in's own round trip for one `Messages.json` create with the real twilio client.

    python bench/bench_sev1_page.py [--incidents 500]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _common import free_port, row, start_server, summary  # noqa: E402

from supportbot.clients.slack import LOCAL_TEAM_ID  # noqa: E402
from supportbot.clients.twilio_http import make_twilio_client  # noqa: E402
from supportbot.devtools.embedded_redis import EmbeddedRedis  # noqa: E402
from supportbot.devtools.slack_simulator import SlackInbound  # noqa: E402
from tests.standins import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TwilioStandin  # noqa: E402

SECRET = "bench-signing-secret"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=500)
    parser.add_argument("--database-url", default="", help="default: a SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, TwilioStandin() as twilio:
        redis = EmbeddedRedis(Path(tmp) / "redis")
        port = free_port()
        env = {
            "REDIS_URL": redis.start(),
            "DATABASE_URL": args.database_url or f"sqlite:///{tmp}/bench.sqlite3",
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
            "SUPPORTBOT_PAGE_MIN_GAP_SECONDS": "0",
            "SUPPORTBOT_PAGE_SMS_PER_15MIN": "100000",
            "SUPPORTBOT_PAGE_CALLS_PER_15MIN": "100000",
        }
        processes = []
        try:
            processes.append(start_server(["-m", "supportbot", "web"], port, env))
            processes.append(start_server(["-m", "supportbot", "worker"], None, env))
            client = make_twilio_client(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, twilio.url)
            baseline = []
            for i in range(200):
                start = time.perf_counter()
                client.messages.create(to="+15550000000", from_="+15005550006", body=f"b{i}")
                baseline.append(time.perf_counter() - start)
            twilio.clear()
            inbound = SlackInbound(
                f"http://127.0.0.1:{port}/slack/events",
                SECRET,
                lambda: "http://127.0.0.1:9/response",
                team_id=LOCAL_TEAM_ID,  # local mode's workspace: its users are staff
            )
            latencies = []
            for i in range(args.incidents + 20):
                seen = len(twilio.calls("Messages.create"))
                start = time.perf_counter()
                response = inbound.command(f"sev1 bench outage {i}", channel="C0ACMESHARED")
                if response.status_code != 200:
                    raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
                twilio.wait_for("Messages.create", timeout=30, count=seen + 1)
                if i >= 20:  # the first ones warm the worker up
                    latencies.append(time.perf_counter() - start)
            page, base = summary(latencies), summary(baseline)
            print(row("sev1 request → SMS at Twilio", page))
            print(row("baseline: one Messages.create", base))
            print(
                f"ratio: median {page['median_ms'] / base['median_ms']:.1f}x, "
                f"p99 {page['p99_ms'] / base['p99_ms']:.1f}x"
            )
        finally:
            for process in processes:
                process.terminate()
                process.wait(10)
            redis.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
