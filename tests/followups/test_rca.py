"""Root cause analyses, as a script on Acme's business calendar (Mon–Fri 09–17 New York,
US/NY holidays): a Sev2 resolved on Monday 23 Nov 2026 11:00 owes its RCA 5 business days
later. Thanksgiving (Thu 26) is closed, so 40 business hours end Tue 1 Dec 11:00 EST, and the
reminder one business day earlier comes Mon 30 Nov 11:00 EST.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from supportbot.clock import TravelClock
from supportbot.followups.timers import GRACE
from supportbot.slack import cards
from supportbot.slack.followup_blocks import (
    ACTION_RCA,
    ACTION_UPDATE,
    CALLBACK_RCA,
    CALLBACK_UPDATE,
)
from tests.conftest import Desk
from tests.followups.helpers import (
    ACME,
    ALICE,
    buttons,
    card_text,
    customer_thread,
    dms,
    events,
    internal_thread,
    root_cause,
    timers,
)
from tests.support.slack_requests import STAFF

OPENED = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # Mon 09:00 EST
RESOLVED = OPENED + timedelta(hours=2)  # Mon 11:00 EST
DUE = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)  # Tue 1 Dec 11:00 EST
REMIND = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # Mon 30 Nov 11:00 EST
SECRET = "db-primary password rotated by hand"


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(OPENED, ticking=True)


def _until(desk: Desk, at: datetime) -> None:
    desk.travel(at - desk.rt.now())


def _past(desk: Desk, nominal: datetime) -> datetime:
    """Just past the instant a nominal time stands for: the clock ticks at real speed, so the
    resolution (and every instant counted from it) comes a few seconds after its nominal time,
    more on a loaded machine; and a timer is re-driven once it is the redriver's grace late."""
    rca = root_cause(desk)
    assert rca is not None
    return nominal + (rca.due_at - DUE) + GRACE + timedelta(seconds=1)


def _work_and_resolve(desk: Desk) -> None:
    """Open, acknowledge, an internal note, an escalation, a customer update, resolve."""
    assert desk.slack.command("sev2 invoices fail to render", channel=ACME).status_code == 200
    desk.drain()
    desk.slack.block_action(cards.ACTION_ACK, value="1")
    desk.slack.command(f"note INC-1 {SECRET}")
    desk.slack.block_action(cards.ACTION_ESCALATE, value="1:L1")
    desk.drain()
    update = desk.slack.view_submission(
        CALLBACK_UPDATE, {"update": "We found the faulty renderer."}, private_metadata="1"
    )
    assert update.status_code == 200 and update.text == ""
    desk.drain()
    _until(desk, RESOLVED)
    done = desk.slack.view_submission(
        cards.CALLBACK_RESOLVE, {"summary": "renderer rolled back"}, private_metadata="1"
    )
    assert done.status_code == 200
    desk.drain()


def test_rca_is_owed_reminded_approved_and_posted_customer_safe(desk: Desk) -> None:
    _work_and_resolve(desk)
    rca = root_cause(desk)
    # The clock ticks at real speed between the steps: the due time is exact to a few seconds.
    assert rca is not None and rca.state == "due" and abs(rca.due_at - DUE) < timedelta(seconds=5)
    assert timers(desk, "rca_remind") == [(0, "pending")]
    # The template in the incident's thread, prefilled from the timeline.
    [template] = [t for t in internal_thread(desk) if "Root cause analysis (draft)" in t]
    for part in ("_acknowledged_", "_level_", "_customer update_", "_resolved_", "renderer"):
        assert part in template, part
    assert "<@" not in template  # quoting the timeline pings nobody again
    assert "*RCA* due Tue 01 Dec" in card_text(desk)
    assert buttons(desk)[ACTION_RCA] == "1"

    # The reminder: not a minute early, then to the assignee.
    _until(desk, REMIND - timedelta(minutes=1))
    assert dms(desk, "rca_reminder") == []
    _until(desk, _past(desk, REMIND))
    [(who, text)] = dms(desk, "rca_reminder")
    assert who == STAFF and "root cause analysis is due Tue 01 Dec" in text
    [dm] = [
        c.params
        for c in desk.api.calls("chat.postMessage")
        if c.params.get("channel") == STAFF and "analysis is due" in c.params["text"]
    ]
    rows = [b["elements"] for b in dm["blocks"] if b["type"] == "actions"]
    offered = [e["action_id"] for row in rows for e in row]
    assert offered == [ACTION_RCA]  # the reminder's way to the form

    # Approved through the card's form: the customer reads the safe version, once.
    desk.slack.block_action(ACTION_RCA, value="1")
    desk.settle()
    [shown] = desk.api.calls("views.open")
    assert shown.response["view"]["callback_id"] == CALLBACK_RCA
    approve = {"root_cause": "A renderer release <!here> broke PDFs", "actions": "Canary PDFs"}
    first = desk.slack.view_submission(CALLBACK_RCA, approve, private_metadata="1", view_id="V1")
    assert first.status_code == 200 and first.text == ""
    desk.drain()
    [posted] = [t for t in customer_thread(desk) if "*Root cause analysis*" in t]
    assert "A renderer release &lt;!here&gt; broke PDFs" in posted
    assert "*Corrective actions*: Canary PDFs" in posted
    assert "We found the faulty renderer." in posted  # the customer update they saw
    assert SECRET not in posted and "L2" not in posted and "paging" not in posted
    assert any("*Root cause analysis*" in t for t in internal_thread(desk))
    rca = root_cause(desk)
    assert rca is not None and (rca.state, rca.approved_by) == ("approved", STAFF)
    assert timers(desk, "rca_due") == [(0, "cancelled")]
    assert "*RCA* approved by <@U0STAFF001>" in card_text(desk)

    # The same submission again (Slack's retry, a replay): nothing more is posted.
    again = desk.slack.view_submission(CALLBACK_RCA, approve, private_metadata="1", view_id="V1")
    assert again.status_code == 200 and again.text == ""
    # A second approval: refused beside the field, nothing changes.
    second = desk.slack.view_submission(CALLBACK_RCA, approve, private_metadata="1")
    assert "already approved by <@U0STAFF001>" in second.json()["errors"]["root_cause"]
    desk.drain()
    assert len([t for t in customer_thread(desk) if "*Root cause analysis*" in t]) == 1
    _until(desk, DUE + timedelta(minutes=5))
    assert events(desk, "rca_overdue") == []


def test_rca_overdue_is_said_once_and_a_sev3_owes_none(desk: Desk) -> None:
    _work_and_resolve(desk)
    _until(desk, _past(desk, DUE))
    [(who, text)] = dms(desk, "rca_overdue")
    assert who == STAFF and "was due Tue 01 Dec" in text
    desk.travel(timedelta(days=3))
    assert len(events(desk, "rca_overdue")) == 1

    desk.slack.command("sev3 a typo on the invoice", channel=ACME)
    desk.drain()
    desk.slack.view_submission(cards.CALLBACK_RESOLVE, {"summary": "fixed"}, private_metadata="2")
    desk.drain()
    assert [t for t in internal_thread(desk, 2) if "Root cause analysis" in t] == []


def _errors(response: object) -> dict[str, str]:
    body = response.json()  # type: ignore[attr-defined]
    assert body["response_action"] == "errors", body
    return dict(body["errors"])


def test_rca_bad_input_and_wrong_users(desk: Desk) -> None:
    _work_and_resolve(desk)
    desk.api.clear()
    # A customer's designated contact presses a forwarded button: told no, no form opens.
    desk.slack.block_action(ACTION_RCA, value="1", user=ALICE, channel=ACME, user_team="T0ACME")
    desk.settle()
    assert desk.api.calls("views.open") == []
    [refusal] = desk.api.responses()
    assert "Only the support team can approve a root cause analysis" in refusal["text"]
    # ... and a forged submission of the form from them.
    forged = desk.slack.view_submission(
        CALLBACK_RCA, {"root_cause": "x"}, private_metadata="1", user=ALICE, user_team="T0ACME"
    )
    assert "Only the support team" in _errors(forged)["root_cause"]
    # Empty, oversized, an unknown incident, an incident that owes none.
    empty = desk.slack.view_submission(CALLBACK_RCA, {"root_cause": "  \n "}, private_metadata="1")
    assert "cannot be empty" in _errors(empty)["root_cause"]
    long = desk.slack.view_submission(
        CALLBACK_RCA, {"root_cause": "x", "actions": "y" * 2001}, private_metadata="1"
    )
    assert "2001 characters (the limit is 2000)" in _errors(long)["actions"]
    unknown = desk.slack.view_submission(CALLBACK_RCA, {"root_cause": "x"}, private_metadata="99")
    assert "INC-99" in _errors(unknown)["root_cause"]
    desk.slack.command("sev3 minor", channel=ACME)
    desk.drain()
    none_owed = desk.slack.view_submission(CALLBACK_RCA, {"root_cause": "x"}, private_metadata="2")
    assert "INC-2 owes no root cause analysis" in _errors(none_owed)["root_cause"]
    desk.drain()
    rca = root_cause(desk)
    assert rca is not None and rca.state == "due" and rca.customer_text is None
    assert [t for t in customer_thread(desk) if "Root cause analysis" in t] == []
    assert ACTION_UPDATE not in buttons(desk)  # resolved: no more updates owed
