"""``/incident``: a signed slash command comes in, the worker drains, cards and rows appear."""

from __future__ import annotations

from tests.conftest import Desk
from tests.standins import block_text
from tests.support.records import (
    ACME_ALICE,
    ACME_CHANNEL,
    GLOBEX_CHANNEL,
    GLOBEX_HANS,
    answer,
    incident,
    incidents,
    posts,
    thread,
    timeline,
)
from tests.support.slack_requests import STAFF, TRIAGE


def test_sev1_in_the_triage_channel_opens_an_internal_incident_and_posts_its_card(
    desk: Desk,
) -> None:
    response = desk.slack.command("sev1 checkout returns 500 for everyone")

    assert response.status_code == 200
    assert "Opened *INC-1*" in answer(response)
    assert "Sev1 Critical" in answer(response)
    assert response.json()["response_type"] == "ephemeral"
    opened = incident(desk.rt, 1)
    assert (opened.severity, opened.customer, opened.reporter) == (1, None, STAFF)
    assert (opened.status, opened.level, opened.assignee) == ("open", "L1", None)
    assert opened.title == "checkout returns 500 for everyone"
    # Opened first; a Severity 1 may add paging events after it.
    assert [e.kind for e in timeline(desk.rt, 1)][:1] == ["opened"]

    desk.drain()

    [card] = posts(desk.api, TRIAGE)[:1]
    assert card["text"].startswith("INC-1 Sev1 Critical: checkout returns 500")
    body = block_text(card["blocks"])
    assert "internal" in body and f"<@{STAFF}>" in body
    assert incident(desk.rt, 1).card_ts == card["ts"]
    assert thread(desk.api, TRIAGE, card["ts"])[0] == (
        f"<@{STAFF}> opened INC-1 as Sev1 Critical via /incident: checkout returns 500 for everyone"
    )
    assert incident(desk.rt, 1).customer_card_ts is None  # nothing goes to any customer


def test_sev3_in_a_shared_channel_belongs_to_that_customer_and_posts_the_customer_card(
    desk: Desk,
) -> None:
    response = desk.slack.command("sev3 exports are missing a column", channel=ACME_CHANNEL)

    assert "Opened *INC-1* for Acme Corp as Sev3 Medium" in answer(response)
    opened = incident(desk.rt, 1)
    assert (opened.customer, opened.customer_channel) == ("acme", ACME_CHANNEL)

    desk.drain()

    [internal] = posts(desk.api, TRIAGE)[:1]
    assert "Acme Corp" in block_text(internal["blocks"])
    [customer_card] = posts(desk.api, ACME_CHANNEL)
    assert customer_card.get("thread_ts") is None  # its own thread, started by the card
    shown = block_text(customer_card["blocks"])
    assert "INC-1" in shown and "Sev3 Medium" in shown and "Open" in shown
    assert STAFF not in shown and "L1" not in shown  # no assignee, reporter or level
    opened = incident(desk.rt, 1)
    assert opened.customer_thread_ts == customer_card["ts"]
    # The "opened" event is what the card itself says: nothing more in the customer thread.
    assert thread(desk.api, ACME_CHANNEL, customer_card["ts"]) == []


def test_the_customer_option_opens_it_for_that_customer_from_anywhere(desk: Desk) -> None:
    response = desk.slack.command("sev2 customer:acme payments are failing")

    assert "for Acme Corp as Sev2 High: payments are failing" in answer(response)
    opened = incident(desk.rt, 1)
    assert (opened.customer, opened.customer_channel) == ("acme", ACME_CHANNEL)
    assert opened.title == "payments are failing"

    desk.drain()

    assert len(posts(desk.api, ACME_CHANNEL)) == 1
    # By name, case-insensitively, as people type it.
    desk.slack.command("sev4 customer:GLOBEX question about invoices")
    assert incident(desk.rt, 2).customer == "globex"


def test_the_customer_option_cannot_contradict_the_shared_channel(desk: Desk) -> None:
    response = desk.slack.command("sev2 customer:globex wrong org", channel=ACME_CHANNEL)

    assert "This channel belongs to Acme Corp" in answer(response)
    assert incidents(desk.rt) == []


def test_no_text_opens_the_form_with_severity_help(desk: Desk) -> None:
    response = desk.slack.command("")

    assert response.status_code == 200
    assert response.text == ""  # a bare ack; the modal is the answer
    [call] = desk.api.calls("views.open")
    view = call.response["view"]
    assert view["callback_id"] == "incident_new"
    labels = [b["label"]["text"] for b in view["blocks"]]
    assert labels == ["Title", "Description", "Customer", "Severity"]
    severity = next(b for b in view["blocks"] if b["block_id"] == "severity")
    hint = severity["hint"]["text"]
    for name in ("Critical:", "High:", "Medium:", "Low:"):
        assert name in hint
    customer = next(b for b in view["blocks"] if b["block_id"] == "customer")
    assert customer["element"]["initial_option"]["value"] == "internal"
    assert incidents(desk.rt) == []


def test_slack_out_of_reach_when_the_form_opens_is_said_not_a_500(desk: Desk) -> None:
    """The connection to Slack is cut at every try of views.open: the person is told the
    form could not open, instead of Slack showing a failed command."""
    desk.api.set_down(True, "views.open", kind="reset")
    response = desk.slack.command("")
    assert response.status_code == 200, response.text
    assert "could not be reached" in response.text
    assert desk.api.calls("views.open")  # it was tried
    assert incidents(desk.rt) == []


def test_no_text_in_a_shared_channel_presets_that_customer(desk: Desk) -> None:
    desk.slack.command("", channel=GLOBEX_CHANNEL)

    [call] = desk.api.calls("views.open")
    blocks = call.response["view"]["blocks"]
    customer = next(b for b in blocks if b["block_id"] == "customer")
    assert customer["element"]["initial_option"]["value"] == "globex"


def test_list_shows_staff_everything_open_and_a_customer_only_their_own(desk: Desk) -> None:
    desk.slack.command("sev2 acme thing", channel=ACME_CHANNEL)
    desk.slack.command("sev3 globex thing", channel=GLOBEX_CHANNEL)
    desk.slack.command("sev4 internal thing")

    staff = answer(desk.slack.command("list"))
    assert ["INC-3" in staff, "INC-2" in staff, "INC-1" in staff] == [True, True, True]
    assert staff.index("INC-3") < staff.index("INC-1")  # newest first

    customer = desk.slack.command("list", user=GLOBEX_HANS, channel=GLOBEX_CHANNEL)
    text = answer(customer)
    assert "INC-2" in text and "globex thing" in text
    assert "INC-1" not in text and "INC-3" not in text and "acme" not in text

    elsewhere = answer(desk.slack.command("list", user=ACME_ALICE, channel=TRIAGE))
    assert "INC-1" in elsewhere and "INC-2" not in elsewhere


def test_list_leaves_out_resolved_incidents(desk: Desk) -> None:
    desk.slack.command("sev2 will be fixed")
    desk.slack.view_submission(
        "incident_resolve", {"summary": "restarted the pool"}, private_metadata="1"
    )
    assert answer(desk.slack.command("list")) == "No open incidents."


def test_note_goes_to_the_internal_thread_only(desk: Desk) -> None:
    desk.slack.command("sev2 customer:acme slow search")
    desk.drain()

    response = desk.slack.command("note INC-1 suspect the new index; do not tell them yet")
    assert answer(response) == "Added to INC-1."
    desk.drain()

    card_ts = incident(desk.rt, 1).card_ts
    assert thread(desk.api, TRIAGE, card_ts)[-1] == (
        f"<@{STAFF}> (internal): suspect the new index; do not tell them yet"
    )
    customer_thread = incident(desk.rt, 1).customer_thread_ts
    assert thread(desk.api, ACME_CHANNEL, customer_thread) == []
    [note] = [e for e in timeline(desk.rt, 1) if e.kind == "note"]
    assert note.visibility == "internal"


def test_reply_reaches_the_customer_thread_and_the_internal_thread(desk: Desk) -> None:
    desk.slack.command("sev2 customer:acme slow search")
    desk.drain()

    response = desk.slack.command("reply INC-1 we are rebuilding the index now")
    assert answer(response) == "Added to INC-1."
    desk.drain()

    said = f"<@{STAFF}>: we are rebuilding the index now"
    opened = incident(desk.rt, 1)
    assert thread(desk.api, ACME_CHANNEL, opened.customer_thread_ts) == [said]
    assert thread(desk.api, TRIAGE, opened.card_ts)[-1] == said


def test_a_customer_contact_cannot_add_internal_notes(desk: Desk) -> None:
    desk.slack.command("sev2 slow", channel=ACME_CHANNEL)
    response = desk.slack.command("note INC-1 let me in", user=ACME_ALICE, channel=ACME_CHANNEL)

    assert "Internal notes are for the support team" in answer(response)
    assert [e.kind for e in timeline(desk.rt, 1)] == ["opened"]


def test_help_lists_every_form_of_the_command(desk: Desk) -> None:
    text = answer(desk.slack.command("help"))

    for form in (
        "`/incident`",
        "`/incident sev1 <summary>`",
        "customer:<key>",
        "list",
        "note INC-42",
        "reply INC-42",
        "help",
    ):
        assert form in text
    assert incidents(desk.rt) == []
