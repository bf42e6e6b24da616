"""Validly signed requests that Slack or Twilio would not normally send: each gets a clear
answer within Slack's 3 seconds, never a 500 or a traceback, and changes nothing stored.

The classes of issue 8: ids people really type (a non-ASCII digit, a number past the
database's integer), a button without a value, a ``user`` that is a string, a view whose
state is not an object, a non-JSON offer, a payload without ``response_url``, a message whose
``user`` is a number, a timestamp that is not a number, and Twilio's ``page`` parameter.

Also: bodies slack_bolt cannot read (it raised while building its request, before any of the
product's code and before the signature check, so ``web.py`` checks both first), an
``event`` that is not an object (Bolt's own middleware raised on it), and a form Slack will
not open (``views.open`` refused, as for an expired trigger id).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests

from supportbot.slack import cards
from tests.conftest import SIGNING_SECRET, Desk
from tests.edge.helpers import (
    SLACK_DEADLINE,
    LogWatch,
    post_twilio,
    refused,
    signed_slack_headers,
    slack_signature,
    timed,
)
from tests.support.records import (
    ACME_ALICE,
    ACME_CHANNEL,
    ACME_TEAM,
    answer,
    dump,
    ephemerals,
)
from tests.support.slack_requests import STAFF, TEAM_ID, TRIAGE

#: Incident ids as people type them: a superscript two (``str.isdigit`` says yes), a number
#: past any database integer, zero, lower case (valid, but no such incident), nothing at all.
TYPED_IDS = ["INC-²", "INC-99999999999999999999", "INC-0", "inc-7", ""]


@pytest.fixture
def opened(desk: Desk) -> Desk:
    """A desk with one Acme incident (INC-1), its cards posted: what bad input must not change."""
    desk.slack.command("sev3 exports are slow", channel=ACME_CHANNEL)
    desk.drain()
    desk.api.clear()
    return desk


def edge(desk: Desk, logs: LogWatch, send: Callable[[], requests.Response]) -> requests.Response:
    """Send one request; it must be answered under 500 within Slack's deadline, leave every
    stored row as it was (after the worker has run whatever it queued) and log no traceback."""
    before = dump(desk.rt)
    logs.clear()
    done = timed(send)
    desk.drain()
    assert done.response.status_code < 500, (done.response.status_code, done.response.text)
    assert done.seconds < SLACK_DEADLINE, f"answered after {done.seconds:.2f}s"
    assert dump(desk.rt) == before
    logs.assert_no_traceback()
    return done.response


def ephemeral_texts(desk: Desk) -> list[str]:
    """What the presser was told through the response URL (Bolt's respond) or postEphemeral."""
    return ephemerals(desk.api)


def wait_for_ephemeral(desk: Desk, seconds: float = SLACK_DEADLINE) -> list[str]:
    """An answer sent through the response URL after the ack may land a moment later."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = ephemeral_texts(desk)
        if found:
            return found
        time.sleep(0.02)
    return ephemeral_texts(desk)


def _interactive_base(**fields: Any) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": TEAM_ID},
        "user": {"id": STAFF, "username": "staff", "team_id": TEAM_ID},
        "api_app_id": "A0APP00001",
        "channel": {"id": TRIAGE},
        "container": {"type": "message", "message_ts": "1.000001"},
        "message": {"ts": "1.000001", "text": ""},
        "trigger_id": f"trigger.edge.{uuid.uuid4().hex}",
        "actions": [
            {"action_id": cards.ACTION_ACK, "block_id": "b", "type": "button", "value": "1"}
        ],
        **fields,
    }


# -- incident ids people type -------------------------------------------------------------------
def _id_answer(typed: str) -> str:
    """What the person is told about ``typed``."""
    if typed == "inc-7":
        return "INC-7 does not exist"
    return f"{typed!r} is not an incident id; use the form INC-1042"


@pytest.mark.parametrize("typed", TYPED_IDS)
def test_sla_with_an_id_people_type_explains_itself(
    opened: Desk, logs: LogWatch, typed: str
) -> None:
    response = edge(opened, logs, lambda: opened.slack.command(typed, command="/sla"))

    said = answer(response)
    if typed:
        assert _id_answer(typed) in said
    else:
        assert said.startswith("Usage: `/sla INC-1042` explains")


@pytest.mark.parametrize("verb", ["note", "reply"])
@pytest.mark.parametrize("typed", TYPED_IDS)
def test_note_and_reply_with_an_id_people_type_explain_themselves(
    opened: Desk, logs: LogWatch, verb: str, typed: str
) -> None:
    text = f"{verb} {typed} checked the logs" if typed else verb

    response = edge(opened, logs, lambda: opened.slack.command(text))

    said = answer(response)
    if typed:
        assert said == f":warning: {_id_answer(typed)}"
    else:
        assert f"`/incident {verb}` needs an incident id and text" in said


def test_a_customer_typing_a_huge_id_is_told_it_is_no_id(opened: Desk, logs: LogWatch) -> None:
    response = edge(
        opened,
        logs,
        lambda: opened.slack.command(
            "reply INC-99999999999999999999 hello", user=ACME_ALICE, channel=ACME_CHANNEL
        ),
    )
    assert "'INC-99999999999999999999' is not an incident id" in answer(response)


# -- buttons ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "action_id",
    [
        cards.ACTION_ACK,
        cards.ACTION_ASSIGN_ME,
        cards.ACTION_WAITING,
        cards.ACTION_ESCALATE,
        cards.ACTION_CONFIRM_SUGGESTION,
        cards.ACTION_RESOLVE,
    ],
)
def test_a_card_button_without_a_value_is_answered_by_ephemeral(
    opened: Desk, logs: LogWatch, action_id: str
) -> None:
    response = edge(opened, logs, lambda: opened.slack.block_action(action_id))

    assert response.status_code == 200
    [said] = ephemeral_texts(opened)
    assert said.startswith(":no_entry: ")
    assert "'' is not an incident id" in said or "'' is not a severity" in said
    assert opened.api.calls("views.open") == []


@pytest.mark.parametrize("value", ["INC-²", "99999999999999999999", "0", "-1", "1:²", "²:1"])
def test_a_card_button_with_a_value_no_card_carries_is_answered(
    opened: Desk, logs: LogWatch, value: str
) -> None:
    edge(opened, logs, lambda: opened.slack.block_action(cards.ACTION_ESCALATE, value=value))

    [said] = ephemeral_texts(opened)
    assert said.startswith(":no_entry: ")


def test_a_severity_select_naming_no_incident_is_answered(opened: Desk, logs: LogWatch) -> None:
    edge(
        opened,
        logs,
        lambda: opened.slack.block_action(
            cards.ACTION_SEVERITY, block_id="incident-²", selected="1"
        ),
    )
    [said] = ephemeral_texts(opened)
    assert "is not an incident id" in said


@pytest.mark.parametrize("value", [None, "not json", "[1, 2]", '{"ts": 5}', '{"text": "x"}'])
def test_an_offer_button_whose_value_is_not_an_offer_is_answered(
    opened: Desk, logs: LogWatch, value: str | None
) -> None:
    edge(
        opened,
        logs,
        lambda: opened.slack.block_action(
            cards.ACTION_OPEN_REQUEST,
            value=value,
            user=ACME_ALICE,
            user_team=ACME_TEAM,
            channel=ACME_CHANNEL,
        ),
    )
    assert ephemeral_texts(opened) == [":warning: This offer could not be read; please post again."]


@pytest.mark.parametrize(
    "user", ["U0STAFF001", None, [], {"name": "no id"}, {"id": ""}, {"id": 7}, {"id": "U" * 65}]
)
def test_a_button_whose_user_is_not_a_user_object_is_answered(
    opened: Desk, logs: LogWatch, user: Any
) -> None:
    before_refused = refused("slack_malformed")
    payload = _interactive_base(user=user, response_url=opened.api.response_url())

    response = edge(opened, logs, lambda: opened.slack.interactive(payload))

    assert response.status_code == 200
    [said] = wait_for_ephemeral(opened)
    assert said.startswith(":warning: This request could not be read (user")
    assert refused("slack_malformed") == before_refused + 1


@pytest.mark.parametrize(
    "change",
    [
        {"actions": []},
        {"actions": "inc_ack"},
        {"actions": [{"value": "1"}]},
        {"actions": [{"action_id": cards.ACTION_ACK, "value": 1}]},
        {"channel": "C0TRIAGE01"},
        {"trigger_id": 12},
    ],
    ids=[
        "no-actions",
        "actions-str",
        "action-without-id",
        "value-number",
        "channel-str",
        "trigger",
    ],
)
def test_a_button_payload_of_the_wrong_shape_is_answered(
    opened: Desk, logs: LogWatch, change: dict[str, Any]
) -> None:
    payload = _interactive_base(response_url=opened.api.response_url(), **change)

    response = edge(opened, logs, lambda: opened.slack.interactive(payload))

    assert response.status_code == 200
    [said] = wait_for_ephemeral(opened)
    assert said.startswith(":warning: This request could not be read (")


@pytest.mark.parametrize(
    ("action_id", "value"),
    [
        (cards.ACTION_ESCALATE, "INC-²"),
        (cards.ACTION_ACK, None),
        (cards.ACTION_RESOLVE, "1"),  # no trigger id either: the form cannot open
        (cards.ACTION_OPEN_REQUEST, "not json"),
    ],
)
def test_a_button_without_a_response_url_is_acked_and_logged(
    opened: Desk, logs: LogWatch, action_id: str, value: str | None
) -> None:
    action = {"action_id": action_id, "block_id": "b", "type": "button"}
    if value is not None:
        action["value"] = value
    payload = _interactive_base(actions=[action])
    if action_id == cards.ACTION_RESOLVE:
        del payload["trigger_id"]
    if action_id == cards.ACTION_OPEN_REQUEST:
        payload |= {
            "user": {"id": ACME_ALICE, "team_id": ACME_TEAM},
            "channel": {"id": ACME_CHANNEL},
        }

    response = edge(opened, logs, lambda: opened.slack.interactive(payload))

    assert (response.status_code, response.text) == (200, "")
    assert ephemeral_texts(opened) == []
    assert opened.api.calls("views.open") == []


@pytest.mark.parametrize("url", ["not a url", "ftp://127.0.0.1/x", "javascript:alert(1)", 7])
def test_a_response_url_that_is_no_url_is_refused_before_a_listener_uses_it(
    opened: Desk, logs: LogWatch, url: Any
) -> None:
    """A refusal is answered through the response URL: one that is no http(s) URL would make
    the listener raise after its ack. The payload is refused as malformed instead."""
    before_refused = refused("slack_malformed")
    action = {"action_id": cards.ACTION_ESCALATE, "type": "button", "value": "INC-²"}
    payload = _interactive_base(actions=[action], response_url=url)

    response = edge(opened, logs, lambda: opened.slack.interactive(payload))

    assert (response.status_code, response.text) == (200, "")
    assert refused("slack_malformed") == before_refused + 1
    assert ephemeral_texts(opened) == []


def test_a_malformed_button_without_a_response_url_is_acked(opened: Desk, logs: LogWatch) -> None:
    payload = _interactive_base(user="U0STAFF001")

    response = edge(opened, logs, lambda: opened.slack.interactive(payload))

    assert (response.status_code, response.text) == (200, "")
    assert ephemeral_texts(opened) == []
    assert any("malformed" in r.getMessage() for r in logs.caplog.records)


# -- views --------------------------------------------------------------------------------------
def _view_payload(state: Any, **view: Any) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID},
        "user": {"id": STAFF, "team_id": TEAM_ID},
        "api_app_id": "A0APP00001",
        "trigger_id": f"trigger.edge.{uuid.uuid4().hex}",
        "view": {
            "id": "V0EDGE0001",
            "type": "modal",
            "callback_id": cards.CALLBACK_NEW,
            "private_metadata": "",
            "state": state,
            **view,
        },
    }


@pytest.mark.parametrize(
    "state",
    [
        {"values": "title"},
        {"values": [1, 2]},
        {"values": None},
        {"values": {"title": "x"}},
        {"values": {"title": {"value": "x"}}},
        "state",
        None,
        {},
    ],
    ids=["str", "list", "null", "block-str", "element-str", "state-str", "state-null", "empty"],
)
def test_a_view_whose_state_is_not_an_object_tells_the_person_in_the_modal(
    opened: Desk, logs: LogWatch, state: Any
) -> None:
    response = edge(opened, logs, lambda: opened.slack.interactive(_view_payload(state)))

    assert response.status_code == 200
    said = response.json()
    assert said["response_action"] == "update"
    assert "could not be read" in json.dumps(said["view"])
    assert said["view"]["type"] == "modal"


@pytest.mark.parametrize(
    "view",
    [
        {"callback_id": cards.CALLBACK_RESOLVE, "private_metadata": "²"},
        {"callback_id": cards.CALLBACK_RESOLVE, "private_metadata": "99999999999999999999"},
        {"callback_id": cards.CALLBACK_NEW, "private_metadata": "not json"},
        {"callback_id": cards.CALLBACK_NEW, "private_metadata": '{"channel": 5}'},
    ],
)
def test_a_view_with_metadata_the_bot_never_wrote_is_a_field_error(
    opened: Desk, logs: LogWatch, view: dict[str, Any]
) -> None:
    state = {
        "values": {
            "summary": {"value": {"type": "plain_text_input", "value": "fixed"}},
            "title": {"value": {"type": "plain_text_input", "value": ""}},
        }
    }

    response = edge(opened, logs, lambda: opened.slack.interactive(_view_payload(state, **view)))

    said = response.json()
    assert said["response_action"] == "errors" and said["errors"]


# -- events -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "change",
    [
        {"user": {"id": ACME_ALICE}},
        {"channel": None},
        {"ts": 1700000000.5},
        {"text": ["our site is down"]},
        {"thread_ts": {"ts": "1"}},
    ],
    ids=["user-object", "channel-null", "ts-number", "text-list", "thread-obj"],
)
def test_a_message_event_of_the_wrong_shape_is_acked_and_changes_nothing(
    opened: Desk, logs: LogWatch, change: dict[str, Any]
) -> None:
    event = {
        "type": "message",
        "channel": ACME_CHANNEL,
        "user": ACME_ALICE,
        "text": "our site is down",
        "ts": "1700000000.000100",
        "user_team": ACME_TEAM,
        "channel_type": "channel",
    } | change
    before_refused = refused("slack_malformed")

    response = edge(opened, logs, lambda: opened.slack.event(event))

    assert response.status_code == 200
    assert refused("slack_malformed") == before_refused + 1
    assert opened.api.calls("chat.postMessage") == []
    assert opened.api.calls("chat.postEphemeral") == []


# -- bodies Bolt cannot read ---------------------------------------------------------------------
#: slack_bolt reads these before any middleware runs and before the signature is checked:
#: ``SlackRequestHandler.handle`` builds a ``BoltRequest``, whose ``parse_body`` and
#: ``build_context`` (``extract_user_id``, ``extract_team_id``, ``extract_channel_id``,
#: ``extract_enterprise_id``, ``extract_is_enterprise_install``, the ``response_urls``
#: lookup) raise on a body that is not a JSON object or holds a number where they expect a
#: string or an object. Bolt's ``IgnoringSelfEvents`` middleware, which runs before the
#: product's own, raises on an ``event`` that is not an object.
BOLT_CANNOT_READ = {
    "json-array": ("[1]", "application/json"),
    "json-number": ("5", "application/json"),
    "json-string": ('"x"', "application/json"),
    "not-json": ("{nope", "application/json"),
    "payload-not-json": ("payload=nope", "application/x-www-form-urlencoded"),
    "payload-array": ("payload=%5B1%5D", "application/x-www-form-urlencoded"),
    "button-user-number": (json.dumps({"type": "block_actions", "user": 42}), "application/json"),
    "team-number": (json.dumps({"type": "block_actions", "team": 42}), "application/json"),
    "channel-number": (json.dumps({"type": "block_actions", "channel": 42}), "application/json"),
    "enterprise-number": (
        json.dumps({"type": "block_actions", "enterprise": 7}),
        "application/json",
    ),
    "authorizations-number": (
        json.dumps({"type": "event_callback", "authorizations": 42}),
        "application/json",
    ),
    "response-urls-number": (
        json.dumps({"type": "view_submission", "response_urls": 5}),
        "application/json",
    ),
    "message-user-number": (
        json.dumps(
            {
                "type": "event_callback",
                "event_id": "Ev0EDGE0001",
                "event": {
                    "type": "message",
                    "channel": ACME_CHANNEL,
                    "user": 12345,
                    "text": "our site is down",
                    "ts": "1700000000.000100",
                },
            }
        ),
        "application/json",
    ),
    "shared-event-array": (
        json.dumps({"type": "event_callback", "is_ext_shared_channel": True, "event": []}),
        "application/json",
    ),
    # Where Bolt looks for the user, channel or team when the top level has none.
    "message-of-a-button-user-number": (
        json.dumps(
            {
                "type": "block_actions",
                "user": {"name": "no id"},
                "actions": [{"action_id": "inc_ack"}],
                "message": {"user": 5},
            }
        ),
        "application/json",
    ),
    "edited-message-user-number": (
        json.dumps(
            {
                "type": "event_callback",
                "event": {"type": "message", "subtype": "message_changed", "message": {"user": 5}},
            }
        ),
        "application/json",
    ),
    "previous-message-user-number": (
        json.dumps({"type": "x", "previous_message": {"user": 5}}),
        "application/json",
    ),
    "reaction-item-channel-number": (
        json.dumps(
            {"type": "event_callback", "event": {"type": "reaction_added", "item": {"channel": 5}}}
        ),
        "application/json",
    ),
    "assistant-thread-channel-number": (
        json.dumps({"type": "x", "assistant_thread": {"channel": 5}}),
        "application/json",
    ),
    "authorization-enterprise-number": (
        json.dumps({"type": "event_callback", "authorizations": [{"enterprise": 5}]}),
        "application/json",
    ),
    "authorization-team-number": (
        json.dumps({"type": "event_callback", "authorizations": [{"team": 5}]}),
        "application/json",
    ),
    "event-null": (json.dumps({"type": "event_callback", "event": None}), "application/json"),
    "response-urls-null": (
        json.dumps({"type": "view_submission", "response_urls": None}),
        "application/json",
    ),
    # Deeper than Python's JSON parser (or Bolt's recursion through "message") goes.
    "nested-too-deep": ('{"message": ' * 3000 + "{}" + "}" * 3000, "application/json"),
    "nested-array-too-deep": ("[" * 100_000 + "]" * 100_000, "application/json"),
}


@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
@pytest.mark.parametrize("case", sorted(BOLT_CANNOT_READ))
def test_a_body_bolt_cannot_read_is_refused_not_a_500(
    desk: Desk, logs: LogWatch, case: str, signed: bool
) -> None:
    body, content_type = BOLT_CANNOT_READ[case]
    headers = signed_slack_headers(SIGNING_SECRET, body.encode(), content_type)
    if not signed:
        headers["X-Slack-Signature"] = "v0=" + "0" * 64

    response = edge(
        desk,
        logs,
        lambda: desk.slack.session.post(
            desk.slack.url, data=body.encode(), headers=headers, timeout=10
        ),
    )

    assert response.status_code == (400 if signed else 401)


# Bolt's IgnoringSelfEvents middleware, which slack_bolt.App installs ahead of the
# product's own, calls body["event"].get(...): it raised AttributeError on these.
@pytest.mark.parametrize(
    "event", [[], "message", 7, None], ids=["array", "string", "number", "null"]
)
def test_an_event_that_is_not_an_object_is_refused_not_a_500(
    desk: Desk, logs: LogWatch, event: Any
) -> None:
    body = json.dumps({"type": "event_callback", "event_id": "Ev0EDGE0002", "event": event})
    headers = signed_slack_headers(SIGNING_SECRET, body.encode(), "application/json")

    response = edge(
        desk,
        logs,
        lambda: desk.slack.session.post(
            desk.slack.url, data=body.encode(), headers=headers, timeout=10
        ),
    )

    # Signed, but not what Slack sends: refused before Bolt reads it, with the reason.
    assert response.status_code == 400
    assert "payload.event is not a JSON object" in response.text


# -- the signature's timestamp ------------------------------------------------------------------
@pytest.mark.parametrize(
    "stamp",
    ["abc", "", "1e9", "-5", "１７００００００００", "17000000000000000000000", "1.5", "0x10"],
)
def test_a_timestamp_that_is_not_a_number_is_refused_with_401(
    opened: Desk, logs: LogWatch, stamp: str
) -> None:
    body = "command=%2Fincident&text=sev1+forged&user_id=U0STAFF001&channel_id=C0TRIAGE01"
    before_refused = refused("slack_signature")
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp,
        # Signed over the very timestamp sent: only its form is wrong.
        "X-Slack-Signature": slack_signature(SIGNING_SECRET, stamp, body.encode()),
    }

    response = edge(
        opened,
        logs,
        lambda: opened.slack.session.post(
            opened.slack.url, data=body.encode("utf-8"), headers=_latin1(headers), timeout=10
        ),
    )

    assert response.status_code == 401
    assert refused("slack_signature") == before_refused + 1
    assert opened.api.calls() == []


def _latin1(headers: dict[str, str]) -> dict[str, Any]:
    """HTTP header values travel as bytes; a non-ASCII one is sent as its UTF-8 bytes."""
    return {k: v.encode() if not v.isascii() else v for k, v in headers.items()}


# -- Twilio's page parameter --------------------------------------------------------------------
@pytest.mark.parametrize("route", ["/twilio/voice", "/twilio/voice/gather"])
@pytest.mark.parametrize(
    "query",
    ["?page=%C2%B2", "?page=" + "9" * 40, "?page=99999999999999999999", "?page=-1", "?page=0", ""],
    ids=["superscript", "huge", "past-int64", "negative", "zero", "missing"],
)
def test_a_twilio_page_parameter_that_is_not_a_page_id_is_a_400(
    opened: Desk, logs: LogWatch, route: str, query: str
) -> None:
    params = {"CallSid": "CA" + "0" * 32, "CallStatus": "in-progress", "Digits": "1"}
    session = requests.Session()

    response = edge(opened, logs, lambda: post_twilio(session, opened.url, route + query, params))

    assert response.status_code == 400, response.text
    assert "page" in response.text


@pytest.mark.parametrize("route", ["/twilio/voice", "/twilio/voice/gather"])
def test_a_twilio_page_that_does_not_exist_is_answered_politely(
    opened: Desk, logs: LogWatch, route: str
) -> None:
    params = {"CallSid": "CA" + "0" * 32, "CallStatus": "in-progress", "Digits": "1"}
    session = requests.Session()

    response = edge(
        opened, logs, lambda: post_twilio(session, opened.url, route + "?page=424242", params)
    )

    assert response.status_code == 200
    assert "<Say>" in response.text


@pytest.mark.parametrize("query", ["?page=%C2%B2", "?page=%EF%BC%91", "?page=1&x=%7B%7D"])
def test_a_twilio_signature_covers_the_query_string_as_sent(
    opened: Desk, logs: LogWatch, query: str
) -> None:
    """Behind a proxy (SUPPORTBOT_PUBLIC_URL set) and without one, the signature is checked
    against the URL as Twilio called it, percent-encoding and all: such a request is read
    (400 for a page parameter that is not a page id, TwiML for page 1), never refused as
    unsigned."""
    params = {"CallSid": "CA" + "0" * 32, "CallStatus": "in-progress"}
    session = requests.Session()
    expected = 200 if query.startswith("?page=1&") else 400

    direct = edge(
        opened, logs, lambda: post_twilio(session, opened.url, "/twilio/voice" + query, params)
    )
    opened.rt.settings = opened.rt.settings.model_copy(update={"public_url": opened.url})
    proxied = edge(
        opened, logs, lambda: post_twilio(session, opened.url, "/twilio/voice" + query, params)
    )

    assert (direct.status_code, proxied.status_code) == (expected, expected)


# -- Slack refuses to open a form ---------------------------------------------------------------
# A trigger id expires 3 seconds after the click, and Slack answers views.open with
# expired_trigger_id (or fails outright). Unguarded, /incident raised before its ack (500 and
# a traceback), and Resolve and the shortcut just after theirs, which Bolt answered 404 after
# waiting 3 seconds (its thread runner resets ack.response when a listener raises after
# acking).


@pytest.mark.parametrize("where", ["command", "resolve", "shortcut"])
def test_a_form_slack_will_not_open_is_answered_by_ephemeral(
    opened: Desk, logs: LogWatch, where: str
) -> None:
    opened.api.inject("views.open", "expired_trigger_id")
    send = {
        "command": lambda: opened.slack.command(""),
        "resolve": lambda: opened.slack.block_action(cards.ACTION_RESOLVE, value="1"),
        "shortcut": lambda: opened.slack.message_shortcut(
            cards.SHORTCUT_OPEN,
            message={"text": "checkout fails", "ts": "1700000000.000100", "user": ACME_ALICE},
            channel=ACME_CHANNEL,
        ),
    }[where]

    response = edge(opened, logs, send)

    assert response.status_code == 200
    said = answer(response) if where == "command" else " ".join(wait_for_ephemeral(opened))
    assert "form" in said and "try again" in said
