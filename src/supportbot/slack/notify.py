"""Notifications owed to people: rows first, posted by the Slack sync job.

Nobody is ever silently skipped: when a lookup finds no one, the triage channel is told
who could not be reached and why, and the timeline records it.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from supportbot import metrics
from supportbot.db.models import Incident, Notification
from supportbot.incidents.timeline import add_event
from supportbot.oncall.lookup import Reached
from supportbot.runtime import Runtime

log = logging.getLogger(__name__)

# Slack's answers to a direct message that say the person cannot be reached there for good
# (deactivated, gone from the workspace, the app's DM closed to them): a retry cannot help.
# Token-wide answers (invalid_auth, token_revoked, account_inactive) are not among them:
# they hold up every post alike until the token is fixed.
PERSON_GONE = frozenset(
    {"user_not_found", "user_disabled", "channel_not_found", "is_archived", "cannot_dm_bot",
     "messages_tab_disabled"}
)  # fmt: skip


def notify(
    session: Session,
    rt: Runtime,
    incident: Incident,
    recipient: str,
    kind: str,
    text: str,
    *,
    button: str | None = None,
) -> None:
    """``button``: an action id the message offers for the incident (followup_blocks)."""
    session.add(
        Notification(
            incident_id=incident.id,
            recipient=recipient,
            kind=kind,
            text=text,
            created_at=rt.now(),
            button=button,
        )
    )


def notify_reached(
    session: Session,
    rt: Runtime,
    incident: Incident,
    reached: Reached,
    kind: str,
    text: str,
    *,
    who: str,
    button: str | None = None,
) -> list[str]:
    """Notify everyone reached; if nobody, say so in the triage channel. Returns the ids."""
    if reached.people:
        for person in reached.people:
            notify(session, rt, incident, person.slack, kind, text, button=button)
        return [p.slack for p in reached.people]
    warning = f":warning: {incident.key}: nobody to notify for {who} ({reached.reason}). {text}"
    log.error("%s: nobody to notify for %s: %s", incident.key, who, reached.reason)
    metrics.NOTIFY_UNREACHABLE.labels(who).inc()
    warn_triage(session, rt, incident, "unreachable", warning, kind=kind)
    return []


def warn_triage(
    session: Session,
    rt: Runtime,
    incident: Incident,
    event_kind: str,
    text: str,
    *,
    kind: str = "paging",
) -> None:
    """Record a problem on the timeline and post it in the triage channel (never silent)."""
    add_event(session, rt, incident, "supportbot", event_kind, text)
    if rt.settings.triage_channel:
        notify(session, rt, incident, rt.settings.triage_channel, kind, text)


def undeliverable(
    session: Session, rt: Runtime, incident: Incident, note: Notification, error: str
) -> bool:
    """A direct message Slack refused with ``error``: if that says the person is gone for
    good (:data:`PERSON_GONE`), it is given up visibly (logged, counted, said in the triage
    channel and on the timeline) and True is returned; otherwise it is to be retried."""
    if note.recipient[:1] not in ("U", "W") or error not in PERSON_GONE:
        return False
    log.error("%s: notification %s to %s given up: Slack answered %s", incident.key, note.id,
              note.recipient, error)  # fmt: skip
    metrics.SLACK_UNDELIVERABLE.labels("notification", error).inc()
    text = (
        f":warning: {incident.key}: could not send a direct message to <@{note.recipient}> "
        f"(Slack answered `{error}`); not tried again. It said: {note.text}"
    )
    warn_triage(session, rt, incident, "undeliverable", text, kind=note.kind)
    return True
