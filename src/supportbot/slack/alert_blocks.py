"""The alerts section of an alert-born incident's card: "3 firing, 1 resolved", and links to
the firing alerts' sources and runbooks.

Labels, annotations and URLs come from the monitoring payload: text is made inert, and only
http(s) URLs that cannot break out of a Slack link were stored (:func:`alerts.rules.safe_url`).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from supportbot.db.models import Alert, Incident
from supportbot.slack import kit
from supportbot.wording import inert

SHOWN = 5  # firing alerts listed on the card; the rest are counted


def alert_blocks(session: Session, incident: Incident) -> list[kit.Block]:
    query = (
        select(Alert.status, func.count())
        .where(Alert.incident_id == incident.id)
        .group_by(Alert.status)
    )
    counts = {status: int(n) for status, n in session.execute(query)}
    if not counts:
        return []
    firing, resolved = counts.get("firing", 0), counts.get("resolved", 0)
    rows = session.scalars(
        select(Alert)
        .where(Alert.incident_id == incident.id, Alert.status == "firing")
        .order_by(Alert.severity, Alert.id)
        .limit(SHOWN)
    ).all()
    lines = [f"*Alerts*: {firing} firing, {resolved} resolved"]
    for row in rows:
        links = [f"<{url}|{label}>" for url, label in
                 ((row.generator_url, "source"), (row.runbook_url, "runbook")) if url]  # fmt: skip
        tail = f" ({' · '.join(links)})" if links else ""
        lines.append(f"• Sev{row.severity} {inert(row.summary[:200])}{tail}")
    if firing > SHOWN:
        lines.append(f"… and {firing - SHOWN} more firing")
    text = "\n".join(lines)[:2900]
    blocks = [kit.section(text)]
    if not rows and resolved:
        blocks.append(kit.context([":white_check_mark: Every alert has resolved."]))
    return blocks
