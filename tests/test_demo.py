"""`supportbot demo` tells the whole story through the real stack, every time."""

from __future__ import annotations

from pathlib import Path

from supportbot.devtools.demo import run_demo

REPO = Path(__file__).resolve().parent.parent


def test_demo_plays_the_desk_a_page_with_handoff_and_an_sla_breach() -> None:
    lines: list[str] = []
    assert run_demo(out=lines.append, repo=REPO) == 0
    text = "\n".join(lines)
    for expected in (
        "Opened *INC-1*",
        "Only the support team can escalate",
        "Paging started for INC-2",
        "Step 2: paging",
        "EMEA went off shift with INC-2 unacknowledged: handed to Americas",
        "Acknowledged INC-2. Paging has stopped.",
        "INC-2 was already acknowledged by you via SMS",
        "INC-3 response target 50% used",
        "INC-3 breached its response target",
        "INC-3 escalated to L2 after the response breach",
        "Step 4: paging Fionn Walsh (L3 primary)",
        "(management) by SMS and call",
        "L3 engaged 15 minutes after opening",
    ):
        assert expected in text, f"{expected!r} missing from the demo:\n{text}"
    # Nothing was paged after the acknowledgement: the last SMS precedes it.
    after_ack = text.split("Acknowledged INC-2. Paging has stopped.")[1]
    assert "Twilio (dry run) sms" not in after_ack.split("=== 3.")[0]
    # Each step shows a card update only when the card changed: never the same card twice.
    for step in text.split("\n▶ ")[1:]:
        updates = [line for line in step.splitlines() if "chat.update" in line]
        assert len(updates) == len(set(updates)), f"a card updated twice in one step:\n{step}"
    # L3 and management are paged at 15 minutes, before the 14:00 handoff.
    fifteen = text.split("[Tue 13:55 Dublin]")[1].split("[Tue 14:00 Dublin]")[0]
    assert "L3 primary" in fifteen and "(management)" in fifteen
