"""Slack answering for good, not for now: a person who left, a card deleted by hand.

A retry cannot help these. A direct message to someone Slack no longer knows is given up
once and said in the triage channel (and on the timeline, counted, logged), and holds up
nothing else; a card deleted in Slack is posted again, with the incident's thread going on
under it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from supportbot.clock import TravelClock
from supportbot.db.models import Incident
from supportbot.delivery.effects import owe_sync
from supportbot.reconciler import reconcile_once
from supportbot.slack import cards
from supportbot.slack.jobs import GRACE
from supportbot.slack.notify import notify
from tests.conftest import Desk
from tests.standins.slack_api import Payload, SlackError
from tests.support.records import ACME_CHANNEL, incident, posts, thread, timeline
from tests.support.slack_requests import STAFF, TRIAGE

GONE = "U0GONE0001"  # a person deactivated in Slack since they were made assignee


def _refuse_dms_to(desk: Desk, user: str, error: str) -> None:
    post = desk.api._chat_postMessage

    def refusing(params: Payload) -> Payload:
        if params.get("channel") == user:
            raise SlackError(error)
        return post(params)

    desk.api.on("chat.postMessage", refusing)


def _dm(desk: Desk, user: str, text: str) -> None:
    with desk.rt.session() as session:
        found = session.get(Incident, 1)
        assert found is not None
        notify(session, desk.rt, found, user, "reminder", text)
        owe_sync(session, found.id)


def _tries(desk: Desk, channel: str) -> int:
    return sum(c.params.get("channel") == channel for c in desk.api.calls("chat.postMessage"))


def _undeliverable(error: str) -> float:
    found = REGISTRY.get_sample_value(
        "supportbot_slack_undeliverable_total", {"what": "notification", "error": error}
    )
    return found or 0.0


def _passes(desk: Desk, clock: TravelClock, count: int) -> list[int]:
    found = []
    for _ in range(count):
        clock.advance(GRACE + timedelta(seconds=5))
        found.append(reconcile_once(desk.rt)["slack_sync"])
        desk.drain()
    return found


@pytest.mark.parametrize("error", ["user_not_found", "channel_not_found", "user_disabled"])
def test_a_dm_to_someone_who_left_is_given_up_once_and_said_in_triage(
    desk: Desk, clock: TravelClock, error: str
) -> None:
    desk.slack.command("sev2 checkout is slow")
    desk.drain()
    card_ts = incident(desk.rt, 1).card_ts
    assert card_ts is not None
    _refuse_dms_to(desk, GONE, error)
    counted = _undeliverable(error)

    _dm(desk, GONE, "INC-1 response target 75% used")
    desk.drain()

    # Asked once; not re-driven every pass for ever (a traceback and five retries each time).
    assert _passes(desk, clock, 3) == [0, 0, 0]
    assert _tries(desk, GONE) == 1
    assert _undeliverable(error) == counted + 1
    # Visible: in the triage channel, in the incident's thread, on the timeline.
    warning = f"could not send a direct message to <@{GONE}> (Slack answered `{error}`)"
    assert any(warning in p["text"] for p in posts(desk.api, TRIAGE) if not p.get("thread_ts"))
    assert any(warning in text for text in thread(desk.api, TRIAGE, card_ts))
    assert [e.kind for e in timeline(desk.rt, 1)][-1] == "undeliverable"


def test_a_dm_slack_refuses_holds_up_neither_other_dms_nor_the_customer(
    desk: Desk, clock: TravelClock
) -> None:
    desk.slack.command("sev2 exports are slow", channel=ACME_CHANNEL)
    desk.drain()
    _refuse_dms_to(desk, GONE, "user_not_found")

    _dm(desk, GONE, "first: to the person who left")
    _dm(desk, STAFF, "second: to someone still here")
    desk.slack.command("reply INC-1 we found the cause")
    desk.drain()

    assert [p["text"] for p in posts(desk.api, STAFF)] == ["second: to someone still here"]
    said = [p["text"] for p in posts(desk.api, ACME_CHANNEL)]
    assert any("we found the cause" in text for text in said), said
    assert _passes(desk, clock, 1) == [0]


@pytest.mark.parametrize("error", ["message_not_found", "cant_update_message"])
def test_a_card_deleted_in_slack_is_posted_again_and_its_thread_goes_on(
    desk: Desk, clock: TravelClock, error: str
) -> None:
    desk.slack.command("sev2 checkout is slow")
    desk.drain()
    deleted = incident(desk.rt, 1).card_ts
    assert deleted is not None
    if error == "message_not_found":
        with desk.api._lock:  # someone deleted the card in Slack
            del desk.api._messages[(TRIAGE, deleted)]
    else:
        desk.api.inject("chat.update", error, times=1)

    desk.slack.block_action(cards.ACTION_ACK, value="1")
    desk.slack.command("note INC-1 looking at the payment workers")
    desk.drain()

    card_ts = incident(desk.rt, 1).card_ts
    assert card_ts not in (None, deleted)
    card = desk.api.message(TRIAGE, card_ts)
    assert card is not None and "Acknowledged" in str(card["blocks"])
    said = thread(desk.api, TRIAGE, card_ts)
    assert f"<@{STAFF}> acknowledged" in said
    assert f"<@{STAFF}> (internal): looking at the payment workers" in said
    assert _passes(desk, clock, 2) == [0, 0]
    assert len(desk.api.calls("chat.update")) == 1  # the one that found the card gone


def test_a_triage_channel_slack_refuses_holds_up_neither_the_customer_nor_the_dms(
    desk: Desk,
) -> None:
    """The triage card could not be posted (the channel archived, the bot removed): the job
    failed at its first step, so the customer's card in their own channel and every direct
    message of the incident waited too, retried each pass, for as long as nobody fixed the
    triage channel. Each side goes on now; the job still fails, and is retried, for the
    triage card."""
    post = desk.api._chat_postMessage

    def archived(params: Payload) -> Payload:
        if params.get("channel") == TRIAGE:
            raise SlackError("is_archived")
        return post(params)

    desk.api.on("chat.postMessage", archived)
    desk.slack.command("sev2 checkout is slow", channel=ACME_CHANNEL)
    desk.drain()

    opened = incident(desk.rt, 1)
    assert opened.card_ts is None  # the triage card: refused, retried later
    assert opened.customer_card_ts is not None  # the customer's card: posted regardless
    assert posts(desk.api, ACME_CHANNEL), "nothing reached the customer's channel"

    _dm(desk, STAFF, "a reminder for the assignee")
    desk.drain()
    assert any("a reminder for the assignee" in m.get("text", "") for m in posts(desk.api, STAFF))
