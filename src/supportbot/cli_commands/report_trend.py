"""``supportbot report oncall|trend``: utilisation of the people on call, and the output of
both: the headline figures over the last 12 periods, days, weeks or months (the trend's rows
are reports/trend.py's, shared with the dashboard; definitions: docs/metrics.md)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from supportbot.datafiles import DataFileError
from supportbot.oncall import load_rotation
from supportbot.reports import render
from supportbot.reports.load_oncall import load_pages, zones
from supportbot.reports.records import Period
from supportbot.reports.utilisation import COLUMNS, utilisation
from supportbot.settings import Settings


class RotationProblem(ValueError):
    pass


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
