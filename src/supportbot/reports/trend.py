"""The headline figures for each of the 12 periods (days, weeks or months) ending with one:
``supportbot report trend`` and the dashboard's charts (by month) read the same rows
(definitions: docs/metrics.md, "Trend")."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from supportbot.contracts.customers import Contracts
from supportbot.reports import render
from supportbot.reports.figures import figures
from supportbot.reports.load import load_records
from supportbot.reports.records import Period

TREND_COLUMNS = (
    "period", "opened", "resolved", "response_sla", "resolution_sla", "mean_response_s",
    "mtta_s", "mttr_s", "mean_response_business_s", "mtta_business_s", "mttr_business_s",
    "escalation_rate", "first_contact_resolution", "csat_mean",
)  # fmt: skip
TREND_KEYS = (
    "trend", "period", "opened", "resolved", "response_sla", "resolution_sla", "mean_response",
    "mtta", "mttr", "business_time", "escalation_rate", "first_contact_resolution", "csat",
)  # fmt: skip
TRENDS = 12


def periods_back(period: Period, count: int = TRENDS) -> list[Period]:
    """``count`` periods of ``period``'s kind ending with it, oldest first."""
    out = [period]
    while len(out) < count:
        out.insert(0, out[0].previous())
    return out


def trend_rows(
    session: Session, contracts: Contracts, period: Period, as_of: datetime, customer: str | None
) -> list[dict[str, Any]]:
    """One row per period, oldest first; ``customer`` None means every customer."""
    return [trend_row(session, contracts, one, as_of, customer) for one in periods_back(period)]


def trend_row(
    session: Session, contracts: Contracts, period: Period, as_of: datetime, customer: str | None
) -> dict[str, Any]:
    """The headline figures of one period."""
    f = figures(load_records(session, contracts, period, customer), period, as_of)
    row = render.sla_row(period.kind.value, period.label, f)
    return {"period": period.label} | {k: row[k] for k in TREND_COLUMNS[1:]}
