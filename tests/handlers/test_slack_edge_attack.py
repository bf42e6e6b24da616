"""Malformed input and stale state at the Slack edge: each gets a clear answer, once."""

from __future__ import annotations

import pytest

from supportbot.incidents.commands import CONTACT_USAGE
from supportbot.slack import cards
from tests.conftest import Desk
from tests.support.records import (
    ACME_ALICE,
    ACME_CHANNEL,
    ACME_TEAM,
    answer,
    dump,
    incident,
    timeline,
)


@pytest.fixture
def opened(desk: Desk) -> Desk:
    """One Acme incident with its cards posted."""
    desk.slack.command("sev3 exports are slow", channel=ACME_CHANNEL)
    desk.drain()
    return desk


# -- /incident: what a customer is shown --------------------------------------------------------
@pytest.mark.parametrize("text", ["frobnicate", "status INC-1", "sev0 site down"])
def test_a_customer_typing_an_unknown_word_is_shown_only_what_a_contact_may_do(
    desk: Desk, text: str
) -> None:
    said = answer(
        desk.slack.command(text, user=ACME_ALICE, user_team=ACME_TEAM, channel=ACME_CHANNEL)
    )

    assert said.startswith(":warning: I don't know"), said
    assert CONTACT_USAGE in said
    # The support team's own commands are no business of the customer's.
    for internal in ("internal note", "handover", "maintenance", "waive", "outage"):
        assert internal not in said, (internal, said)


def test_staff_typing_an_unknown_word_still_get_the_whole_usage(desk: Desk) -> None:
    said = answer(desk.slack.command("frobnicate"))
    assert "`/incident note INC-42 <text>` adds an internal note" in said


# -- /oncall: an unknown word is echoed short and inert -----------------------------------------
@pytest.mark.parametrize("text", ["<!channel>", "<https://evil.example|here>", "x" * 3000])
def test_oncall_echoes_an_unknown_word_short_and_inert(desk: Desk, text: str) -> None:
    said = answer(desk.slack.command(text, command="/oncall"))

    assert said.startswith(":warning: Unknown `/oncall "), said
    assert "<!channel>" not in said and "<https://" not in said
    assert len(said.split("\n", 1)[0]) < 80, said.split("\n", 1)[0]


# -- the Resolve form: stale state and a second delivery ----------------------------------------
def test_the_resolve_form_delivered_twice_resolves_once_and_closes_the_form(
    opened: Desk,
) -> None:
    def submit() -> tuple[int, str]:
        response = opened.slack.view_submission(
            cards.CALLBACK_RESOLVE, {"summary": "rebuilt the index"}, private_metadata="1",
            view_id="VRESOLVE01",
        )  # fmt: skip
        return response.status_code, response.text

    assert submit() == (200, "")
    resolved = dump(opened.rt, receipts=False)

    # Slack delivers the same view again (a retry, a double submit): acked, nothing new,
    # and no error in a form whose work was done ("cannot move from resolved to resolved").
    assert submit() == (200, "")
    assert dump(opened.rt, receipts=False) == resolved
    assert [e.kind for e in timeline(opened.rt, 1)].count("status:resolved") == 1


def test_a_corrected_resolve_form_still_resolves_after_a_refusal(opened: Desk) -> None:
    def submit(summary: str) -> str:
        return opened.slack.view_submission(
            cards.CALLBACK_RESOLVE, {"summary": summary}, private_metadata="1",
            view_id="VRESOLVE02",
        ).text  # fmt: skip

    assert "needs a summary" in submit("   ")
    assert submit("rebuilt the index") == ""
    assert incident(opened.rt, 1).status == "resolved"


def test_resolve_on_a_resolved_card_is_refused_before_any_form_opens(opened: Desk) -> None:
    opened.slack.view_submission(
        cards.CALLBACK_RESOLVE, {"summary": "rebuilt the index"}, private_metadata="1"
    )
    opened.drain()
    before = dump(opened.rt)
    opened.api.clear()

    response = opened.slack.block_action(cards.ACTION_RESOLVE, value="1")
    opened.drain()

    assert response.status_code == 200
    # No form to fill in for nothing: the person hears at once that it is resolved already.
    assert opened.api.calls("views.open") == []
    [said] = opened.api.responses()
    assert said["response_type"] == "ephemeral"
    assert "INC-1 is resolved" in said["text"] and "/incident reopen INC-1" in said["text"]
    assert dump(opened.rt) == before
