"""The "Open an incident" form and the "Open incident" message shortcut."""

from __future__ import annotations

import json

from supportbot.incidents.access import OWN_ORGANISATION
from supportbot.slack import cards
from tests.conftest import Desk
from tests.standins import block_text
from tests.support.records import (
    ACME_ALICE,
    ACME_CHANNEL,
    ACME_TEAM,
    GLOBEX_CHANNEL,
    dump,
    incident,
    incidents,
    posts,
    thread,
    timeline,
)
from tests.support.slack_requests import STAFF, TRIAGE


def _form(
    title: str, customer: str = "internal", severity: str = "2", description: str = ""
) -> dict[str, object]:
    return {
        "title": title,
        "description": description,
        "customer": {"selected": customer},
        "severity": {"selected": severity},
    }


def test_submitting_the_form_opens_an_incident_and_tells_the_reporter(desk: Desk) -> None:
    response = desk.slack.view_submission(
        cards.CALLBACK_NEW,
        _form("Invoices PDF blank", "globex", "3", "Since this morning every PDF is empty."),
        private_metadata=json.dumps({"channel": TRIAGE}),
    )

    assert response.status_code == 200 and response.text == ""  # closes the modal
    opened = incident(desk.rt, 1)
    assert (opened.title, opened.severity, opened.customer) == ("Invoices PDF blank", 3, "globex")
    assert opened.description == "Since this morning every PDF is empty."
    assert opened.reporter == STAFF
    assert "via form" in timeline(desk.rt, 1)[0].text

    desk.drain()

    [dm] = posts(desk.api, STAFF)
    assert dm["text"] == "Opened *INC-1* as Sev3 Medium: Invoices PDF blank"
    [card] = [p for p in posts(desk.api, TRIAGE) if not p.get("thread_ts")]
    assert "Since this morning every PDF is empty." in block_text(card["blocks"])
    [customer_card] = posts(desk.api, GLOBEX_CHANNEL)
    assert "Invoices PDF blank" in block_text(customer_card["blocks"])
    # The description is for the team; the customer card shows the title only.
    assert "every PDF is empty" not in block_text(customer_card["blocks"])


def test_the_internal_choice_opens_an_internal_incident(desk: Desk) -> None:
    desk.slack.view_submission(cards.CALLBACK_NEW, _form("Disk 90% on db-2", "internal", "4"))
    desk.drain()

    assert incident(desk.rt, 1).customer is None
    assert [
        c.params["channel"]
        for c in desk.api.calls("chat.postMessage")
        if "thread_ts" not in c.params
    ] == [TRIAGE, STAFF]


def test_the_same_view_submitted_twice_opens_one_incident(desk: Desk) -> None:
    for _ in range(2):
        response = desk.slack.view_submission(
            cards.CALLBACK_NEW, _form("Twice"), view_id="V0SAMEVIEW"
        )
        assert response.status_code == 200 and response.text == ""

    assert len(incidents(desk.rt)) == 1


def test_the_message_shortcut_quotes_the_message_and_presets_its_channel_customer(
    desk: Desk,
) -> None:
    message = {
        "type": "message",
        "user": ACME_ALICE,
        "ts": "1700000000.000100",
        "text": "Checkout hangs at payment\nsince 10:00, all browsers",
    }

    response = desk.slack.message_shortcut(
        cards.SHORTCUT_OPEN, message=message, channel=ACME_CHANNEL
    )

    assert response.status_code == 200
    desk.settle()
    [call] = desk.api.calls("views.open")
    view = call.response["view"]
    assert view["callback_id"] == cards.CALLBACK_NEW
    values = {b["block_id"]: b["element"] for b in view["blocks"]}
    assert values["title"]["initial_value"] == "Checkout hangs at payment"
    assert values["description"]["initial_value"] == (
        f"From <@{ACME_ALICE}> in <#{ACME_CHANNEL}>:\n"
        "> Checkout hangs at payment\n> since 10:00, all browsers"
    )
    assert values["customer"]["initial_option"]["value"] == "acme"
    assert json.loads(view["private_metadata"]) == {
        "channel": ACME_CHANNEL,
        "ts": "1700000000.000100",
    }
    assert incidents(desk.rt) == []  # the shortcut itself opens nothing


def test_submitting_the_shortcut_form_links_the_source_message(desk: Desk) -> None:
    source_ts = "1700000000.000100"
    meta = json.dumps({"channel": ACME_CHANNEL, "ts": source_ts})

    desk.slack.view_submission(
        cards.CALLBACK_NEW,
        _form("Checkout hangs at payment", "acme", "2", "> Checkout hangs at payment"),
        private_metadata=meta,
    )
    desk.drain()

    opened = incident(desk.rt, 1)
    assert (opened.source_channel, opened.source_ts) == (ACME_CHANNEL, source_ts)
    assert "via message shortcut" in timeline(desk.rt, 1)[0].text
    # The customer hears about it in the thread of the message it was opened from.
    [customer_card] = posts(desk.api, ACME_CHANNEL)
    assert customer_card["thread_ts"] == source_ts
    assert opened.customer_thread_ts == source_ts

    desk.slack.command("reply INC-1 on it")
    desk.drain()
    assert thread(desk.api, ACME_CHANNEL, source_ts)[-1] == f"<@{STAFF}>: on it"


def test_an_unknown_customer_is_a_field_error(desk: Desk) -> None:
    response = desk.slack.view_submission(cards.CALLBACK_NEW, _form("x", "umbrella"))

    assert response.json() == {
        "response_action": "errors",
        "errors": {"customer": "Unknown customer 'umbrella'; pick one from the list"},
    }
    assert incidents(desk.rt) == []


def test_a_customer_cannot_open_for_another_org_or_internally(desk: Desk) -> None:
    before = dump(desk.rt)
    for customer in ("globex", "internal"):
        response = desk.slack.view_submission(
            cards.CALLBACK_NEW, _form("x", customer), user=ACME_ALICE, user_team=ACME_TEAM
        )
        assert response.json() == {
            "response_action": "errors",
            "errors": {"customer": OWN_ORGANISATION},
        }
    assert dump(desk.rt) == before

    ok = desk.slack.view_submission(
        cards.CALLBACK_NEW, _form("for us", "acme"), user=ACME_ALICE, user_team=ACME_TEAM
    )
    assert ok.text == ""
    assert incident(desk.rt, 1).customer == "acme"


def test_someone_from_another_org_who_is_not_a_contact_cannot_open_one(desk: Desk) -> None:
    response = desk.slack.view_submission(
        cards.CALLBACK_NEW, _form("x", "acme"), user="U0ACMECAROL", user_team=ACME_TEAM
    )

    assert response.json()["response_action"] == "errors"
    assert incidents(desk.rt) == []


def test_a_form_opened_from_one_customers_channel_cannot_name_another(desk: Desk) -> None:
    """The title would land in the other customer's channel: their message, another org."""
    meta = json.dumps({"channel": ACME_CHANNEL, "ts": "1700000000.000100"})

    response = desk.slack.view_submission(
        cards.CALLBACK_NEW, _form("Acme's private words", "globex"), private_metadata=meta
    )

    errors = response.json()["errors"]
    assert "Acme Corp" in errors["customer"]
    assert incidents(desk.rt) == []


def test_a_missing_severity_or_title_is_a_field_error(desk: Desk) -> None:
    no_severity = desk.slack.view_submission(cards.CALLBACK_NEW, _form("x", severity=""))
    assert set(no_severity.json()["errors"]) == {"severity"}

    blank_title = desk.slack.view_submission(cards.CALLBACK_NEW, _form("   "))
    assert set(blank_title.json()["errors"]) == {"title"}
    assert incidents(desk.rt) == []


def test_a_description_with_a_pasted_xml_fault_still_gets_its_cards_posted(desk: Desk) -> None:
    """Slack sends a form's text unescaped; each < becomes &lt; on the card. Cut to 2,900
    characters before escaping, a 2,333-character SOAP fault went over Slack's 3,000 for a
    section: every sync failed on `invalid_blocks` and neither card was ever posted."""
    soap = (
        '<?xml version="1.0"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">'
        "<soap:Body><soap:Fault><soap:Code><soap:Value>soap:Receiver</soap:Value></soap:Code>"
        "<soap:Reason><soap:Text>Invoice export failed</soap:Text></soap:Reason></soap:Fault>"
        "</soap:Body></soap:Envelope>\n"
    )
    description = "Every export since 09:00 returns this fault:\n" + soap * 8

    desk.slack.view_submission(
        cards.CALLBACK_NEW, _form("Invoice export fails", "acme", "2", description)
    )
    desk.drain()

    opened = incident(desk.rt, 1)
    assert opened.card_ts is not None and opened.customer_card_ts is not None
    card = block_text(desk.api.message(TRIAGE, opened.card_ts)["blocks"])
    assert "&lt;soap:Fault&gt;" in card and "<soap:" not in card
