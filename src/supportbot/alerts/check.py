"""``supportbot check``: the integrations file, every problem with its file and line.

The file is optional: without it, alert intake is off (every ``/alerts/…`` request is 401).
"""

from __future__ import annotations

from supportbot.alerts.integrations import Integrations, load_integrations
from supportbot.check import Report
from supportbot.contracts.customers import load_contracts
from supportbot.datafiles import DataFileError, load_model
from supportbot.settings import Settings


def check_integrations(settings: Settings, report: Report) -> None:
    path = settings.integrations_file
    if not path.exists():
        report.notes.append(
            f"{path} not found: no monitoring integrations (README, 'Alerts from monitoring')"
        )
        return
    try:
        contracts = load_contracts(settings.contracts_file)
    except DataFileError:
        contracts = None  # its problems are reported with the contracts file
    try:
        if contracts is None:
            load_model(path, Integrations)  # all but the customer names
        else:
            load_integrations(path, contracts)
    except DataFileError as exc:
        report.problems.extend(str(p) for p in exc.problems)
