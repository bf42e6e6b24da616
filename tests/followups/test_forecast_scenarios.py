"""Predictive escalation, as a script.

History first: six Acme (Premier, 24x7) Sev2s opened together each took 150 h to resolve
from L1, against a 24 h target: six open at once, so at the reference load (one open
incident per person on shift) each would still have taken 25 h or more.
A seventh is opened: at the reconciler's next pass the forecast (100 %: every
comparable incident needed more than the 24 h left) is posted once, on the card and in its
thread, with one-click escalation. Quick history forecasts nothing.
"""

from __future__ import annotations

import re
from datetime import timedelta

from supportbot.slack import cards
from tests.conftest import Desk
from tests.followups.helpers import (
    ACME,
    button_values,
    card_text,
    events,
    incident,
    internal_thread,
)


def history(desk: Desk, hours: float, count: int = 6) -> None:
    for n in range(count):
        desk.slack.command(f"sev2 export stalls #{n}", channel=ACME)
    desk.drain()
    desk.travel(timedelta(hours=hours))
    for n in range(1, count + 1):
        desk.slack.view_submission(
            cards.CALLBACK_RESOLVE, {"summary": "reindexed"}, private_metadata=str(n)
        )
    desk.drain()


def forecasts(desk: Desk, incident_id: int) -> list[str]:
    return [t for t in internal_thread(desk, incident_id) if "*Breach forecast*" in t]


def test_slow_history_forecasts_a_breach_once_and_offers_escalation(desk: Desk) -> None:
    history(desk, hours=150)
    desk.slack.command("sev2 export stalls again", channel=ACME)
    desk.drain()
    assert forecasts(desk, 7) == []  # nothing before the reconciler's pass
    desk.travel(timedelta(seconds=20))
    [posted] = forecasts(desk, 7)
    assert "100% chance of missing the resolution target" in posted
    assert "; alert at 70%)." in posted
    assert "23h59m left on the resolution clock" in posted
    assert "6 of 6 past Sev2 Premier incidents still open after 0m at L1" in posted
    # Opened one after the other, the k-th found k open for 2 on shift: 150 h counts as
    # 150, 150, 100, 75, 60 and 50 h at the reference load, median 87 h 30.
    assert re.search(r"median (87h29m|87h30m) more at the reference load", posted)
    assert "Breach forecast" in card_text(desk, 7)
    assert button_values(desk, cards.ACTION_ESCALATE, 7) == ["7:L1", "7:L1"]

    desk.travel(timedelta(minutes=30))
    assert len(forecasts(desk, 7)) == 1  # once

    # One click on the forecast's button escalates; the card then offers it no more.
    desk.slack.block_action(cards.ACTION_ESCALATE, value="7:L1")
    desk.drain()
    assert incident(desk, 7).level == "L2"
    assert button_values(desk, cards.ACTION_ESCALATE, 7) == ["7:L2"]  # the card's own
    assert len(forecasts(desk, 7)) == 1


def test_quick_history_forecasts_nothing(desk: Desk) -> None:
    history(desk, hours=3)
    desk.slack.command("sev2 export stalls again", channel=ACME)
    desk.drain()
    desk.travel(timedelta(hours=2))
    assert forecasts(desk, 7) == []
    assert events(desk, "forecast:L1") == []
