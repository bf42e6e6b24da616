"""``supportbot sla deadline``: what a new incident would be promised, and why.

Support leads use it to answer "what did we promise?" without opening an incident: the same
deadline maths as the worker, read from the same contracts file.
"""

from __future__ import annotations

import argparse
import json
import sys

from supportbot.cli_commands.output import emit
from supportbot.contracts.customers import load_contracts
from supportbot.datafiles import DataFileError
from supportbot.settings import Settings
from supportbot.sla.explain import (
    DeadlineQueryError,
    deadline_json,
    deadline_query,
    deadline_report,
)

EXAMPLE = "supportbot sla deadline --customer acme --severity 2 --opened 2025-03-07T17:30:00Z"


def cmd_deadline(settings: Settings, args: argparse.Namespace) -> int:
    path = settings.contracts_file
    if not path.exists():
        print(
            f"error: contracts file {path} not found; set SUPPORTBOT_CONTRACTS_FILE",
            file=sys.stderr,
        )
        return 2
    try:
        contracts = load_contracts(path)
    except DataFileError as exc:
        print(f"error: the contracts file has problems:\n{exc}", file=sys.stderr)
        return 2
    try:
        customer, deadlines = deadline_query(contracts, args.customer, args.severity, args.opened)
    except DeadlineQueryError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        emit(json.dumps(deadline_json(customer, deadlines), indent=2, ensure_ascii=False))
    else:
        emit(deadline_report(customer, deadlines))
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    sla = sub.add_parser("sla", help="SLA deadlines: what an incident is promised")
    sla_sub = sla.add_subparsers(dest="sla_command", metavar="deadline", required=True)
    deadline = sla_sub.add_parser(
        "deadline",
        help="print the response and resolution deadlines a new incident would get",
        description="Print the response and resolution deadlines a new incident would get, "
        f"and the calendar behind them. Example: {EXAMPLE}",
    )
    deadline.add_argument("--customer", required=True, help="customer key or name")
    deadline.add_argument("--severity", required=True, help="1-4 (or sev1, critical, high, ...)")
    deadline.add_argument(
        "--opened",
        required=True,
        metavar="ISO-TIME",
        help="when the incident opens, with an offset: 2025-03-07T17:30:00+00:00 or ...Z",
    )
    deadline.add_argument("--json", action="store_true", help="machine-readable output")
    deadline.set_defaults(func=cmd_deadline)
