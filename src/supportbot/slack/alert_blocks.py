"""The alerts section of an alert-born incident's card: "3 firing, 1 resolved", and links to
the firing alerts' sources and runbooks.

Labels, annotations and URLs come from the monitoring payload: text is made inert, and only
http(s) URLs that cannot break out of a Slack link were stored (:func:`alerts.rules.safe_url`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from supportbot.db.models import Alert, Incident
from supportbot.slack import kit
from supportbot.wording import inert_within

SHOWN = 5  # firing alerts listed on the card; the rest are counted
SUMMARY_MAX = 200  # characters of an alert's summary on the card, once escaped
TEXT_MAX = 2900  # within Slack's 3,000 characters for a section's text


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
    head = f"*Alerts*: {firing} firing, {resolved} resolved"
    more = [f"… and {firing - SHOWN} more firing"] if firing > SHOWN else []
    # Each summary escaped, then cut (inert_within), and the text never cut after: cut at
    # 2,900 characters, it could end in "&l" or an open link and lost the alerts after it.
    # Five summaries of 200 always fit; links take what room is left.
    bare = [f"• Sev{row.severity} {inert_within(row.summary, SUMMARY_MAX)}" for row in rows]
    room = TEXT_MAX - len("\n".join([head, *bare, *more]))
    text = "\n".join([head, *_with_links(rows, bare, room), *more])
    blocks = [kit.section(text)]
    if not rows and resolved:
        blocks.append(kit.context([":white_check_mark: Every alert has resolved."]))
    return blocks


def _with_links(rows: Sequence[Alert], bare: list[str], room: int) -> list[str]:
    """Each line with its alert's source and runbook links, each while it fits in ``room``.

    Lines are never cut (a cut could split an ``&lt;`` or leave a ``<url|label>`` link
    open) and every listed alert keeps its summary: a link (up to 2,000 characters) that
    does not fit is left out; the alert in monitoring still has it.
    """
    lines = []
    for row, line in zip(rows, bare, strict=True):
        links: list[str] = []
        for url, label in ((row.generator_url, "source"), (row.runbook_url, "runbook")):
            link = f"<{url}|{label}>"
            if url and len(link) + 3 <= room:  # " (" and ")" for the first, " · " after
                links.append(link)
                room -= len(link) + 3
        lines.append(f"{line} ({' · '.join(links)})" if links else line)
    return lines
