"""Message events in a customer's shared channel, attacked: what a reply typed in an
incident's thread becomes in the team's triage thread, and which incidents it reaches."""

from __future__ import annotations

import json

from supportbot.slack import cards
from tests.conftest import Desk
from tests.support.records import (
    ACME_ALICE,
    ACME_CHANNEL,
    ACME_TEAM,
    incident,
    thread,
    timeline,
)
from tests.support.slack_requests import TRIAGE

OPENING = "1700000000.000200"


def _say(desk: Desk, text: str, *, ts: str, thread_ts: str | None = None, **extra: object) -> None:
    event = desk.slack.message_event(
        text, user=ACME_ALICE, channel=ACME_CHANNEL, ts=ts, thread_ts=thread_ts, user_team=ACME_TEAM
    )
    event.update(extra)
    assert desk.slack.event(event).status_code == 200
    desk.drain()


def _opened(desk: Desk) -> str:
    """A Sev1 opened from Alice's message; its triage card's ts."""
    _say(desk, "Our site is down", ts=OPENING)
    card_ts = incident(desk.rt, 1).card_ts
    assert card_ts is not None
    return card_ts


def test_a_screenshot_sent_without_words_is_relayed_as_such_not_as_an_empty_line(
    desk: Desk,
) -> None:
    """Before, the team read ``@alice:`` and nothing else, with no hint that a file came."""
    card_ts = _opened(desk)

    _say(
        desk, "", ts="1700000000.000300", thread_ts=OPENING, subtype="file_share",
        files=[{"id": "F0SCREEN1", "name": "error.png", "mimetype": "image/png"}],
    )  # fmt: skip

    relayed = thread(desk.api, TRIAGE, card_ts)[-1]
    assert relayed.startswith(f"<@{ACME_ALICE}>: ")
    assert relayed.removeprefix(f"<@{ACME_ALICE}>: ").strip(), relayed
    assert "customer's thread" in relayed
    [reply] = [e for e in timeline(desk.rt, 1) if e.kind == "customer_reply"]
    assert reply.text == relayed


def test_a_multi_line_reply_reaches_the_team_with_its_lines(desk: Desk) -> None:
    """Before, every line break was folded into a space: a pasted stack trace or a code
    block reached the team as one unreadable line (``/incident reply`` keeps them)."""
    card_ts = _opened(desk)
    typed = (
        "Still failing, here is the trace:\n```\nTraceback (most recent call last):\n"
        "  File \"app.py\", line 3, in main\nKeyError: 'vat'\n```\nThanks"
    )

    _say(desk, typed, ts="1700000000.000300", thread_ts=OPENING)

    assert thread(desk.api, TRIAGE, card_ts)[-1] == f"<@{ACME_ALICE}>: {typed}"


def test_a_reply_in_a_thread_two_incidents_share_reaches_both(desk: Desk) -> None:
    """A second incident raised from the same message (the *Open incident* shortcut on it)
    has its card in the same thread. Before, a reply there reached only the first: the
    second, waiting on the customer, stayed paused though the customer had answered."""
    _opened(desk)
    submitted = desk.slack.view_submission(
        cards.CALLBACK_NEW,
        {
            "title": "Checkout rejects VAT ids",
            "description": "split from INC-1",
            "customer": {"selected": "acme"},
            "severity": {"selected": "3"},
        },
        private_metadata=json.dumps({"channel": ACME_CHANNEL, "ts": OPENING}),
    )
    assert submitted.status_code == 200
    desk.drain()
    second = incident(desk.rt, 2)
    assert second.customer_thread_ts == OPENING
    desk.slack.block_action(cards.ACTION_WAITING, value="2")
    desk.drain()
    assert incident(desk.rt, 2).status == "waiting_on_customer"

    _say(desk, "Here are the logs you asked for", ts="1700000000.000300", thread_ts=OPENING)

    said = f"<@{ACME_ALICE}>: Here are the logs you asked for"
    assert incident(desk.rt, 2).status == "investigating"
    for number in (1, 2):
        card_ts = incident(desk.rt, number).card_ts
        assert card_ts is not None
        assert thread(desk.api, TRIAGE, card_ts).count(said) == 1, number
    # Delivered again by Slack: nothing twice, on either incident.
    event = desk.slack.message_event(
        "Here are the logs you asked for", user=ACME_ALICE, channel=ACME_CHANNEL,
        ts="1700000000.000300", thread_ts=OPENING, user_team=ACME_TEAM,
    )  # fmt: skip
    assert desk.slack.event(event, retry_num=1).status_code == 200
    desk.drain()
    for number in (1, 2):
        replies = [e for e in timeline(desk.rt, number) if e.kind == "customer_reply"]
        assert len(replies) == 1, number
