"""Reports as text: a table, CSV (definitions first, as comment lines) or JSON. Pure."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from supportbot.reports.business import Durations
from supportbot.reports.credits import Credits
from supportbot.reports.definitions import DEFINITIONS
from supportbot.reports.figures import Figures

SLA_COLUMNS = (
    "grouping", "name", "opened", "resolved", "open_at_end",
    "sev1", "sev2", "sev3", "sev4",
    "mean_response_s", "no_response", "mtta_s", "never_acknowledged", "mttr_s", "still_open",
    "business_clock", "business_calendar", "mean_response_business_s", "mtta_business_s",
    "mttr_business_s",
    "response_met", "response_breached", "response_pending", "response_sla",
    "resolution_met", "resolution_breached", "resolution_pending", "resolution_sla",
    "escalated", "by_breach", "by_policy", "by_hand", "escalation_rate",
    "first_contact_resolved", "first_contact_resolution", "csat_ratings", "csat_mean",
    "csat_4_5_share",
)  # fmt: skip
# The definitions that open an SLA CSV (the CLI's and the dashboard's download).
SLA_KEYS = (
    "period", "opened", "resolved", "open_at_end", "mean_response", "mtta", "mttr",
    "business_time", "response_sla", "resolution_sla", "escalation_rate",
    "first_contact_resolution", "csat",
)  # fmt: skip
CREDIT_COLUMNS = (
    "customer", "incident", "severity", "target", "opened_at", "due_at", "actual_at",
    "late_by_s", "amount", "currency",
)  # fmt: skip


def _seconds(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds(), 1)


def _share(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _mean(value: Durations | None) -> float | None:
    return None if value is None else _seconds(value.mean)


def sla_row(grouping: str, name: str, f: Figures) -> dict[str, Any]:
    sev, b = f.opened_by_severity, f.business
    values = (
        grouping, name, f.opened, f.resolved, f.open_at_end, sev[1], sev[2], sev[3], sev[4],
        _seconds(f.response.mean), f.response.apart, _seconds(f.acknowledge.mean),
        f.acknowledge.apart, _seconds(f.resolution.mean), f.resolution.apart,
        b.incidents, b.calendar, _mean(b.response), _mean(b.acknowledge), _mean(b.resolution),
        f.response_sla.met, f.response_sla.breached, f.response_sla.pending,
        _share(f.response_sla.share), f.resolution_sla.met, f.resolution_sla.breached,
        f.resolution_sla.pending, _share(f.resolution_sla.share), f.escalated,
        f.escalated_by_breach, f.escalated_by_policy, f.escalated_by_hand,
        _share(f.escalation_rate), f.first_contact_resolved, _share(f.first_contact_rate),
        len(f.csat_scores), _share(f.csat_mean), _share(f.csat_top_share),
    )  # fmt: skip
    return dict(zip(SLA_COLUMNS, values, strict=True))


def breach_rows(groups: Mapping[tuple[str, str], Figures]) -> list[dict[str, Any]]:
    overall = groups[("overall", "all")]
    rows = []
    for breach in (*overall.response_sla.breaches, *overall.resolution_sla.breaches):
        rows.append(
            {
                "incident": breach.key,
                "customer": breach.customer,
                "severity": breach.severity,
                "target": breach.target,
                "due_at": _iso(breach.due_at),
                "actual_at": _iso(breach.actual_at),
                "late_by_s": _seconds(breach.late_by),
            }  # fmt: skip
        )
    return rows


def credit_rows(credits: Credits) -> list[dict[str, Any]]:
    return [
        {
            "customer": line.customer,
            "incident": line.key,
            "severity": line.severity,
            "target": line.target,
            "opened_at": _iso(line.opened_at),
            "due_at": _iso(line.due_at),
            "actual_at": _iso(line.actual_at),
            "late_by_s": _seconds(line.late_by),
            "amount": str(line.amount),
            "currency": line.currency,
        }  # fmt: skip
        for line in credits.lines
    ]


def _header(title: str, keys: tuple[str, ...], notes: tuple[str, ...] = ()) -> str:
    lines = [f"# {title}"]
    lines += [f"# {key}: {DEFINITIONS[key]}" for key in keys]
    lines += [f"# note: {note}" for note in notes]
    return "\n".join(lines) + "\n"


# A cell starting with one of these is run as a formula by a spreadsheet; text someone wrote
# (a title, a waiver's reason) is quoted as text, OWASP's advice for CSV injection.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def as_text(cell: object) -> object:
    """``cell`` as a spreadsheet must show it: text that would start a formula gets a
    leading ``'``; numbers, negative ones included, and everything else are kept."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(cell):
        return f"'{cell}"
    return cell


def to_csv(
    title: str, rows: list[dict[str, Any]], columns: tuple[str, ...], keys: tuple[str, ...],
    notes: tuple[str, ...] = (),
) -> str:  # fmt: skip
    out = io.StringIO()
    out.write(_header(title, keys, notes))
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else as_text(v) for k, v in row.items()})
    return out.getvalue()


def to_json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, indent=2, ensure_ascii=False)


def to_table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    cells = [[str(c) for c in columns]]
    cells += [["–" if row[c] is None else str(row[c]) for c in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip() for line in cells
    )
