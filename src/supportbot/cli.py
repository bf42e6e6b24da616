"""The ``supportbot`` command."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Sequence

from slack_bolt.adapter.socket_mode import SocketModeHandler
from waitress import serve

from supportbot.check import run_checks
from supportbot.cli_commands import oncall as oncall_cli
from supportbot.cli_commands import sla as sla_cli
from supportbot.db.migrate import upgrade
from supportbot.devtools.demo import run_demo
from supportbot.devtools.embedded_redis import EmbeddedRedis
from supportbot.devtools.local_mode import missing_credentials
from supportbot.logs import configure_logging
from supportbot.oncall.check import check_rotations
from supportbot.runtime import build_runtime
from supportbot.settings import Settings, get_settings, signing_secret
from supportbot.web import build_bolt_app, build_flask_app
from supportbot.worker import run_worker

log = logging.getLogger("supportbot")


def _need_redis(settings: Settings) -> None:
    if settings.redis_url is None:
        sys.exit(
            "REDIS_URL is not set. `supportbot run` starts an embedded Redis for web and "
            "worker together; to run them apart, point both at one Redis with REDIS_URL."
        )


def cmd_web(settings: Settings, args: argparse.Namespace) -> int:
    _need_redis(settings)
    rt = build_runtime(settings)
    upgrade(rt.engine)
    bolt = build_bolt_app(rt, signing_secret(settings))
    if settings.slack_app_token is not None:
        SocketModeHandler(bolt, settings.slack_app_token.get_secret_value()).connect()
        log.info("Socket Mode connected; /slack/events is also served over HTTP")
    flask = build_flask_app(rt, bolt)
    log.info("web listening on http://127.0.0.1:%s", settings.port)
    serve(flask, host=args.host, port=settings.port, threads=args.threads, ident="supportbot")
    rt.dispatcher.flush()
    return 0


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    _need_redis(settings)
    rt = build_runtime(settings)
    upgrade(rt.engine)
    run_worker(rt, burst=args.burst)
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    rt_engine = build_runtime(settings.model_copy(update={"redis_url": "redis://unused"})).engine
    upgrade(rt_engine)
    print("database is at the latest schema")
    return 0


def cmd_check(settings: Settings, args: argparse.Namespace) -> int:
    report = run_checks(settings, extra=[check_rotations])
    for note in report.notes:
        print(f"note: {note}")
    for problem in report.problems:
        print(f"problem: {problem}")
    print("configuration OK" if report.ok else f"{len(report.problems)} problem(s) found")
    return 0 if report.ok else 1


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    """Everything on one machine: embedded Redis if needed, migrations, web and worker."""
    for line in missing_credentials(settings):
        log.warning(line)
    env = dict(os.environ)
    embedded = None
    if settings.redis_url is None:
        embedded = EmbeddedRedis(settings.data_dir / "redis")
        env["REDIS_URL"] = embedded.start()
    children: list[subprocess.Popen[bytes]] = []
    try:
        cmd_migrate(settings, args)
        for role in ("web", "worker"):
            children.append(subprocess.Popen([sys.executable, "-m", "supportbot", role], env=env))
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        while all(child.poll() is None for child in children):
            try:
                children[0].wait(1)
            except subprocess.TimeoutExpired:
                continue
        failed = [c for c in children if c.returncode not in (None, 0)]
        return failed[0].returncode if failed else 0
    except KeyboardInterrupt:
        return 0
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            child.wait(10)
        if embedded is not None:
            embedded.stop()


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    return run_demo()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="supportbot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run everything (embedded Redis when REDIS_URL is unset)")
    run.set_defaults(func=cmd_run)
    web = sub.add_parser("web", help="serve Slack events, webhooks, health and metrics")
    web.add_argument("--host", default="0.0.0.0")
    web.add_argument("--threads", type=int, default=16)
    web.set_defaults(func=cmd_web)
    worker = sub.add_parser("worker", help="run the RQ worker with its scheduler")
    worker.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    worker.set_defaults(func=cmd_worker)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    sub.add_parser("check", help="validate configuration and files").set_defaults(func=cmd_check)
    sla_cli.add_parser(sub)
    oncall_cli.add_parser(sub)
    sub.add_parser("demo", help="play scripted incidents through the real stack").set_defaults(
        func=cmd_demo
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    configure_logging(settings)
    return int(args.func(settings, args))
