"""What the follow-up scenarios read back: threads, the card, rows, direct messages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from supportbot.db.followups import FollowupTimer, RootCause
from supportbot.db.models import Incident, Notification, TimelineEvent
from tests.conftest import Desk
from tests.standins import block_text
from tests.support.slack_requests import TRIAGE

ACME = "C0ACMESHARED"  # Premier, 24x7, America/New_York; contacts U0ACMEALICE, U0ACMEBOB
ALICE = "U0ACMEALICE"


def incident(desk: Desk, incident_id: int = 1) -> Incident:
    with desk.rt.session() as session:
        found = session.get_one(Incident, incident_id)
        session.expunge(found)
        return found


def internal_thread(desk: Desk, incident_id: int = 1) -> list[str]:
    found = incident(desk, incident_id)
    return [m["text"] for m in desk.api.messages(channel=TRIAGE, thread_ts=found.card_ts)]


def customer_thread(desk: Desk, incident_id: int = 1) -> list[str]:
    found = incident(desk, incident_id)
    assert found.customer_channel and found.customer_thread_ts
    messages = desk.api.messages(channel=found.customer_channel, thread_ts=found.customer_thread_ts)
    return [m["text"] for m in messages if m.get("ts") != found.customer_card_ts]


def card(desk: Desk, incident_id: int = 1) -> dict[str, Any]:
    found = incident(desk, incident_id)
    message = desk.api.message(found.card_channel or "", found.card_ts or "")
    assert message is not None
    return message


def customer_card_text(desk: Desk, incident_id: int = 1) -> str:
    found = incident(desk, incident_id)
    message = desk.api.message(found.customer_channel or "", found.customer_card_ts or "")
    assert message is not None
    return block_text(message.get("blocks"))


def card_text(desk: Desk, incident_id: int = 1) -> str:
    return block_text(card(desk, incident_id).get("blocks"))


def buttons(desk: Desk, incident_id: int = 1) -> dict[str, str]:
    """action id → value of every button on the card (the last of a repeated id wins)."""
    found: dict[str, str] = {}
    for block in card(desk, incident_id).get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("type") == "button":
                found[element["action_id"]] = element.get("value", "")
    return found


def button_values(desk: Desk, action_id: str, incident_id: int = 1) -> list[str]:
    values = []
    for block in card(desk, incident_id).get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("type") == "button" and element["action_id"] == action_id:
                values.append(element.get("value", ""))
    return values


def timers(desk: Desk, kind: str) -> list[tuple[int, str]]:
    with desk.rt.session() as session:
        rows = session.scalars(
            select(FollowupTimer).where(FollowupTimer.kind == kind).order_by(FollowupTimer.seq)
        )
        return [(t.seq, t.state) for t in rows]


def dms(desk: Desk, kind: str) -> list[tuple[str, str]]:
    """(recipient, text) of the direct messages of ``kind`` actually sent to Slack."""
    with desk.rt.session() as session:
        rows = session.scalars(
            select(Notification).where(Notification.kind == kind).order_by(Notification.id)
        ).all()
        assert all(r.sent_at is not None for r in rows), "a notification was left unsent"
        return [(r.recipient, r.text) for r in rows]


def events(desk: Desk, kind: str) -> list[TimelineEvent]:
    with desk.rt.session() as session:
        rows = session.scalars(
            select(TimelineEvent).where(TimelineEvent.kind == kind).order_by(TimelineEvent.id)
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def root_cause(desk: Desk) -> RootCause | None:
    with desk.rt.session() as session:
        found = session.scalar(select(RootCause))
        if found is not None:
            session.expunge(found)
        return found
