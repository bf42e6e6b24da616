"""``supportbot report oncall|trend``: utilisation of the people on call, and the headline
figures over the last 12 periods, days, weeks or months (definitions: docs/metrics.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from supportbot.contracts.customers import Contracts
from supportbot.datafiles import DataFileError
from supportbot.oncall import load_rotation
from supportbot.reports import render
from supportbot.reports.figures import figures
from supportbot.reports.load import load_records
from supportbot.reports.load_oncall import load_pages, zones
from supportbot.reports.records import Period
from supportbot.reports.utilisation import COLUMNS, utilisation
from supportbot.settings import Settings

TREND_COLUMNS = (
    "period", "opened", "resolved", "response_sla", "resolution_sla", "mean_response_s",
    "mttr_s", "mean_response_business_s", "mttr_business_s", "escalation_rate",
    "first_contact_resolution", "csat_mean",
)  # fmt: skip
TREND_KEYS = (
    "trend", "period", "opened", "resolved", "response_sla", "resolution_sla", "mean_response",
    "mttr", "business_time", "escalation_rate", "first_contact_resolution", "csat",
)  # fmt: skip
TRENDS = 12


class RotationProblem(ValueError):
    pass


def periods_back(period: Period, count: int = TRENDS) -> list[Period]:
    """``count`` periods of ``period``'s kind ending with it, oldest first."""
    out = [period]
    while len(out) < count:
        out.insert(0, out[0].previous())
    return out


def trend_rows(
    session: Session, contracts: Contracts, period: Period, as_of: datetime, customer: str | None
) -> list[dict[str, Any]]:
    rows = []
    for one in periods_back(period):
        f = figures(load_records(session, contracts, one, customer), one, as_of)
        row = render.sla_row(one.kind.value, one.label, f)
        rows.append({"period": one.label} | {k: row[k] for k in TREND_COLUMNS[1:]})
    return rows


def oncall_rows(session: Session, settings: Settings, period: Period) -> list[dict[str, Any]]:
    try:
        rotation = load_rotation(settings.rotations_dir)
    except (DataFileError, OSError) as exc:
        raise RotationProblem(
            f"the rotation files in {settings.rotations_dir} have problems: run supportbot check"
        ) from exc
    bounds = period.bounds("UTC")
    loads = utilisation(load_pages(session, bounds), zones(rotation), bounds)
    return [load.row(grouping, name) for (grouping, name), load in loads.items()]


def render_rows(title: str, rows: list[dict[str, Any]], columns: tuple[str, ...],
                keys: tuple[str, ...], fmt: str) -> str:  # fmt: skip
    if fmt == "csv":
        return render.to_csv(title, rows, columns, keys)
    if fmt == "json":
        return render.to_json({"title": title, "rows": rows})
    return "\n".join([title, "", render.to_table(rows, columns) if rows else "nothing to report"])


ONCALL_COLUMNS = COLUMNS
