"""A customer in a shared channel attacking the desk: what they are told must never teach
them the support team's commands, confirm another organisation's records, or let their
text re-posted by the bot play tricks on whoever reads it."""

from __future__ import annotations

import pytest

from supportbot.db.ledger import TaskEstimate
from supportbot.incidents.commands import CONTACT_USAGE
from supportbot.slack import plan_blocks
from tests.conftest import Desk
from tests.standins import block_text
from tests.support.records import (
    ACME_ALICE,
    ACME_CHANNEL,
    ACME_TEAM,
    GLOBEX_CHANNEL,
    GLOBEX_HANS,
    answer,
    incident,
)

GLOBEX_TEAM = "T0GLOBEXORG"


# -- a staff-only command typed wrong by a customer ---------------------------------------------
@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("note", "note"),
        ("note INC-1", "note"),
        ("handover", "handover"),
        ("handover INC-1", "handover"),
        ("reopen", "reopen"),
        ("close INC-1 now", "close"),
        ("time INC-1", "time"),
        ("appointment INC-1 forever", "appointment"),
        ("estimate INC-1", "estimate"),
        ("timer INC-1", "timer"),
        ("waive", "waive"),
        ("waive INC-1", "waive"),
    ],
)
def test_a_customer_mistyping_a_staff_command_is_not_taught_its_syntax(
    desk: Desk, text: str, word: str
) -> None:
    said = answer(
        desk.slack.command(text, user=ACME_ALICE, user_team=ACME_TEAM, channel=ACME_CHANNEL)
    )

    assert said == f":warning: `/incident {word}` is for the support team.\n{CONTACT_USAGE}"


# -- another organisation's estimate --------------------------------------------------------------
def test_another_orgs_estimate_is_answered_as_one_that_does_not_exist(desk: Desk) -> None:
    desk.slack.command("sev3 upgrade the cluster", channel=ACME_CHANNEL)
    desk.drain()
    assert "sent for approval" in answer(desk.slack.command("estimate INC-1 6h upgrade"))
    desk.drain()

    def approve(value: str) -> list[str]:
        desk.api.clear()
        desk.slack.block_action(
            plan_blocks.ACTION_ESTIMATE_APPROVE,
            value=value,
            user=GLOBEX_HANS,
            user_team=GLOBEX_TEAM,
            channel=GLOBEX_CHANNEL,
        )
        desk.drain()
        return [str(r.get("text")) for r in desk.api.responses()]

    # Acme's estimate 1 and an estimate that was never made read the same to Globex.
    assert approve("1") == approve("999") == [":no_entry: That estimate does not exist"]
    with desk.rt.session() as session:
        estimate = session.get(TaskEstimate, 1)
        assert estimate is not None and estimate.state == "pending"


# -- direction tricks in re-posted text -----------------------------------------------------------
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def test_direction_overrides_a_customer_typed_never_reach_a_post(desk: Desk) -> None:
    """A right-to-left override in a title turns what follows it on the line around: the
    bot's own words after it ("is resolved", a balance, a due time) would read reversed."""
    title = "our site is down \u202etxet neddih\u202c and \u2067isolated\u2069 text"
    desk.slack.message(
        f"{title}\nmore \u202ehere",
        user=ACME_ALICE,
        user_team=ACME_TEAM,
        channel=ACME_CHANNEL,
        ts="1700000000.000100",
    )
    desk.slack.command("sev3 also \u202ebroken", user=ACME_ALICE, user_team=ACME_TEAM,
                       channel=ACME_CHANNEL)  # fmt: skip
    desk.drain()
    thread = incident(desk.rt, 1).customer_thread_ts
    desk.slack.message("a reply \u202eyrtne", user=ACME_ALICE, user_team=ACME_TEAM,
                       channel=ACME_CHANNEL, thread_ts=thread, ts="1700000000.000300")  # fmt: skip
    desk.slack.command("reply INC-1 by command \u2066x", user=ACME_ALICE, user_team=ACME_TEAM,
                       channel=ACME_CHANNEL)  # fmt: skip
    desk.drain()

    posted = [
        block_text(c.params.get(k) or "")
        for c in desk.api.calls()
        if c.method.startswith("chat.")
        for k in ("text", "blocks")
    ]
    assert any("our site is down" in p for p in posted) and any("a reply" in p for p in posted)
    assert any("by command" in p for p in posted)
    tricked = [p for p in posted if any(ch in p for ch in BIDI)]
    assert tricked == []
