"""``supportbot report sla|credits --month YYYY-MM``: did we keep our promise?

Reads the month's rows once (``reports.load``), computes with the pure formulas of
``supportbot.reports`` and prints a table, CSV (definitions first) or JSON.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from supportbot import clock
from supportbot.cli_commands import usage
from supportbot.contracts.customers import Contracts, load_contracts
from supportbot.datafiles import DataFileError
from supportbot.db.engine import make_engine
from supportbot.reports import render
from supportbot.reports.credits import Credits, credits
from supportbot.reports.figures import grouped
from supportbot.reports.load import load_records
from supportbot.reports.records import IncidentRecord, Period, parse_month
from supportbot.settings import Settings

SLA_KEYS = (
    "period", "opened", "resolved", "open_at_end", "mean_response", "mtta", "mttr",
    "response_sla", "resolution_sla", "escalation_rate", "first_contact_resolution",
)  # fmt: skip
TABLE_COLUMNS = (
    "grouping", "name", "opened", "resolved", "open_at_end", "mean_response_s", "mtta_s",
    "mttr_s", "response_sla", "resolution_sla", "escalation_rate", "first_contact_resolution",
)  # fmt: skip


class ReportError(Exception):
    """Bad input: one line for the operator."""


def _contracts(settings: Settings, customer: str | None) -> Contracts:
    path = settings.contracts_file
    if not path.exists():
        raise ReportError(f"contracts file {path} not found; set SUPPORTBOT_CONTRACTS_FILE")
    try:
        contracts = load_contracts(path)
    except DataFileError as exc:
        raise ReportError(f"the contracts file {path} has problems: run supportbot check") from exc
    if customer is not None and contracts.by_key(customer) is None:
        known = ", ".join(c.key for c in contracts.customers)
        raise ReportError(f"unknown customer {customer!r}; known customers: {known}")
    return contracts


def _records(settings: Settings, period: Period, args: argparse.Namespace) -> list[Any]:
    contracts = _contracts(settings, args.customer)
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with Session(engine) as session:
            return load_records(session, contracts, period, args.customer)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise ReportError(f"cannot read the database ({reason}): run supportbot migrate") from exc
    finally:
        engine.dispose()


def _sla(records: list[IncidentRecord], period: Period, as_of: datetime, fmt: str) -> str:
    groups = grouped(records, period, as_of)
    rows = [render.sla_row(g, n, f) for (g, n), f in groups.items()]
    title = f"supportbot SLA report {period.label}, as of {as_of.isoformat()}"
    if fmt == "csv":
        return render.to_csv(title, rows, render.SLA_COLUMNS, SLA_KEYS)
    breaches = render.breach_rows(groups)
    if fmt == "json":
        payload = {"period": period.label, "as_of": as_of.isoformat(), "groups": rows}
        return render.to_json({**payload, "breaches": breaches})
    out = [title, "", render.to_table(rows, TABLE_COLUMNS), "", f"breaches: {len(breaches)}"]
    columns = ("incident", "customer", "severity", "target", "due_at", "actual_at", "late_by_s")
    if breaches:
        out.append(render.to_table(breaches, columns))
    return "\n".join(out)


def _credits(report: Credits, as_of: datetime, fmt: str) -> str:
    rows = render.credit_rows(report)
    title = f"supportbot SLA credits {report.period.label}, as of {as_of.isoformat()}"
    if fmt == "csv":
        return render.to_csv(title, rows, render.CREDIT_COLUMNS, ("period", "credit"), report.notes)
    if fmt == "json":
        payload: dict[str, Any] = {"period": report.period.label, "as_of": as_of.isoformat(),
                   "customer": report.customer, "currency": report.currency}  # fmt: skip
        payload |= {"total": str(report.total), "lines": rows}
        payload |= {"undecided": list(report.undecided), "notes": list(report.notes)}
        return render.to_json(payload)
    out = [title, ""]
    out += [render.to_table(rows, render.CREDIT_COLUMNS)] if rows else ["no credits owed"]
    out += ["", f"total: {report.total} {report.currency}"]
    if report.undecided:
        out.append(
            "not yet decided (no response yet, not yet late): " + ", ".join(report.undecided)
        )
    out += [f"note: {note}" for note in report.notes]
    return "\n".join(out)


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    if args.report == "usage":
        try:
            contracts = _contracts(settings, args.customer)
        except ReportError as exc:
            print(f"supportbot: error: {exc}", file=sys.stderr)
            return 1
        keys = [c.key for c in contracts.customers if args.customer in (None, c.key)]
        return usage.cmd_usage(settings, args, keys)
    try:
        period = parse_month(args.month)
        records = _records(settings, period, args)
    except (ValueError, ReportError) as exc:
        print(f"supportbot: error: {exc}", file=sys.stderr)
        return 1
    as_of = clock.now()
    if args.report == "sla":
        print(_sla(records, period, as_of, args.format))
    else:
        print(_credits(credits(records, period, as_of, args.customer), as_of, args.format))
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    report = sub.add_parser(
        "report",
        help="monthly SLA figures and credits (definitions: docs/metrics.md)",
        description="Did we keep our promise? Figures per customer, tier and severity, "
        "and the SLA credits owed with their evidence. Example: "
        "supportbot report credits --month 2026-03 --customer acme --format csv",
    )
    report.add_argument("report", choices=("sla", "credits", "usage"))
    report.add_argument("--month", required=True, metavar="YYYY-MM")
    report.add_argument("--customer", default=None, metavar="KEY", help="one customer only")
    report.add_argument("--format", choices=("table", "csv", "json"), default="table")
    report.add_argument(
        "--post", action="store_true", help="usage: post each customer's summary to its "
        "shared channel (once per month)",
    )  # fmt: skip
    report.set_defaults(func=cmd_report)
