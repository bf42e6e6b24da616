"""The Severity 1 customer update cadence, as a script.

A Sev1 for Acme (Premier, 24x7) is opened in its shared channel; the customer's thread says
when the first update is due. Time travels: nothing before the instant, a reminder at it, the
L2 on call brought in at the second miss in a row; an update posted through the card's form
reaches the customer's thread inert and restarts the cadence; resolution stops it.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from supportbot.oncall import lookup
from supportbot.slack import cards
from supportbot.slack.followup_blocks import ACTION_UPDATE, CALLBACK_UPDATE
from tests.conftest import Desk
from tests.followups.helpers import (
    ACME,
    buttons,
    card_text,
    customer_card_text,
    customer_thread,
    dms,
    events,
    incident,
    internal_thread,
    timers,
)
from tests.support.slack_requests import STAFF


def _open_sev1(desk: Desk) -> None:
    assert desk.slack.command("sev1 checkout down for everyone", channel=ACME).status_code == 200
    desk.drain()
    desk.slack.block_action(cards.ACTION_ACK, value="1")  # STAFF acknowledges: the assignee
    desk.drain()


def _reminders(desk: Desk) -> list[str]:
    return [t for t in internal_thread(desk) if "a customer update was due" in t]


def test_update_cadence_reminds_escalates_restarts_and_stops(desk: Desk) -> None:
    _open_sev1(desk)
    opened = incident(desk).opened_at
    # The customer's card, at the head of their thread, says when the first update is due.
    first_due = (opened + timedelta(minutes=30)).astimezone(ZoneInfo("America/New_York"))
    assert f"Next update by *{first_due:%a %d %b %H:%M %Z}*" in customer_card_text(desk)
    assert timers(desk, "update") == [(0, "pending")]
    assert ":memo: *Customer update* due" in card_text(desk)
    assert buttons(desk)[ACTION_UPDATE] == "1"

    # 29 minutes: nothing is due yet, and nothing is said early.
    desk.travel(opened + timedelta(minutes=29) - desk.rt.now())
    assert _reminders(desk) == []

    # 30 minutes (and the scheduler's few seconds): the first reminder, to the assignee.
    desk.travel(opened + timedelta(minutes=30, seconds=6) - desk.rt.now())
    [first] = _reminders(desk)
    assert "(1 missed in a row)" in first
    assert [r for r, _ in dms(desk, "update_reminder")] == [STAFF]
    # The direct message carries the button that opens the form.
    [dm] = [
        c.params
        for c in desk.api.calls("chat.postMessage")
        if c.params.get("channel") == STAFF and "a customer update was due" in c.params["text"]
    ]
    [button] = [e for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert (button["action_id"], button["value"]) == (ACTION_UPDATE, "1")
    assert timers(desk, "update") == [(0, "fired"), (1, "pending")]
    assert events(desk, "update_escalated") == []

    # 60 minutes: the second miss in a row brings in the L2 on call.
    desk.travel(opened + timedelta(minutes=60, seconds=6) - desk.rt.now())
    assert len(_reminders(desk)) == 2 and "(2 missed in a row)" in _reminders(desk)[1]
    [escalated] = events(desk, "update_escalated")
    with desk.rt.session() as session:
        l2 = lookup.people_for(desk.rt, session, "L2", desk.rt.now())
    assert l2.people, "the test rotation has an L2 on call at every instant"
    assert sorted(r for r, _ in dms(desk, "update_escalation")) == sorted(
        p.slack for p in l2.people
    )
    assert "2 customer updates missed in a row" in escalated.text

    # The assignee presses the reminder's button (in the DM) and posts an update through its
    # form: the customer reads it, inert.
    desk.slack.block_action(ACTION_UPDATE, value="1", channel="D0STAFFDM1")
    desk.settle()
    [shown] = desk.api.calls("views.open")
    assert shown.response["view"]["callback_id"] == CALLBACK_UPDATE
    posted = desk.slack.view_submission(
        CALLBACK_UPDATE,
        {"update": "Payments restored for most users <!channel>; next: the EU region."},
        private_metadata="1",
    )
    assert posted.status_code == 200 and posted.text == ""
    desk.drain()
    [update] = [t for t in customer_thread(desk) if "*Update on INC-1*" in t]
    assert "&lt;!channel&gt;" in update and "<!channel>" not in update
    assert "_Next update by" in update
    due_now = (events(desk, "customer_update")[0].at + timedelta(minutes=30)).astimezone(
        ZoneInfo("America/New_York")
    )
    assert f"Next update by *{due_now:%a %d %b %H:%M %Z}*" in customer_card_text(desk)
    assert any("*Update on INC-1*" in t for t in internal_thread(desk))
    # The cadence restarts from the update: the pending reminder moved 30 minutes on.
    assert timers(desk, "update") == [(0, "fired"), (1, "fired"), (2, "cancelled"), (3, "pending")]
    posted_at = events(desk, "customer_update")[0].at
    desk.travel(posted_at + timedelta(minutes=29) - desk.rt.now())
    assert len(_reminders(desk)) == 2
    desk.travel(posted_at + timedelta(minutes=30, seconds=6) - desk.rt.now())
    assert "(1 missed in a row)" in _reminders(desk)[2]  # the count starts again

    # Resolution stops the cadence: no reminder comes after it, however long we wait.
    resolved = desk.slack.view_submission(
        cards.CALLBACK_RESOLVE, {"summary": "rolled back the release"}, private_metadata="1"
    )
    assert resolved.status_code == 200
    desk.drain()
    assert timers(desk, "update")[-1][1] == "cancelled"
    desk.travel(timedelta(hours=2))
    assert len(_reminders(desk)) == 3
    assert "Next update by" not in customer_card_text(desk)
    # The Sev1's RCA draft quotes its pages, acknowledgement, levels and customer update.
    [draft] = [t for t in internal_thread(desk) if "Root cause analysis (draft)" in t]
    for part in ("_paging_", "_acknowledged_", "_level_", "_customer update_", "_resolved_"):
        assert part in draft, part
    assert ACTION_UPDATE not in buttons(desk)


def test_downgrade_stops_the_cadence_and_sev2_never_starts_one(desk: Desk) -> None:
    _open_sev1(desk)
    desk.slack.block_action(cards.ACTION_SEVERITY, block_id="incident-1", selected="2")
    desk.drain()
    assert timers(desk, "update") == [(0, "cancelled")]
    desk.travel(timedelta(minutes=45))
    assert _reminders(desk) == []

    desk.slack.command("sev2 search is slow", channel=ACME)
    desk.drain()
    assert timers(desk, "update") == [(0, "cancelled")]  # incident 2 owes none

    # Upgraded back to Sev1: the cadence starts again, from the upgrade.
    desk.slack.block_action(cards.ACTION_SEVERITY, block_id="incident-2", selected="1")
    desk.drain()
    with desk.rt.session() as session:
        from sqlalchemy import select

        from supportbot.db.followups import FollowupTimer

        owed = session.scalars(
            select(FollowupTimer.incident_id).where(FollowupTimer.state == "pending")
        ).all()
    assert owed == [2]


def test_internal_sev1_owes_no_customer_updates(desk: Desk) -> None:
    desk.slack.command("sev1 internal build farm down")
    desk.drain()
    assert timers(desk, "update") == []
    assert ACTION_UPDATE not in buttons(desk)
