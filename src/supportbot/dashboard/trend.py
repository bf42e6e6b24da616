"""The trend of the dashboard's charts and its CSV: the rows of ``supportbot report trend``
(reports/trend.py), read apart from the page so that the page stays quick; the page's script
fetches them as JSON.

Customer-safe as they are: monthly counts, shares and means of one organisation (or of all
of them, for staff), never a note, a reason or another organisation's incident.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from supportbot.contracts.customers import Customer
from supportbot.reports import render
from supportbot.reports.records import Period
from supportbot.reports.trend import TREND_COLUMNS, TREND_KEYS, TRENDS, periods_back, trend_row
from supportbot.runtime import Runtime


@dataclass(frozen=True)
class Trend:
    period: Period  # the last of the months
    as_of: datetime
    customer: str | None  # None: every customer
    rows: list[dict[str, Any]]

    @property
    def title(self) -> str:
        whose = self.customer or "all customers"
        return (f"supportbot trend {whose}, {TRENDS} months to {self.period.label}, "
                f"as of {self.as_of.isoformat()}")  # fmt: skip


@dataclass(frozen=True)
class Row:
    """One period's row of the trend, as of when it was computed."""

    as_of: datetime
    figures: dict[str, Any]


def row(rt: Runtime, period: Period, customer: Customer | None) -> Row:
    now = rt.now()
    with rt.session() as session:
        found = trend_row(session, rt.contracts, period, now, customer.key if customer else None)
    return Row(now, found)


def ended(period: Period, now: datetime) -> bool:
    """Over in every zone: its figures change only by an import or a waiver."""
    return period.widest_bounds()[1] <= now


def load(
    rt: Runtime, period: Period, customer: Customer | None, kept: Callable[[Period], Row]
) -> Trend:
    """The twelve periods ending with ``period``: the ended ones from ``kept`` (kept longer
    than the page's figures), the others computed now."""
    now = rt.now()
    rows = [
        kept(one).figures if ended(one, now) else row(rt, one, customer).figures
        for one in periods_back(period)
    ]
    return Trend(period, now, customer.key if customer else None, rows)


def as_json(trend: Trend) -> str:
    return render.to_json(
        {
            "title": trend.title,
            "period": trend.period.label,
            "as_of": trend.as_of.isoformat(),
            "customer": trend.customer,
            "rows": trend.rows,
        }  # fmt: skip
    )


def as_csv(trend: Trend) -> str:
    """As ``supportbot report trend --format csv``: the definitions first."""
    return render.to_csv(trend.title, trend.rows, TREND_COLUMNS, TREND_KEYS)
