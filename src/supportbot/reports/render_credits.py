"""Credit statements as rows, JSON and text: every line with its incidents and times. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from supportbot.reports.availability import Availability
from supportbot.reports.render import _iso, _seconds, to_table
from supportbot.reports.statement import AVAILABILITY, Statement

LINE_COLUMNS = (
    "customer", "line", "kind", "evidence", "amount", "currency", "waived", "waiver_reason",
    "waived_by",
)  # fmt: skip
TABLE_COLUMNS = ("line", "kind", "evidence", "amount", "waived")


def _span(start: datetime, end: datetime) -> str:
    return f"{start:%Y-%m-%d %H:%M}Z→{end:%Y-%m-%d %H:%M}Z"


def availability_evidence(result: Availability) -> str:
    spans = [f"{o.key} {_span(o.start, o.end)}" for o in result.outages]
    planned = [f"maintenance #{w.id} {_span(w.starts_at, w.ends_at)}" for w in result.maintenance]
    text = f"{result.percent} % available, {_seconds(result.down)} s down; " + "; ".join(spans)
    return text + (f"; minus {'; '.join(planned)}" if planned else "")


def line_rows(report: Statement) -> list[dict[str, Any]]:
    rows = []
    for line in report.responses:
        answered = _iso(line.actual_at) or "no response yet"
        evidence = (
            f"{line.key} opened {_iso(line.opened_at)}, due {_iso(line.due_at)}, answered "
            f"{answered}, late by {_seconds(line.late_by)} s ({line.target})"
        )
        rows.append(_row(report, line.key, "response", evidence, line.amount))
    found = report.availability_line
    if found is not None:
        evidence = f"below {_band(report, found.percent_of_fee)}: " + availability_evidence(
            found.result
        )
        rows.append(_row(report, AVAILABILITY, "availability", evidence, found.amount))
    return rows


CAP = "cap"


def csv_rows(report: Statement) -> list[dict[str, Any]]:
    """The lines and, for a month over its cap, the cap as a negative line: the amounts not
    waived add up to what is owed, as the table, the JSON and Slack say it."""
    rows = line_rows(report)
    if report.capped:
        fee = report.terms.monthly_fee
        evidence = (
            f"capped at {report.terms.cap_percent} % of the monthly fee {fee} "
            f"{report.currency}: {report.gross} before the cap, {report.total} owed"
        )
        rows.append(_row(report, CAP, CAP, evidence, report.total - report.gross))
    return rows


def notes(reports: Sequence[Statement]) -> tuple[str, ...]:
    """Each statement's notes, once, naming the customer (the CSV's ``# note:`` lines)."""
    return tuple(dict.fromkeys(f"{r.customer}: {note}" for r in reports for note in r.notes))


def _band(report: Statement, percent: Decimal) -> str:
    band = next(b for b in report.terms.availability if b.percent == percent)
    return f"{band.below} % ({percent} % of the fee)"


def _row(report: Statement, key: str, kind: str, evidence: str, amount: Decimal) -> dict[str, Any]:
    waiver = report.waivers.get(key)
    return {
        "customer": report.customer,
        "line": key,
        "kind": kind,
        "evidence": evidence,
        "amount": str(amount),
        "currency": report.currency,
        "waived": "yes" if waiver else "no",
        "waiver_reason": waiver.reason if waiver else None,
        "waived_by": waiver.by if waiver else None,
    }


def _availability_json(report: Statement) -> dict[str, Any] | None:
    result = report.availability
    if result is None:
        return None
    return {
        "percent": str(result.percent),
        "target": str(report.terms.availability_target),
        "target_met": report.target_met,
        "downtime_s": _seconds(result.down),
        "month_s": _seconds(result.end - result.start),
        "final": result.final,
        "outages": [
            {
                "incident": o.key,
                "start": _iso(o.start),
                "end": _iso(o.end),
                "still_open": o.still_open,
            }
            for o in result.outages
        ],  # fmt: skip
        "maintenance": [
            {"id": w.id, "start": _iso(w.starts_at), "end": _iso(w.ends_at), "reason": w.reason}
            for w in result.maintenance
        ],
    }


def statement_json(report: Statement) -> dict[str, Any]:
    fee = report.terms.monthly_fee
    cap = report.cap
    return {
        "customer": report.customer,
        "currency": report.currency,
        "monthly_fee": None if fee is None else str(fee),
        "availability": _availability_json(report),
        "lines": line_rows(report),
        "gross": str(report.gross),
        "waived": str(report.waived),
        "cap": None if cap is None else str(cap),
        "capped": report.capped,
        "total": str(report.total),
        "notes": list(report.notes),
    }


def statement_text(report: Statement) -> str:
    head = f"{report.customer}: {report.total} {report.currency} owed"
    if report.capped:
        head += f" (capped at {report.cap} {report.currency}; {report.gross} before the cap)"
    out = [head]
    result = report.availability
    if result is not None:
        verdict = "met" if report.target_met else "missed"
        out.append(
            f"  availability {result.percent} % (target {report.terms.availability_target} %: "
            f"{verdict}), downtime {_seconds(result.down)} s"
        )
    rows = line_rows(report)
    out += ["  " + line for line in to_table(rows, TABLE_COLUMNS).splitlines()] if rows else []
    for key, waiver in report.waivers.items():
        out.append(f"  waived {key} by {waiver.by} at {_iso(waiver.at)}: {waiver.reason}")
    out += [f"  note: {note}" for note in report.notes]
    return "\n".join(out)


def totals(reports: Sequence[Statement]) -> dict[str, str]:
    """Owed per currency, over the statements (never added across currencies)."""
    sums: dict[str, Decimal] = {}
    for report in reports:
        sums[report.currency] = sums.get(report.currency, Decimal(0)) + report.total
    return {currency: str(amount) for currency, amount in sorted(sums.items())}
