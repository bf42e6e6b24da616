"""The ``supportbot`` command."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from waitress import serve

from supportbot.alerts.check import check_integrations
from supportbot.check import run_checks
from supportbot.cli_commands import import_incidents as import_cli
from supportbot.cli_commands import oncall as oncall_cli
from supportbot.cli_commands import preflight
from supportbot.cli_commands import report as report_cli
from supportbot.cli_commands import sla as sla_cli
from supportbot.cli_commands.online import check_online, has_credentials
from supportbot.cli_commands.output import emit
from supportbot.cli_commands.run import cmd_run
from supportbot.db.engine import make_engine
from supportbot.db.migrate import UnknownSchemaError, upgrade
from supportbot.devtools.demo import run_demo
from supportbot.devtools.local_mode import bind_address
from supportbot.heap import freeze_startup_heap
from supportbot.logs import configure_logging
from supportbot.oncall.check import check_rotations
from supportbot.plans.check import check_ledger_terms
from supportbot.runtime import build_runtime
from supportbot.settings import Settings, signing_secret
from supportbot.socket_mode import start_socket_mode
from supportbot.web import WAITRESS_OPTIONS, build_bolt_app, build_flask_app
from supportbot.worker import lower_priority, run_worker

log = logging.getLogger("supportbot")


def _ready(settings: Settings, *, socket_mode: bool = False, redis_reachable: bool) -> None:
    """What web and worker need before they build anything (cli_commands/preflight.py)."""
    preflight.require_redis(settings, reachable=redis_reachable)
    preflight.require_database(settings)
    preflight.require_files(settings)
    preflight.require_slack(settings, socket_mode=socket_mode)


def cmd_web(settings: Settings, args: argparse.Namespace) -> int:
    host = bind_address(settings, args.host)
    preflight.require_port(host, settings.port)
    _ready(settings, socket_mode=True, redis_reachable=False)
    rt = build_runtime(settings)
    upgrade(rt.engine)
    bolt = build_bolt_app(rt, signing_secret(settings))
    start_socket_mode(bolt, settings)
    flask = build_flask_app(rt, bolt)
    freeze_startup_heap()
    log.info("web listening on http://%s:%s", host, settings.port)
    serve(flask, host=host, port=settings.port, threads=args.threads, ident="supportbot",
          **WAITRESS_OPTIONS)  # fmt: skip
    rt.dispatcher.flush()
    return 0


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    lower_priority(settings.worker_nice)  # first: the threads started later inherit it
    _ready(settings, redis_reachable=True)
    preflight.warn_without_triage_channel(settings)
    rt = build_runtime(settings)
    upgrade(rt.engine)
    run_worker(rt, burst=args.burst)
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    preflight.require_database(settings)
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    engine.dispose()
    emit("database is at the latest schema")
    return 0


def cmd_check(settings: Settings, args: argparse.Namespace) -> int:
    online = args.online if args.online is not None else has_credentials(settings)
    extra = [check_rotations, check_integrations, check_ledger_terms]
    extra += [check_online] if online else []
    report = run_checks(settings, extra=extra)
    if not online and has_credentials(settings):
        report.notes.append("offline: Slack and Twilio were not asked (--online asks them)")
    for note in report.notes:
        emit(f"note: {note}")
    for problem in report.problems:
        emit(f"problem: {problem}")
    emit("configuration OK" if report.ok else f"{len(report.problems)} problem(s) found")
    return 0 if report.ok else 1


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    return run_demo(out=emit)


def _threads(text: str) -> int:
    """An argparse type: waitress with no thread listens and never answers."""
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r}") from None
    if count < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {count}")
    return count


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="supportbot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run everything (embedded Redis when REDIS_URL is unset)")
    run.set_defaults(func=cmd_run)
    web = sub.add_parser("web", help="serve Slack events, webhooks, health and metrics")
    web.add_argument(
        "--host", default=None, help="address to listen on (default: SUPPORTBOT_BIND; README)"
    )
    web.add_argument("--threads", type=_threads, default=16, help="request threads (default 16)")
    web.set_defaults(func=cmd_web)
    worker = sub.add_parser("worker", help="run the RQ worker with its scheduler")
    worker.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    worker.set_defaults(func=cmd_worker)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    check = sub.add_parser("check", help="validate configuration and files; exit 1 on a problem")
    mode = check.add_mutually_exclusive_group()
    mode.add_argument(
        "--online",
        dest="online",
        action="store_true",
        default=None,
        help="also ask Slack and Twilio (the default when credentials are set)",
    )
    mode.add_argument(
        "--offline", dest="online", action="store_false", default=None, help="no network calls"
    )
    check.set_defaults(func=cmd_check)
    sla_cli.add_parser(sub)
    oncall_cli.add_parser(sub)
    report_cli.add_parser(sub)
    import_cli.add_parser(sub)
    sub.add_parser("demo", help="play scripted incidents through the real stack").set_defaults(
        func=cmd_demo
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command. What the operator must fix (a setting, a data file, a rejected token, a
    port in use) is printed as one line each on stderr with exit status 1, without a stack."""
    args = build_parser().parse_args(argv)
    port = None
    try:
        settings = preflight.load_settings()
        port = settings.port
        configure_logging(settings)
        return int(args.func(settings, args))
    except (preflight.OperatorError, UnknownSchemaError, OSError, ValueError) as exc:
        lines = preflight.operator_lines(exc, port)
        if lines is None:
            raise
        for line in lines:
            print(f"supportbot: error: {line}", file=sys.stderr)
        return 1
