"""``supportbot report usage --month YYYY-MM [--customer KEY] [--format ...] [--post]``.

Per customer with plans: each incident and task of the month with the units used, the
minutes worked, waivers and their reasons; per plan the totals, rollover, expiry and the
balance at the month's end. The worker posts the customer-safe summary to each customer's
shared channel once the month ended (:mod:`supportbot.digests.usage_posts`); ``--post``
re-runs that post by hand, through the same row, so a month is never posted twice.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from supportbot.cli_commands.output import emit
from supportbot.contracts.currency import amount_text
from supportbot.contracts.customers import Contracts
from supportbot.db.engine import make_engine
from supportbot.digests import usage_posts
from supportbot.plans.usage import Summary, summarise
from supportbot.reports.records import Period
from supportbot.reports.render import as_text
from supportbot.runtime import build_runtime
from supportbot.settings import Settings

LINE_COLUMNS = (
    "customer", "plan", "incident", "title", "estimate_h", "unit", "used", "minutes_worked",
    "over", "waived", "waiver_reasons", "amount", "currency",
)  # fmt: skip
TOTAL_COLUMNS = (
    "customer", "plan", "unit", "used", "waived", "over", "rolled_over", "expired", "amount",
    "currency", "balance_at_month_end",
)  # fmt: skip
DEFINITIONS = (
    "month: local midnight to local midnight in each customer's zone; an entry counts in the "
    "month it was written",
    "used: units charged (incidents, minutes of prepaid hours, agent-minutes), before waivers",
    "waived: units given back by a waiver or refund, with the contract's reason",
    "over: units used beyond an exhausted pack or hours balance (warn, bill or hold)",
    "amount: money billed in the month, each line rounded half up to the currency's unit "
    "(the cent for most; none for JPY, a thousandth for KWD); waivers negative",
)


def line_rows(summary: Summary) -> list[dict[str, Any]]:
    return [
        dict(customer=summary.customer.key, plan=line.plan, incident=line.incident,
             title=line.title, unit=line.unit, used=line.used,
             estimate_h=None if line.task_minutes is None else round(line.task_minutes / 60, 2),
             minutes_worked=line.minutes_worked, over=line.over, waived=line.waived,
             waiver_reasons="; ".join(line.reasons),
             amount=amount_text(line.amount, summary.currency),
             currency=summary.currency)
        for line in summary.lines
    ]  # fmt: skip


def total_rows(summary: Summary) -> list[dict[str, Any]]:
    return [
        dict(customer=summary.customer.key, plan=t.plan, unit=t.unit, used=t.used,
             waived=t.waived, over=t.over, rolled_over=t.rolled_over, expired=t.expired,
             amount=amount_text(t.amount, summary.currency), currency=summary.currency,
             balance_at_month_end=t.balance)
        for t in summary.totals
    ]  # fmt: skip


def render(summaries: list[Summary], month: str, fmt: str) -> str:
    lines = [row for s in summaries for row in line_rows(s)]
    totals = [row for s in summaries for row in total_rows(s)]
    if fmt == "json":
        return json.dumps({"month": month, "totals": totals, "lines": lines}, indent=2)
    if fmt == "csv":
        out = io.StringIO()
        out.write(f"# supportbot usage {month}\n" + "".join(f"# {d}\n" for d in DEFINITIONS))
        # One header for both kinds of row, so a spreadsheet reads each total under its own
        # column (and a balance like "Pack: 12 of 13 left, 3 rolled over" stays one cell).
        columns = ["section", *LINE_COLUMNS, *(c for c in TOTAL_COLUMNS if c not in LINE_COLUMNS)]
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows({"section": "line", **row, "title": as_text(row["title"])}
                         for row in lines)  # fmt: skip
        writer.writerows({"section": "total", **row} for row in totals)
        return out.getvalue()
    return "\n".join([f"supportbot usage {month}", "", _table(totals, TOTAL_COLUMNS), "",
                      _table(lines, LINE_COLUMNS)])  # fmt: skip


def _table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    if not rows:
        return "(nothing used)"
    cells = [list(columns)] + [["–" if r[c] in (None, "") else str(r[c]) for c in columns]
                               for r in rows]  # fmt: skip
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
                     for row in cells)  # fmt: skip


def cmd_usage(
    settings: Settings, args: argparse.Namespace, contracts: Contracts, customers: list[str]
) -> int:
    """Reads the month with the database alone, as the other reports do; only ``--post``
    needs the runtime (Slack), and says so when it cannot be built."""
    month: Period = args.month  # parsed by argparse; ``report`` refuses --week and --day
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with Session(engine) as session:
            chosen = [c for c in contracts.customers if c.key in customers and c.plans]
            summaries = [summarise(session, c, month.first_day) for c in chosen]
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        print(f"supportbot: error: cannot read the database ({reason}): run supportbot migrate",
              file=sys.stderr)  # fmt: skip
        return 1
    finally:
        engine.dispose()
    emit(render(summaries, month.label, args.format))
    if not getattr(args, "post", False):
        return 0
    if settings.redis_url is None:
        # The post takes the worker's lock on the record; the embedded Redis of
        # ``supportbot run`` listens on a port of its own that no other command knows.
        print("supportbot: error: --post needs REDIS_URL, the Redis the web and worker share "
              "(supportbot run's embedded one is private to it); nothing posted",
              file=sys.stderr)  # fmt: skip
        return 1
    try:
        rt = build_runtime(settings)
    except RuntimeError as exc:
        print(f"supportbot: error: --post cannot reach Slack: {exc}", file=sys.stderr)
        return 1
    try:
        for summary in summaries:
            print(usage_posts.post_now(rt, summary.customer, month), file=sys.stderr)
    finally:
        rt.engine.dispose()
    return 0
