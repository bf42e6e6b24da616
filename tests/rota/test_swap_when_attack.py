"""Attack: ``/oncall swap`` with days at the edges of the calendar answers with a refusal,
never a traceback (a crash in a slash command is a silent failure in Slack)."""

from __future__ import annotations

import pytest

from tests.conftest import Desk
from tests.oncall.conftest import mention
from tests.rota.swapping import ANA, MONDAY, swap, swaps


@pytest.fixture(autouse=True)
def monday(desk: Desk) -> None:
    desk.rt.clock.set(MONDAY)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "when",
    ["9999-12-31", "9999-12-31 23:00", "0001-01-01", "0001-01-01 00:30", "1970-01-01"],
)
def test_a_swap_on_a_day_at_the_calendars_edge_is_refused_with_a_reason(
    desk: Desk, when: str
) -> None:
    reply = swap(desk, f"{mention(ANA)} {when}")
    assert reply.startswith(":warning:"), reply
    assert swaps(desk) == []
