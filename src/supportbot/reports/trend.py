"""The headline figures for each of the 12 months ending with one: ``supportbot report trend``
and the dashboard's charts read the same rows (definitions: docs/metrics.md, "Trend")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from supportbot.contracts.customers import Contracts
from supportbot.reports import render
from supportbot.reports.figures import figures
from supportbot.reports.load import load_records
from supportbot.reports.records import Period, PeriodKind

TREND_COLUMNS = (
    "period", "opened", "resolved", "response_sla", "resolution_sla", "mean_response_s",
    "mtta_s", "mttr_s", "escalation_rate", "first_contact_resolution", "csat_mean",
)  # fmt: skip
TREND_KEYS = (
    "trend", "period", "opened", "resolved", "response_sla", "resolution_sla", "mean_response",
    "mtta", "mttr", "escalation_rate", "first_contact_resolution", "csat",
)  # fmt: skip
TRENDS = 12


def months_back(period: Period, count: int = TRENDS) -> list[Period]:
    """``count`` months ending with ``period``, oldest first."""
    out = [period]
    while len(out) < count:
        first = out[0].first_day
        year, month = (first.year - 1, 12) if first.month == 1 else (first.year, first.month - 1)
        out.insert(0, Period(PeriodKind.MONTH, first.replace(year=year, month=month)))
    return out


def trend_rows(
    session: Session, contracts: Contracts, period: Period, as_of: datetime, customer: str | None
) -> list[dict[str, Any]]:
    """One row per month, oldest first; ``customer`` None means every customer."""
    rows = []
    for month in months_back(period):
        f = figures(load_records(session, contracts, month, customer), month, as_of)
        row = render.sla_row("month", month.label, f)
        rows.append({"period": month.label} | {k: row[k] for k in TREND_COLUMNS[1:]})
    return rows
