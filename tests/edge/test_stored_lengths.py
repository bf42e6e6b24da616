"""What the edge accepts fits where it is stored.

SQLite stores a string of any length in a ``VARCHAR(20)``; PostgreSQL refuses it, and the
request that carried it ends in a 500 and a traceback (or a listener's traceback after the
ack). PostgreSQL text cannot hold a NUL character either. So the edge refuses, with a clear
answer, values no Slack or Twilio request carries and no column holds: a Twilio ``From`` that
is no phone number, Slack user and channel ids longer than an id column, message timestamps
longer than a ``ts`` column, a NUL anywhere. These tests pass on SQLite only if nothing is
stored, and on PostgreSQL only if nothing raises. The fuzz, run on PostgreSQL, found each.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import requests
from sqlalchemy import select

from supportbot.db.models import Incident
from supportbot.slack import cards
from tests.conftest import Desk
from tests.edge.helpers import SLACK_DEADLINE, LogWatch, post_twilio, refused, timed
from tests.support.records import ACME_ALICE, ACME_CHANNEL, ACME_TEAM, answer, dump, incidents
from tests.support.slack_requests import STAFF, TRIAGE

LONG_USER = "U" + "0" * 50  # 51 characters: Slack's are about 11
LONG_CHANNEL = "C" + "0" * 50
LONG_TS = "1700000000." + "0" * 30  # 41 characters: Slack's are 17


def _unchanged(
    desk: Desk, logs: LogWatch, send: Callable[[], requests.Response]
) -> requests.Response:
    before = dump(desk.rt)
    logs.clear()
    done = timed(send)
    desk.drain()
    assert done.response.status_code < 500, (done.response.status_code, done.response.text)
    assert done.seconds < SLACK_DEADLINE
    assert dump(desk.rt) == before
    logs.assert_no_traceback()
    return done.response


# -- Twilio -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sender",
    [
        "0" * 21,
        "+1" + "5" * 25,
        "whatsapp:+14155238886",
        "client:alice",
        "",
        "+１５５５０１２３４５６",
        "+1555<!channel>",
    ],
    ids=["21-digits", "26-digits", "whatsapp", "client", "empty", "fullwidth", "markup"],
)
def test_an_sms_from_something_that_is_no_phone_number_is_a_400(
    desk: Desk, logs: LogWatch, sender: str
) -> None:
    session = requests.Session()
    form = {"From": sender, "To": "+15005550006", "Body": "ack", "MessageSid": "SM" + "0" * 32}

    response = _unchanged(desk, logs, lambda: post_twilio(session, desk.url, "/twilio/sms", form))

    assert response.status_code == 400
    assert "From" in response.text


def test_an_sms_from_a_number_written_with_spaces_is_read_as_that_number(
    desk: Desk, logs: LogWatch
) -> None:
    session = requests.Session()
    form = {"From": "+1 555 000 0000", "To": "+15005550006", "Body": "hello"}

    for _ in range(7):  # past the loop limit: counted under one number, then silenced
        response = post_twilio(session, desk.url, "/twilio/sms", form)
        assert response.status_code == 200
    desk.drain()

    assert "not on the supportbot on-call roster" not in response.text  # silenced
    assert [r[0] for r in dump(desk.rt)["inbound_numbers"]] == ["+15550000000"]
    logs.assert_no_traceback()


# -- Slack --------------------------------------------------------------------------------------
def test_a_message_whose_ts_no_column_holds_is_refused(desk: Desk, logs: LogWatch) -> None:
    before = refused("slack_malformed")

    _unchanged(
        desk,
        logs,
        lambda: desk.slack.message(
            "our site is down", user=ACME_ALICE, channel=ACME_CHANNEL, user_team=ACME_TEAM,
            ts=LONG_TS,
        ),
    )  # fmt: skip

    assert refused("slack_malformed") == before + 1


@pytest.mark.parametrize("who", ["user", "channel"])
def test_a_message_from_an_id_no_column_holds_is_refused(
    desk: Desk, logs: LogWatch, who: str
) -> None:
    user, channel = (LONG_USER, ACME_CHANNEL) if who == "user" else (ACME_ALICE, LONG_CHANNEL)

    _unchanged(
        desk,
        logs,
        lambda: desk.slack.message(
            "our site is down", user=user, channel=channel, user_team=ACME_TEAM,
            ts="1700000000.000100",
        ),
    )  # fmt: skip


@pytest.mark.parametrize("who", ["user", "channel"])
def test_a_command_from_an_id_no_column_holds_is_refused_with_an_answer(
    desk: Desk, logs: LogWatch, who: str
) -> None:
    user, channel = (LONG_USER, TRIAGE) if who == "user" else (STAFF, LONG_CHANNEL)

    response = _unchanged(
        desk, logs, lambda: desk.slack.command("sev3 exports are slow", user=user, channel=channel)
    )

    assert answer(response).startswith(":warning: This request could not be read (")


def test_a_button_pressed_by_an_id_no_column_holds_is_refused(desk: Desk, logs: LogWatch) -> None:
    desk.slack.command("sev3 exports are slow", channel=ACME_CHANNEL)
    desk.drain()

    _unchanged(
        desk,
        logs,
        lambda: desk.slack.block_action(cards.ACTION_ASSIGN_ME, value="1", user=LONG_USER),
    )

    assert incidents(desk.rt)[0].assignee is None


def test_an_offer_whose_ts_no_column_holds_is_refused(desk: Desk, logs: LogWatch) -> None:
    value = json.dumps({"ts": LONG_TS, "text": "the export misses a column"})

    _unchanged(
        desk,
        logs,
        lambda: desk.slack.block_action(
            cards.ACTION_OPEN_REQUEST,
            value=value,
            user=ACME_ALICE,
            user_team=ACME_TEAM,
            channel=ACME_CHANNEL,
        ),
    )


def test_form_metadata_the_bot_never_wrote_is_not_stored(desk: Desk, logs: LogWatch) -> None:
    """The form's private metadata names the channel and message it was opened from; values
    that cannot be a channel id or a message ts are ignored, never stored."""
    logs.clear()
    form = {
        "title": "payments down",
        "customer": {"selected": "internal"},
        "severity": {"selected": "3"},
    }
    response = desk.slack.view_submission(
        cards.CALLBACK_NEW,
        form,
        private_metadata=json.dumps({"channel": "C" + "9" * 200, "ts": "1" * 80}),
    )
    desk.drain()

    assert response.status_code == 200
    with desk.rt.session() as session:
        [opened] = session.scalars(select(Incident))
        assert (opened.title, opened.source_channel, opened.source_ts) == (
            "payments down",
            None,
            None,
        )
    logs.assert_no_traceback()


# -- NUL characters -----------------------------------------------------------------------------
# PostgreSQL text cannot hold a NUL character (SQLite stores it); neither Slack nor Twilio sends
# one. A request carrying one is refused as malformed, wherever it is.
NUL_FORM = {
    "title": "pay\x00ments",
    "customer": {"selected": "internal"},
    "severity": {"selected": "3"},
}


@pytest.mark.parametrize(
    ("send", "command"),
    [
        (lambda d: d.slack.command("sev3 exports\x00 are slow"), True),
        (lambda d: d.slack.command("sev3 exports are slow", channel="C0TRIAGE\x00"), True),
        (lambda d: d.slack.message(
            "our site is down\x00", user=ACME_ALICE, channel=ACME_CHANNEL, user_team=ACME_TEAM,
            ts="1700000000.000200",
        ), False),
        (lambda d: d.slack.message(
            "more", user=ACME_ALICE, channel="\x00", user_team=ACME_TEAM,
            ts="1700000000.000300", thread_ts="1700000000.000100",
        ), False),
        (lambda d: d.slack.view_submission(cards.CALLBACK_NEW, NUL_FORM), False),
        (lambda d: d.slack.block_action(cards.ACTION_ASSIGN_ME, value="1\x00"), False),
    ],
    ids=["command-text", "command-channel", "message-text", "thread-channel", "form", "button"],
)  # fmt: skip
def test_a_slack_request_carrying_a_nul_is_refused(
    desk: Desk, logs: LogWatch, send: Callable[[Desk], requests.Response], command: bool
) -> None:
    desk.slack.command("sev3 exports are slow", channel=ACME_CHANNEL)
    desk.drain()
    before = refused("slack_malformed")

    response = _unchanged(desk, logs, lambda: send(desk))

    assert refused("slack_malformed") == before + 1
    if command:
        assert answer(response).startswith(":warning: This request could not be read (")


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/twilio/sms", {"From": "+15550000000", "Body": "ack\x00"}),
        ("/twilio/status", {"MessageSid": "SM\x00", "MessageStatus": "delivered"}),
        ("/twilio/status", {"CallSid": "CA1", "CallStatus": "failed", "ErrorCode": "\x00"}),
        ("/twilio/voice/gather?page=1", {"CallSid": "CA1", "Digits": "1\x00"}),
        ("/twilio/voice?page=1", {"CallSid": "CA\x00"}),
        ("/twilio/voice?page=1&x=%00", {"CallSid": "CA1"}),
    ],
    ids=["sms-body", "status-sid", "status-error", "gather-digits", "voice-sid", "query"],
)
def test_a_twilio_request_carrying_a_nul_is_a_400(
    desk: Desk, logs: LogWatch, path: str, form: dict[str, str]
) -> None:
    session = requests.Session()

    response = _unchanged(desk, logs, lambda: post_twilio(session, desk.url, path, form))

    assert response.status_code == 400
