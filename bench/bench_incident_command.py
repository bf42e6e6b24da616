"""Latency of a signed `/incident sev2 …` until HTTP 200, against a bare Bolt app.

Both apps run in a subprocess behind the same Flask adapter and waitress server; the client
is the same. The full app writes the incident (SQLite, WAL) and queues its Slack sync on a
real Redis before it answers. Prints median and p99 at concurrency 1 and 20, and the ratio.

With ``--worker`` the full app is the product as `make run` starts it (bench/_fleet.py): a
`supportbot web` process and a `supportbot worker` beside it, which posts each card, on the
same database and Redis, so the worker's CPU is in the figures too.

Three baselines: the bare Bolt app as Bolt ships (its answer found by Bolt's 10 ms poll);
the same bare app answering at the ack as the product does (``supportbot.prompt_ack``), so
the second ratio is what the product's own work costs on the same framework settings; and
the floor of "commit before ack": that prompt bare app with a listener that does the least
any app keeping the promise must (one row inserted and committed in SQLite with the
product's settings, one id pushed on a Redis list for a worker) and nothing else.

    python bench/bench_incident_command.py [--requests 2000] [--worker] [--severity sev3]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import redis
from _common import free_port, load, row, settled_cpu, start_server, summary
from _fleet import fleet_env, start_fleet, stop
from flask import Flask, request
from slack_bolt import Ack, App
from slack_bolt.adapter.flask import SlackRequestHandler
from waitress import serve

from supportbot.clients.slack import LOCAL_TEAM_ID, LoggingWebClient
from supportbot.db.migrate import upgrade
from supportbot.devtools.embedded_redis import EmbeddedRedis
from supportbot.devtools.slack_simulator import SlackInbound
from supportbot.prompt_ack import acks_last, answer_on_ack
from supportbot.runtime import build_runtime
from supportbot.settings import Settings
from supportbot.web import build_bolt_app, build_flask_app

SECRET = "bench-signing-secret"
REPO = Path(__file__).resolve().parent.parent


def serve_bare(port: int, prompt: bool = False, floor: tuple[str, str] | None = None) -> None:
    # Same server and Bolt settings as the real app: only the listener differs. The "prompt"
    # bare app also answers at the ack (supportbot.prompt_ack) as the real app does: the
    # like-for-like baseline, showing what the product's own work costs.
    app = App(signing_secret=SECRET, client=LoggingWebClient(), process_before_response=False)

    @app.command("/incident")
    def only_ack(ack: Ack) -> None:
        ack()

    if floor is not None:
        app = App(signing_secret=SECRET, client=LoggingWebClient(), process_before_response=False)
        app.command("/incident")(floor_listener(*floor))
    if prompt:
        answer_on_ack(app)

    flask = Flask("bare")
    handler = SlackRequestHandler(app)
    flask.add_url_rule("/slack/events", "events", lambda: handler.handle(request), methods=["POST"])
    serve(flask, host="127.0.0.1", port=port, threads=16, _quiet=True)


def floor_listener(redis_url: str, data_dir: str) -> Callable[..., None]:
    """The least a listener keeping "commit before ack" does: stdlib sqlite3 (WAL,
    synchronous=NORMAL, as the product's engine) and redis-py, no ORM, no queue library."""
    local = threading.local()
    queue = redis.Redis.from_url(redis_url)
    path = f"{data_dir}/floor.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE IF NOT EXISTS opened (id INTEGER PRIMARY KEY, text TEXT)")

    @acks_last  # as the product's /incident: its ack is its last step
    def listener(ack: Ack, command: dict[str, str]) -> None:
        if not hasattr(local, "db"):
            local.db = sqlite3.connect(path, timeout=30)
            local.db.execute("PRAGMA synchronous=NORMAL")
        with local.db:
            row_id = local.db.execute(
                "INSERT INTO opened (text) VALUES (?)", (command["text"],)
            ).lastrowid
        queue.rpush("floor:cards", row_id or 0)
        ack(f"opened {row_id}")

    return listener


def serve_full(port: int, redis_url: str, data_dir: str, database_url: str = "") -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        redis_url=redis_url,
        data_dir=Path(data_dir),
        triage_channel="C0TRIAGE",
        database_url=database_url or f"sqlite:///{data_dir}/bench.sqlite3",
        contracts_file=REPO / "contracts/customers.yaml",
        triage_rules_file=REPO / "contracts/triage.yaml",
    )
    rt = build_runtime(settings, slack=LoggingWebClient())
    upgrade(rt.engine)
    serve(
        build_flask_app(rt, build_bolt_app(rt, SECRET)),
        host="127.0.0.1",
        port=port,
        threads=16,
        _quiet=True,
    )


def measure(url: str, total: int, concurrency: int, severity: str) -> dict[str, float]:
    # Local mode's workspace, so the simulated engineer is staff in both apps.
    inbound = SlackInbound(
        url, SECRET, lambda: "http://127.0.0.1:9/response", team_id=LOCAL_TEAM_ID
    )

    # One HTTP session per worker thread would be fairer still; requests' Session is
    # thread-safe enough for this use and identical for both apps.
    def one(i: int) -> None:
        response = inbound.command(f"{severity} bench incident {i}")
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")

    load(one, 50, concurrency)  # warm up
    return summary(load(one, total, concurrency))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--serve", nargs="*")
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL URL for the full app (default: a SQLite file)",
    )
    parser.add_argument("--worker", action="store_true", help="run `supportbot web` + worker")
    parser.add_argument("--severity", default="sev2", choices=["sev1", "sev2", "sev3"])
    args = parser.parse_args()
    if args.serve:
        kind, port, *rest = args.serve
        if kind == "full":
            serve_full(int(port), *rest)
        elif kind == "floor":
            serve_bare(int(port), prompt=True, floor=(rest[0], rest[1]))
        else:
            serve_bare(int(port), prompt=kind == "bare-prompt")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        redis = EmbeddedRedis(Path(tmp) / "redis")
        redis_url = redis.start()
        results = {}
        try:
            for kind in ("bare", "bare-prompt", "floor", "full"):
                port = free_port()
                if kind == "full" and args.worker:
                    servers = start_fleet([port], fleet_env(tmp, redis_url, args.database_url))
                else:
                    served = {"full": [redis_url, tmp, args.database_url]}
                    extra = served.get(kind, [redis_url, tmp] if kind == "floor" else [])
                    servers = [
                        start_server([__file__, "--serve", kind, str(port), *extra], port, {})
                    ]
                try:
                    url = f"http://127.0.0.1:{port}/slack/events"
                    pids = [server.pid for server in servers]
                    for concurrency in (1, 20):
                        before = settled_cpu(pids)
                        results[(kind, concurrency)] = measure(
                            url, args.requests, concurrency, args.severity
                        )
                        used = [b - a for a, b in zip(before, settled_cpu(pids), strict=True)]
                        per = ", ".join(f"{u / (args.requests + 50) * 1000:.2f}" for u in used)
                        print(
                            row(
                                f"{kind} app, concurrency {concurrency}",
                                results[(kind, concurrency)],
                            )
                            + f"  CPU ms/request ({'web, worker' if len(pids) > 1 else 'web'}):"
                            + f" {per}",
                            flush=True,
                        )
                finally:
                    stop(servers)
        finally:
            redis.stop()
    for baseline in ("bare", "bare-prompt", "floor"):
        for concurrency in (1, 20):
            bare, full = results[(baseline, concurrency)], results[("full", concurrency)]
            print(
                f"ratio full/{baseline} at concurrency {concurrency}: "
                f"median {full['median_ms'] / bare['median_ms']:.2f}x, "
                f"p99 {full['p99_ms'] / bare['p99_ms']:.2f}x"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
