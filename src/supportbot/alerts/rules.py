"""The rules of alert-born incidents: titles, severities, links and summaries. Pure: no I/O.

Labels and annotations come from whoever can reach the webhook with a token: they are kept
as given and made inert (:func:`supportbot.wording.inert`) wherever they are shown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime

from supportbot.alerts.integrations import Integration
from supportbot.alerts.payloads import AlertIn, Batch
from supportbot.incidents.lifecycle import DESCRIPTION_MAX, TITLE_MAX
from supportbot.wording import inert

SUMMARY_MAX = 300
SHOWN_IN_SUMMARY = 10  # alerts named one by one in a thread summary; the rest are counted
_URL = re.compile(r"https?://[^\s<>|]+")  # fullmatch: "$" also matched before a final "\n"
RUNBOOK_KEYS = ("runbook_url", "runbook", "runbookURL", "runbook_link")


def safe_url(url: str | None) -> str | None:
    """An http(s) URL that cannot break out of Slack's ``<url|label>`` link, or None."""
    if url and len(url) <= 2000 and _URL.fullmatch(url):
        return url
    return None


def runbook(alert: AlertIn) -> str | None:
    return next((safe_url(alert.annotations[k]) for k in RUNBOOK_KEYS if k in alert.annotations),
                None)  # fmt: skip


def alert_summary(alert: AlertIn) -> str:
    """One line naming the alert: its alertname and its summary annotation."""
    name = alert.labels.get("alertname", "")
    what = alert.annotations.get("summary") or alert.annotations.get("description", "")
    what = " ".join(what.split())
    text = f"{name}: {what}" if name and what else (name or what or alert.fingerprint)
    return text[:SUMMARY_MAX]


def severity_of(integration: Integration, alert: AlertIn) -> int:
    return integration.severity.of(alert.labels)


def title(batch: Batch, firing: Sequence[AlertIn]) -> str:
    """The incident's title: the sender's title, else the common alertname and summary."""
    first = firing[0] if firing else batch.alerts[0]
    if batch.title.strip():
        text = batch.title
    else:
        name = batch.common_labels.get("alertname") or first.labels.get("alertname", "")
        what = batch.common_annotations.get("summary") or alert_summary(first)
        text = what if not name or what.startswith(name) else f"{name}: {what}"
    text = " ".join(text.split()) or "Alert"
    more = f" (+{len(firing) - 1} more)" if len(firing) > 1 else ""
    return text[: TITLE_MAX - len(more)] + more


def description(integration: Integration, batch: Batch, firing: Sequence[AlertIn]) -> str:
    lines = [f"From {integration.name} ({integration.format})."]
    if batch.common_labels:
        lines.append(" ".join(f"{k}={v}" for k, v in sorted(batch.common_labels.items())))
    for alert in firing[:SHOWN_IN_SUMMARY]:
        lines.append(f"• {alert_summary(alert)}")
    if len(firing) > SHOWN_IN_SUMMARY:
        lines.append(f"… and {len(firing) - SHOWN_IN_SUMMARY} more")
    return "\n".join(lines)[:DESCRIPTION_MAX]


def in_hold_down(resolved_at: datetime | None, integration: Integration, now: datetime) -> bool:
    """Whether an alert firing again now is the same trouble flapping (re-open, not new)."""
    return resolved_at is not None and now < resolved_at + integration.hold_down


# What happened to an alert since the thread last mentioned it, by (status, reported).
CATEGORIES = (("new", "New"), ("again", "Firing again"), ("resolved", "Resolved"))


def category(status: str, reported: str | None) -> str | None:
    if status == reported:
        return None
    if status == "firing":
        return "new" if reported is None else "again"
    return "resolved"


def summary_text(
    counts: Mapping[str, int], examples: Mapping[str, Sequence[tuple[int, str]]], firing: int,
    resolved: int,
) -> str:  # fmt: skip
    """One thread post for every change of an interval, bounded however many there were.
    ``counts`` and ``examples`` ((severity, summary) pairs) are by :func:`category`."""
    parts = [f":rotating_light: Alerts: {firing} firing, {resolved} resolved."]
    for name, label in CATEGORIES:
        total = counts.get(name, 0)
        if not total:
            continue
        shown = examples.get(name, ())[:SHOWN_IN_SUMMARY]
        lines = "\n".join(f"• Sev{sev} {inert(text)}" for sev, text in shown)
        more = f"\n… and {total - len(shown)} more" if total > len(shown) else ""
        parts.append(f"*{label}* ({total}):\n{lines}{more}")
    return "\n".join(parts)
