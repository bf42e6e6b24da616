"""Intake in a customer's shared (Slack Connect) channel, driven by signed message events."""

from __future__ import annotations

from supportbot.slack import cards
from tests.conftest import Desk
from tests.standins import block_text
from tests.support.records import (
    ACME_ALICE,
    ACME_BOB,
    ACME_CHANNEL,
    ACME_TEAM,
    answer,
    dump,
    effects,
    incident,
    incidents,
    posts,
    thread,
    timeline,
)
from tests.support.slack_requests import STAFF, TEAM_ID, TRIAGE

CAROL = "U0ACMECAROL"  # works at Acme, not a designated contact


def _say(
    desk: Desk,
    text: str,
    *,
    user: str = ACME_ALICE,
    ts: str = "1700000000.000100",
    thread_ts: str | None = None,
    user_team: str = ACME_TEAM,
    **kwargs: object,
) -> None:
    response = desk.slack.message(
        text,
        user=user,
        channel=ACME_CHANNEL,
        ts=ts,
        thread_ts=thread_ts,
        user_team=user_team,
        **kwargs,
    )  # type: ignore[arg-type]
    assert response.status_code == 200
    desk.drain()


def _offer_button(desk: Desk, message_ts: str) -> dict:  # type: ignore[type-arg]
    [offer] = [
        p
        for p in posts(desk.api, ACME_CHANNEL)
        if p.get("thread_ts") == message_ts and "open a support request" in p["text"]
    ]
    [button] = [e for b in offer["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert button["text"]["text"] == "Open a request"
    return button


def test_a_designated_contact_is_offered_a_request_and_one_click_opens_it(desk: Desk) -> None:
    _say(desk, "The invoice export drops the VAT column\nSeen on all March invoices.")

    assert incidents(desk.rt) == []
    button = _offer_button(desk, "1700000000.000100")

    response = desk.slack.block_action(
        cards.ACTION_OPEN_REQUEST,
        value=button["value"],
        user=ACME_ALICE,
        user_team=ACME_TEAM,
        channel=ACME_CHANNEL,
    )
    assert response.status_code == 200
    desk.drain()

    opened = incident(desk.rt, 1)
    assert (opened.customer, opened.reporter, opened.severity) == ("acme", ACME_ALICE, 3)
    assert opened.title == "The invoice export drops the VAT column"
    assert "Seen on all March invoices." in opened.description
    assert (opened.source_channel, opened.source_ts) == (ACME_CHANNEL, "1700000000.000100")
    assert "via shared channel" in timeline(desk.rt, 1)[0].text
    [answer] = desk.api.responses()
    assert answer["text"] == "Opened *INC-1*. The team will reply in this thread."
    assert answer["replace_original"] is True
    # The customer card lives in the thread of the message that raised it.
    [card] = [p for p in posts(desk.api, ACME_CHANNEL) if "INC-1" in p["text"]]
    assert card["thread_ts"] == "1700000000.000100"
    assert opened.card_ts is not None  # and the team's card is in the triage channel

    # Pressed again (or by a colleague): still one request.
    desk.slack.block_action(
        cards.ACTION_OPEN_REQUEST,
        value=button["value"],
        user=ACME_BOB,
        user_team=ACME_TEAM,
        channel=ACME_CHANNEL,
    )
    desk.drain()
    assert len(incidents(desk.rt)) == 1
    assert desk.api.responses()[-1]["text"] == (
        "A request is already open for this message (INC-1)."
    )


def test_only_designated_contacts_may_press_open_a_request(desk: Desk) -> None:
    _say(desk, "The invoice export drops the VAT column")
    button = _offer_button(desk, "1700000000.000100")

    desk.slack.block_action(
        cards.ACTION_OPEN_REQUEST,
        value=button["value"],
        user=CAROL,
        user_team=ACME_TEAM,
        channel=ACME_CHANNEL,
    )
    desk.drain()

    assert incidents(desk.rt) == []
    assert "designated contacts" in desk.api.responses()[-1]["text"]


def test_a_severity_1_message_opens_at_once(desk: Desk) -> None:
    _say(desk, "Our site is down, customers get 502 everywhere", ts="1700000000.000200")

    opened = incident(desk.rt, 1)
    assert (opened.severity, opened.customer, opened.reporter) == (1, "acme", ACME_ALICE)
    assert opened.suggested_severity is None  # the suggestion was applied, nothing to confirm
    assert not [p for p in posts(desk.api, ACME_CHANNEL) if "open a support request" in p["text"]]
    [customer_card] = posts(desk.api, ACME_CHANNEL)
    assert customer_card["thread_ts"] == "1700000000.000200"
    assert "Sev1 Critical" in block_text(customer_card["blocks"])
    [card] = [p for p in posts(desk.api, TRIAGE) if not p.get("thread_ts")]
    assert card["text"].startswith("INC-1 Sev1 Critical: Our site is down")


def test_someone_else_from_the_customer_gets_a_polite_ephemeral_and_nothing_opens(
    desk: Desk,
) -> None:
    _say(desk, "our site is down!!", user=CAROL)

    assert incidents(desk.rt) == []
    [note] = desk.api.calls("chat.postEphemeral")
    assert note.params["user"] == CAROL and note.params["channel"] == ACME_CHANNEL
    assert note.params["text"].startswith("Thanks for reaching out!")
    assert "Acme Corp" in note.params["text"] and "designated contacts" in note.params["text"]
    assert posts(desk.api, ACME_CHANNEL) == [] and posts(desk.api, TRIAGE) == []


def test_staff_chatter_in_the_shared_channel_is_ignored(desk: Desk) -> None:
    before = dump(desk.rt)

    _say(desk, "our site is down? no, that was the staging site", user=STAFF, user_team=TEAM_ID)

    assert dump(desk.rt) == before
    assert desk.api.calls("chat.postMessage") == []
    assert desk.api.calls("chat.postEphemeral") == []


def test_bot_messages_and_edits_are_ignored(desk: Desk) -> None:
    before = dump(desk.rt)
    for extra in ({"bot_id": "B0OTHER"}, {"subtype": "message_changed"}):
        event = {
            "type": "message",
            "channel": ACME_CHANNEL,
            "user": ACME_ALICE,
            "text": "our site is down",
            "ts": "1700000000.000900",
            **extra,
        }
        assert desk.slack.event(event).status_code == 200
    desk.drain()

    assert dump(desk.rt) == before
    assert effects(desk.api) == []


def test_a_customer_reply_in_the_thread_is_copied_inside_and_not_echoed(desk: Desk) -> None:
    _say(desk, "Our site is down", ts="1700000000.000200")
    opened = incident(desk.rt, 1)
    customer_thread = opened.customer_thread_ts
    assert customer_thread == "1700000000.000200"

    _say(
        desk,
        "It came back for a minute, then died again",
        ts="1700000000.000300",
        thread_ts=customer_thread,
    )

    said = f"<@{ACME_ALICE}>: It came back for a minute, then died again"
    assert thread(desk.api, TRIAGE, opened.card_ts)[-1] == said
    # It is already there: the thread holds the card and the customer's own message only.
    assert thread(desk.api, ACME_CHANNEL, customer_thread) == ["INC-1: Our site is down"]
    [reply] = [e for e in timeline(desk.rt, 1) if e.kind == "customer_reply"]
    assert (reply.actor, reply.visibility) == (ACME_ALICE, "customer")


def test_a_reply_while_waiting_on_the_customer_moves_it_back_to_investigating(
    desk: Desk,
) -> None:
    _say(desk, "Our site is down", ts="1700000000.000200")
    desk.slack.block_action(cards.ACTION_WAITING, value="1")
    desk.drain()
    assert incident(desk.rt, 1).status == "waiting_on_customer"

    _say(
        desk,
        "Here is the HAR file you asked for",
        ts="1700000000.000400",
        thread_ts="1700000000.000200",
        user=ACME_BOB,
    )

    back = incident(desk.rt, 1)
    assert back.status == "investigating"
    assert [e.kind for e in timeline(desk.rt, 1)][-2:] == ["customer_reply", "status:investigating"]
    assert thread(desk.api, ACME_CHANNEL, "1700000000.000200") == [
        "INC-1: Our site is down",
        f"<@{STAFF}> is waiting on the customer",
        "The customer replied; back to investigating",
    ]
    assert "Investigating" in block_text(desk.api.message(TRIAGE, back.card_ts)["blocks"])


def test_a_reply_in_an_unrelated_thread_opens_and_posts_nothing(desk: Desk) -> None:
    before = dump(desk.rt)

    _say(desk, "thanks!", ts="1700000000.000500", thread_ts="1600000000.000001")

    assert dump(desk.rt) == before
    assert effects(desk.api) == []


def _said_with(desk: Desk, text: str, subtype: str, *, ts: str, thread_ts: str | None) -> None:
    """A message as Slack sends it with a subtype: a reply also sent to the channel, or a
    message with a file attached (its ``files`` are what Slack adds; none is read)."""
    event = desk.slack.message_event(
        text, user=ACME_BOB, channel=ACME_CHANNEL, ts=ts, thread_ts=thread_ts, user_team=ACME_TEAM
    )
    event["subtype"] = subtype
    if subtype == "file_share":
        event["files"] = [{"id": "F0SCREEN1", "name": "screenshot.png", "mimetype": "image/png"}]
    assert desk.slack.event(event).status_code == 200
    desk.drain()


def test_a_reply_also_sent_to_the_channel_is_a_reply_and_resumes_the_incident(
    desk: Desk,
) -> None:
    """ "Also send to #channel" arrives as subtype thread_broadcast: still the customer's
    answer, which stops the wait and restarts the resolution clock."""
    _say(desk, "Our site is down", ts="1700000000.000200")
    desk.slack.block_action(cards.ACTION_WAITING, value="1")
    desk.drain()

    _said_with(
        desk, "Logs attached above", "thread_broadcast",
        ts="1700000000.000400", thread_ts="1700000000.000200",
    )  # fmt: skip

    assert incident(desk.rt, 1).status == "investigating"
    assert [e.kind for e in timeline(desk.rt, 1)][-2:] == ["customer_reply", "status:investigating"]
    assert thread(desk.api, TRIAGE, incident(desk.rt, 1).card_ts)[-2:] == [
        f"<@{ACME_BOB}>: Logs attached above",
        "The customer replied; back to investigating",
    ]


def test_a_reply_with_a_screenshot_is_a_reply(desk: Desk) -> None:
    _say(desk, "Our site is down", ts="1700000000.000200")

    _said_with(
        desk, "this is what we see", "file_share",
        ts="1700000000.000500", thread_ts="1700000000.000200",
    )  # fmt: skip

    [reply] = [e for e in timeline(desk.rt, 1) if e.kind == "customer_reply"]
    assert (reply.actor, reply.text) == (ACME_BOB, f"<@{ACME_BOB}>: this is what we see")


def test_a_new_message_with_a_screenshot_is_offered_as_a_request(desk: Desk) -> None:
    _said_with(desk, "exports fail, see screenshot", "file_share", ts="1700000000.000600",
               thread_ts=None)  # fmt: skip
    assert _offer_button(desk, "1700000000.000600")["value"]


def test_edits_deletions_and_joins_are_still_not_messages_to_support(desk: Desk) -> None:
    _say(desk, "Our site is down", ts="1700000000.000200")
    before = dump(desk.rt)
    for subtype in ("message_changed", "message_deleted", "channel_join", "bot_message"):
        _said_with(desk, "our site is down", subtype, ts="1700000000.000700",
                   thread_ts="1700000000.000200")  # fmt: skip
    assert dump(desk.rt) == before


def test_a_reply_before_the_customer_card_is_posted_is_kept(desk: Desk) -> None:
    """A Sev1 from a message opens at once; its card reaches the channel when the worker
    runs. A reply in the message's thread before then is the customer's too."""
    opened = desk.slack.message(
        "Our site is down", user=ACME_ALICE, channel=ACME_CHANNEL, ts="1700000000.000200",
        user_team=ACME_TEAM,
    )  # fmt: skip
    assert opened.status_code == 200
    desk.settle()  # the listener ran; the worker has not
    assert incident(desk.rt, 1).customer_thread_ts is None

    _say(desk, "payments fail too", ts="1700000000.000300", thread_ts="1700000000.000200")

    [reply] = [e for e in timeline(desk.rt, 1) if e.kind == "customer_reply"]
    assert (reply.actor, reply.text) == (ACME_ALICE, f"<@{ACME_ALICE}>: payments fail too")
    assert incident(desk.rt, 1).customer_thread_ts == "1700000000.000200"
    assert (
        thread(desk.api, TRIAGE, incident(desk.rt, 1).card_ts).count(
            f"<@{ACME_ALICE}>: payments fail too"
        )
        == 1
    )
    # Already in the customer's thread (they wrote it): not echoed there.
    assert "payments fail too" not in " ".join(thread(desk.api, ACME_CHANNEL, "1700000000.000200"))


def test_a_contacts_help_names_what_a_contact_may_do_and_each_of_it_works(desk: Desk) -> None:
    """Before, a contact was shown the support team's commands (notes, handovers, waivers,
    maintenance) and refused when trying them."""

    def say(text: str) -> str:
        return answer(
            desk.slack.command(text, user=ACME_ALICE, channel=ACME_CHANNEL, user_team=ACME_TEAM)
        )

    shown = say("help")
    assert "`/incident reply INC-42" in shown and "`/incident list`" in shown
    for staff_only in ("note", "handover", "waive", "maintenance", "outage", "time INC"):
        assert f"`/incident {staff_only}" not in shown, staff_only
    assert say("sev3 exports are slow").startswith("Opened *INC-1* for Acme Corp")
    assert "INC-1" in say("list")
    assert say("reply INC-1 it happens on every export") == "Added to INC-1."
    assert "`/incident note INC-42" in answer(desk.slack.command("help"))  # staff: all of it
