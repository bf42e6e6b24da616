"""Attacks on the follow-ups: a cadence stopped and started again, and the RCA's cut lines.

"From the second miss in a row the L2 on call is told too": misses of a cadence that was
stopped (a downgrade, a resolution) are not in the same row as those of the cadence started
again later, so the first miss after a restart must not bring in L2. A timeline line the RCA
quotes is cut to its length; the cut must not split an escape (``&lt;``), which the customer
would read as ``&l…``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from supportbot.desk import actions
from supportbot.followups.rca_text import LINE_MAX, Entry, Facts, customer_version
from supportbot.incidents.access import Actor
from supportbot.slack import cards
from tests.conftest import Desk
from tests.followups.helpers import ACME, events, incident, internal_thread
from tests.support.slack_requests import STAFF


def _open_sev1(desk: Desk) -> None:
    assert desk.slack.command("sev1 checkout down for everyone", channel=ACME).status_code == 200
    desk.drain()
    desk.slack.block_action(cards.ACTION_ACK, value="1")
    desk.drain()


def _reminders(desk: Desk) -> list[str]:
    return [t for t in internal_thread(desk) if "a customer update was due" in t]


def _miss_once(desk: Desk) -> None:
    """Let the pending update come due unposted (and the scheduler's few seconds)."""
    desk.travel(timedelta(minutes=30, seconds=6))


def test_a_miss_before_a_downgrade_is_not_in_a_row_with_one_after_the_upgrade(
    desk: Desk,
) -> None:
    staff = Actor.staff_member(STAFF)
    _open_sev1(desk)
    _miss_once(desk)
    assert "(1 missed in a row)" in _reminders(desk)[-1]
    actions.set_severity(desk.rt, 1, staff, 2)  # the cadence stops
    desk.drain()
    desk.travel(timedelta(hours=2))
    actions.set_severity(desk.rt, 1, staff, 1)  # and starts again, from the upgrade
    desk.drain()
    _miss_once(desk)
    assert len(_reminders(desk)) == 2
    assert "(1 missed in a row)" in _reminders(desk)[-1]
    assert events(desk, "update_escalated") == []  # L2 is not told at the first miss


def test_a_miss_before_a_resolution_is_not_in_a_row_with_one_after_the_reopening(
    desk: Desk,
) -> None:
    staff = Actor.staff_member(STAFF)
    _open_sev1(desk)
    _miss_once(desk)
    actions.resolve(desk.rt, 1, staff, "rolled back")
    desk.drain()
    desk.travel(timedelta(hours=1))
    actions.reopen(desk.rt, 1, staff, "it is back")
    desk.drain()
    assert incident(desk).status == "investigating"
    _miss_once(desk)
    assert len(_reminders(desk)) == 2
    assert "(1 missed in a row)" in _reminders(desk)[-1]
    assert events(desk, "update_escalated") == []


def test_the_rca_never_cuts_an_escape_the_customer_would_read_as_garbage() -> None:
    at = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    zone = ZoneInfo("America/New_York")
    facts = Facts("INC-1", "checkout down", "Sev1 Critical", "Acme", at, at, "fixed", at)
    # A customer update as stored: the typed "<" escaped by inert, right where the cut falls.
    for pad in range(LINE_MAX - 12, LINE_MAX + 2):
        text = "x" * pad + "&lt;b&gt; and more"
        entry = Entry(at, "customer_update", text, "customer")
        posted = customer_version(facts, [entry], zone, "a bad deploy", "")
        [line] = [ln for ln in posted.splitlines() if "_customer update_" in ln]
        body = line.split(" · ", 2)[2]
        assert len(body) <= LINE_MAX
        head = body.removesuffix("…")
        cut = head.rfind("&")
        assert cut == -1 or head[cut:].startswith(("&lt;", "&gt;")), (pad, head[-8:])
