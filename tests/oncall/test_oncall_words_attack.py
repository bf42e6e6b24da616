"""Attack: every malformed `/oncall` answers in words (never a 500 or a traceback)."""

from __future__ import annotations

import pytest

from tests.conftest import Desk
from tests.oncall.conftest import BRAM, TUESDAY_10_DUBLIN, mention, override_rows
from tests.support.records import answer

TEXTS = [
    "override",
    "override @nobody 2h",
    f"override {mention(BRAM)} 999999d",
    f"override {mention(BRAM)} 0m",
    f"override {mention(BRAM)} -2h",
    f"override {mention(BRAM)} 2h L4",
    f"override {mention(BRAM)} ١h",
    f"override {mention(BRAM)} ²h",
    f"override {mention(BRAM)} 2h L1 L2",
    f"override {mention(BRAM)} 2h primary secondary",
    f"override {mention('UBOGUS00')} 2h",
    "override <@> 2h",
    "override @ 2h",
    f"override {mention(BRAM)} {mention(BRAM)} 2h",
    "end-override",
    f"end-override {mention(BRAM)}",
    f"end-override {mention(BRAM)} 2h",
    f"swap {mention(BRAM)} 2026-02-30",
    f"swap {mention(BRAM)} 2026-03-11 24:00",
    f"swap {mention(BRAM)} 2026-03-11 08:00 extra",
    f"swap {mention(BRAM)} +002026-03-11",
    f"swap {mention(BRAM)} 20260311",
    f"swap {mention(BRAM)} 2026-W11-3",
    "swap @nobody wed",
    "\u0000",
    "override\u00a0@bram 2h",
]


@pytest.mark.parametrize("text", TEXTS)
def test_a_bad_oncall_command_is_answered_in_words(desk: Desk, text: str) -> None:
    desk.rt.clock.set(TUESDAY_10_DUBLIN)  # type: ignore[attr-defined]
    reply = answer(desk.slack.command(text, command="/oncall"))
    assert reply and "Traceback" not in reply, reply
    if text.startswith(("swap", "end-override")) or "@nobody" in text or "4" in text:
        assert override_rows(desk.rt) == []
