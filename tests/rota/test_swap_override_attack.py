"""Attack: `/oncall override` against the pair of overrides an accepted swap made ahead."""

from __future__ import annotations

import re

import pytest

from tests.conftest import Desk
from tests.oncall.conftest import AOIFE, BRAM, mention, override_rows
from tests.rota.swapping import ANA, MONDAY, invitation, press, swap, swaps
from tests.support.records import answer


@pytest.fixture(autouse=True)
def monday(desk: Desk) -> None:
    desk.rt.clock.set(MONDAY)  # type: ignore[attr-defined]


def test_an_override_refused_for_a_swap_ahead_gives_advice_that_works(desk: Desk) -> None:
    swap(desk, f"{mention(ANA)} wed", user=AOIFE)
    invitation(desk, ANA)
    [row] = swaps(desk)
    press(desk, "accept", row.id, ANA)  # Ana holds L1 Wed 08:00-13:00 UTC, Aoife 13:00-00:00
    assert len(override_rows(desk.rt)) == 2

    # Monday: Bram is to hold L1 for three days; the swap's override on Wednesday clashes.
    refused = answer(desk.slack.command(f"override {mention(BRAM)} 3d", command="/oncall"))
    assert refused.startswith(":warning:"), refused
    # The clashing override has not begun: the refusal says when it does, so the operator
    # can end theirs before it ...
    assert "Wed 11 Mar 08:00" in refused, refused
    # ... and whatever it tells them to run must not be a dead end.
    for suggested in re.findall(r"`/oncall ([^`]+)`", refused):
        reply = answer(desk.slack.command(suggested, command="/oncall"))
        assert "no override in force" not in reply, (refused, reply)
    shorter = answer(desk.slack.command(f"override {mention(BRAM)} 1d", command="/oncall"))
    assert not shorter.startswith(":warning:"), shorter
    assert len(override_rows(desk.rt)) == 3


def test_a_swap_refused_for_another_swap_ahead_gives_advice_that_works(desk: Desk) -> None:
    """A second swap over the first swap's hours is refused; the refusal says when the
    clashing override runs and does not send anyone to `end-override`, which cannot end
    an override made ahead."""
    swap(desk, f"{mention(ANA)} wed", user=AOIFE)
    invitation(desk, ANA)
    [row] = swaps(desk)
    press(desk, "accept", row.id, ANA)

    refused = answer(desk.slack.command(f"swap {mention(ANA)} wed", command="/oncall", user=AOIFE))

    assert refused.startswith(":warning:") and "already covers part of it" in refused, refused
    assert "from Wed 11 Mar 13:00 UTC until Thu 12 Mar 00:00 UTC" in refused, refused
    assert "choose another shift" in refused and "made ahead" in refused, refused
    assert len(override_rows(desk.rt)) == 2  # nothing more made
