"""``supportbot report sla|credits|oncall|trend --month YYYY-MM | --week YYYY-Www | --day
YYYY-MM-DD``: did we keep our promise?

Reads the period's rows once (``reports.load``), computes with the pure formulas of
``supportbot.reports`` and prints a table, CSV (definitions first) or JSON.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from supportbot import clock
from supportbot.check import database_url_problem
from supportbot.cli_commands import report_trend as trend
from supportbot.cli_commands import usage
from supportbot.cli_commands.output import emit
from supportbot.contracts.customers import Contracts, load_contracts
from supportbot.datafiles import DataFileError
from supportbot.db.engine import make_engine
from supportbot.reports import render, render_credits
from supportbot.reports.credits import Credits, credits
from supportbot.reports.figures import grouped
from supportbot.reports.load import load_records
from supportbot.reports.monthly import statements, terms_of
from supportbot.reports.records import IncidentRecord, Period, PeriodKind, parse_period, shown
from supportbot.reports.statement import Statement
from supportbot.reports.trend import TREND_COLUMNS, TREND_KEYS, TRENDS, trend_rows
from supportbot.settings import Settings

TABLE_COLUMNS = (
    "grouping", "name", "opened", "resolved", "open_at_end", "mean_response_s", "mtta_s",
    "mttr_s", "mean_response_business_s", "mtta_business_s", "mttr_business_s", "response_sla",
    "resolution_sla", "escalation_rate", "first_contact_resolution", "csat_mean",
)  # fmt: skip
# Reports that exist per calendar month only, and why (said when asked for a week or a day).
MONTHLY = {
    "credits": "the contract's credits (late responses, availability, the cap) are monthly",
    "usage": "plans are used and summarised per calendar month",
}


T = TypeVar("T")


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
        raise ReportError(f"unknown customer {shown(customer)}; known customers: {known}")
    return contracts


def _read(
    settings: Settings, args: argparse.Namespace, read: Callable[[Session, Contracts], T]
) -> T:
    contracts = _contracts(settings, args.customer)
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with Session(engine) as session:
            return read(session, contracts)
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
        return render.to_csv(title, rows, render.SLA_COLUMNS, render.SLA_KEYS)
    breaches = render.breach_rows(groups)
    if fmt == "json":
        payload = {"period": period.label, "period_kind": period.kind.value,
                   "as_of": as_of.isoformat(), "groups": rows}  # fmt: skip
        return render.to_json({**payload, "breaches": breaches})
    out = [title, "", render.to_table(rows, TABLE_COLUMNS), "", f"breaches: {len(breaches)}"]
    columns = ("incident", "customer", "severity", "target", "due_at", "actual_at", "late_by_s")
    if breaches:
        out.append(render.to_table(breaches, columns))
    return "\n".join(out)


def _credits(reports: list[Statement], late: Credits, as_of: datetime, fmt: str) -> str:
    rows = [row for report in reports for row in render_credits.line_rows(report)]
    title = f"supportbot SLA credits {late.period.label}, as of {as_of.isoformat()}"
    if fmt == "csv":
        keys = ("period", "credit", "availability", "waiver", "cap")
        lines = [row for report in reports for row in render_credits.csv_rows(report)]
        notes = render_credits.notes(reports)
        return render.to_csv(title, lines, render_credits.LINE_COLUMNS, keys, notes)
    if fmt == "json":
        payload: dict[str, Any] = {"period": late.period.label, "as_of": as_of.isoformat(),
                   "customer": late.customer, "totals": render_credits.totals(reports)}  # fmt: skip
        payload |= {"statements": [render_credits.statement_json(r) for r in reports]}
        payload |= {"lines": render.credit_rows(late), "undecided": list(late.undecided)}
        return render.to_json(payload)
    out = [title, ""]
    out += [render_credits.statement_text(r) for r in reports] or ["no customers"]
    if not rows:
        out.append("no credits owed")
    owed = render_credits.totals(reports)
    out += ["", "total: " + ", ".join(f"{amount} {cur}" for cur, amount in owed.items())]
    if late.undecided:
        out.append("not yet decided (no response yet, not yet late): " + ", ".join(late.undecided))
    return "\n".join(out)


def cmd_report(settings: Settings, args: argparse.Namespace) -> int:
    period: Period = args.month or args.week or args.day  # argparse requires exactly one
    if args.report in MONTHLY and period.kind is not PeriodKind.MONTH:
        args.refuse(f"report {args.report} takes --month only: {MONTHLY[args.report]}")
    # Said rather than ignored: a figure for everyone must not pass for one customer's.
    if args.report == "oncall" and args.customer is not None:
        args.refuse("report oncall takes no --customer: the load is per person and region")
    if args.post and args.report != "usage":
        args.refuse(f"--post is for report usage only; report {args.report} prints its figures")
    if problem := database_url_problem(settings):
        print(f"supportbot: error: {problem}", file=sys.stderr)
        return 1
    if args.report == "usage":
        try:
            contracts = _contracts(settings, args.customer)
        except ReportError as exc:
            print(f"supportbot: error: {exc}", file=sys.stderr)
            return 1
        keys = [c.key for c in contracts.customers if args.customer in (None, c.key)]
        return usage.cmd_usage(settings, args, contracts, keys)
    as_of = clock.now()
    try:
        if args.report in ("oncall", "trend"):
            emit(_more(settings, args, period, as_of))
            return 0
        if args.report == "sla":
            records = _read(settings, args, lambda s, c: load_records(s, c, period, args.customer))
            emit(_sla(records, period, as_of, args.format))
            return 0

        def read(session: Session, contracts: Contracts) -> tuple[list[Statement], Credits]:
            reports = statements(session, contracts, period, as_of, args.customer)
            late = credits(load_records(session, contracts, period, args.customer), period,
                           as_of, args.customer, terms_of(contracts))  # fmt: skip
            return reports, late

        emit(_credits(*_read(settings, args, read), as_of, args.format))
    except (ValueError, ReportError, trend.RotationProblem) as exc:
        print(f"supportbot: error: {exc}", file=sys.stderr)
        return 1
    return 0


def _more(settings: Settings, args: argparse.Namespace, period: Period, as_of: datetime) -> str:
    if args.report == "trend":
        rows = _read(settings, args, lambda s, c: trend_rows(s, c, period, as_of, args.customer))
        title = (f"supportbot trend, {TRENDS} {period.kind.value}s to {period.label}, "
                 f"as of {as_of.isoformat()}")  # fmt: skip
        return trend.render_rows(title, rows, TREND_COLUMNS, TREND_KEYS, args.format)
    rows = _read(settings, args, lambda s, c: trend.oncall_rows(s, settings, period))
    title = (f"supportbot on-call load {period.label} (UTC {period.kind.value}), "
             f"as of {as_of.isoformat()}")  # fmt: skip
    keys = ("utilisation",)
    return trend.render_rows(title, rows, trend.ONCALL_COLUMNS, keys, args.format)


def _period_type(kind: PeriodKind) -> Callable[[str], Period]:
    """An argparse type: a malformed value is argparse's error, naming the flag."""

    def parse(text: str) -> Period:
        try:
            return parse_period(kind, text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    report = sub.add_parser(
        "report",
        help="SLA figures per day, week or month, and monthly credits (docs/metrics.md)",
        description="Did we keep our promise? Figures per customer, tier and severity, "
        "and the SLA credits owed with their evidence. Periods are in each customer's time "
        "zone. Example: supportbot report credits --month 2026-03 --customer acme --format csv",
    )
    report.add_argument("report", choices=("sla", "credits", "usage", "oncall", "trend"))
    when = report.add_mutually_exclusive_group(required=True)
    when.add_argument(
        "--month",
        type=_period_type(PeriodKind.MONTH),
        metavar="YYYY-MM",
        help="a calendar month (the only period of credits and usage)",
    )
    when.add_argument(
        "--week",
        type=_period_type(PeriodKind.WEEK),
        metavar="YYYY-Www",
        help="an ISO week, Monday to Monday, e.g. 2026-W48",
    )
    when.add_argument("--day", type=_period_type(PeriodKind.DAY), metavar="YYYY-MM-DD",
                      help="one calendar day")  # fmt: skip
    report.add_argument("--customer", default=None, metavar="KEY", help="one customer only")
    report.add_argument("--format", choices=("table", "csv", "json"), default="table")
    report.add_argument(
        "--post", action="store_true", help="usage: post each customer's summary to its "
        "shared channel (once per month)",
    )  # fmt: skip
    # A week asked of a monthly report is a usage error too, said the way argparse says it.
    report.set_defaults(func=cmd_report, refuse=report.error)
