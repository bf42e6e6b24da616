"""An RCA whose incident is reopened, as a script on Acme's business calendar (Mon–Fri 09–17
New York, Thanksgiving closed). The Sev2 of test_rca is resolved Mon 23 Nov 11:00 EST and owes
its RCA Tue 1 Dec 11:00 EST. It is reopened Wed 25 Nov 10:00 EST: the RCA is on hold (no
reminder Mon 30 Nov, no overdue note Tue 1 Dec, approval refused with the reason). Resolved
again Tue 1 Dec 12:00 EST, it is due again 5 business days later, Tue 8 Dec 12:00 EST, with
its reminder Mon 7 Dec 12:00 EST, and the draft covers the reopened period.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from supportbot.clock import TravelClock
from supportbot.desk import actions
from supportbot.followups.timers import GRACE
from supportbot.incidents.access import Actor
from supportbot.slack.followup_blocks import ACTION_RCA, CALLBACK_RCA
from tests.conftest import Desk
from tests.followups.helpers import (
    buttons,
    card_text,
    customer_thread,
    dms,
    events,
    internal_thread,
    root_cause,
    timers,
)
from tests.followups.test_rca import DUE, OPENED, REMIND, _work_and_resolve
from tests.support.slack_requests import STAFF

REOPENED = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # Wed 10:00 EST
RESOLVED_AGAIN = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)  # Tue 1 Dec 12:00 EST
DUE_AGAIN = datetime(2026, 12, 8, 17, 0, tzinfo=UTC)  # Tue 8 Dec 12:00 EST
REMIND_AGAIN = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)  # Mon 7 Dec 12:00 EST
APPROVE = {"root_cause": "A renderer release broke PDFs", "actions": "Canary PDFs"}


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(OPENED, ticking=True)


def _until(desk: Desk, at: datetime) -> None:
    desk.travel(at - desk.rt.now())


def _rca_state(desk: Desk) -> str:
    rca = root_cause(desk)
    assert rca is not None
    return rca.state


def test_a_reopened_incident_holds_its_rca_until_it_is_resolved_again(desk: Desk) -> None:
    staff = Actor.staff_member(STAFF)
    _work_and_resolve(desk)
    assert _rca_state(desk) == "due"

    # Wed 10:00: reopened. The RCA is on hold, says so in the thread and on the card.
    _until(desk, REOPENED)
    actions.reopen(desk.rt, 1, staff)
    desk.drain()
    assert _rca_state(desk) == "on_hold"
    assert timers(desk, "rca_remind") == [(0, "cancelled")]
    assert timers(desk, "rca_due") == [(0, "cancelled")]
    [held] = [t for t in internal_thread(desk) if "root cause analysis is on hold" in t]
    assert "INC-1 was reopened" in held and "due again" in held
    assert "*RCA* on hold while the incident is reopened" in card_text(desk)
    assert ACTION_RCA not in buttons(desk)

    # Approving it now is refused with the reason: by the (stale) button, and by the form.
    desk.api.clear()
    desk.slack.block_action(ACTION_RCA, value="1")
    desk.settle()
    assert desk.api.calls("views.open") == []
    [refusal] = desk.api.responses()
    assert "INC-1 was reopened: its RCA cannot be approved" in refusal["text"]
    early = desk.slack.view_submission(CALLBACK_RCA, APPROVE, private_metadata="1")
    assert (
        "cannot be approved until the incident is resolved again"
        in (early.json()["errors"]["root_cause"])
    )

    # Neither the first reminder (Mon 30 Nov) nor the overdue note (Tue 1 Dec) comes.
    _until(desk, DUE + GRACE + timedelta(minutes=5))
    assert dms(desk, "rca_reminder") == [] and dms(desk, "rca_overdue") == []
    assert events(desk, "rca_reminder") == [] and events(desk, "rca_overdue") == []
    assert REMIND < DUE  # both instants above have passed

    # Tue 1 Dec 12:00: resolved again. The same RCA is due again from this resolution.
    _until(desk, RESOLVED_AGAIN)
    actions.resolve(desk.rt, 1, staff, "renderer pinned to the last good release")
    desk.drain()
    rca = root_cause(desk)
    assert rca is not None and rca.state == "due"
    late = rca.due_at - DUE_AGAIN  # the clock ticks at real speed between the steps
    assert timedelta(0) <= late < timedelta(minutes=1)
    assert abs(rca.resolved_at - RESOLVED_AGAIN) < timedelta(minutes=1)
    assert timers(desk, "rca_remind") == [(0, "cancelled"), (1, "pending")]
    assert timers(desk, "rca_due") == [(0, "cancelled"), (1, "pending")]
    [again] = [t for t in internal_thread(desk) if "was resolved again" in t]
    assert "Root cause analysis (draft)" in again and "due* Tue 08 Dec" in again
    # The refreshed draft covers the reopened period, up to the second resolution.
    for part in ("_investigating_", "renderer rolled back", "renderer pinned"):
        assert part in again, part
    assert "to Tue 01 Dec" in again
    assert rca.template in again
    assert "*RCA* due Tue 08 Dec" in card_text(desk) and ACTION_RCA in buttons(desk)

    # Reminded before the new due instant, not before.
    _until(desk, REMIND_AGAIN - timedelta(minutes=1))
    assert dms(desk, "rca_reminder") == []
    _until(desk, REMIND_AGAIN + late + GRACE + timedelta(seconds=1))
    # To the on-shift lead: the reopened incident sat investigating for days without
    # progress, so the acknowledgement's expiry released it from its assignee meanwhile.
    [(_who, text)] = dms(desk, "rca_reminder")
    assert "root cause analysis is due Tue 08 Dec" in text

    # Approved now: the customer reads it once, and it covers the whole incident.
    assert [t for t in customer_thread(desk) if "Root cause analysis" in t] == []
    done = desk.slack.view_submission(CALLBACK_RCA, APPROVE, private_metadata="1", view_id="V9")
    assert done.status_code == 200 and done.text == ""
    desk.drain()
    [posted] = [t for t in customer_thread(desk) if "*Root cause analysis*" in t]
    assert "renderer pinned to the last good release" in posted
    assert "A renderer release broke PDFs" in posted
    assert _rca_state(desk) == "approved"
    _until(desk, DUE_AGAIN + late + GRACE + timedelta(minutes=5))
    assert events(desk, "rca_overdue") == []
