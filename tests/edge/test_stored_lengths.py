"""What the edge accepts fits where it is stored.

SQLite stores a string of any length in a ``VARCHAR(20)``; PostgreSQL refuses it, and the
request that carried it ends in a 500 and a traceback (or a listener's traceback after the
ack). So the edge refuses, with a clear answer, values no Twilio request carries and no column
holds: a ``From`` that is no phone number. These tests pass on SQLite only if nothing is
stored, and on PostgreSQL only if nothing raises.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests

from tests.conftest import Desk
from tests.edge.helpers import SLACK_DEADLINE, LogWatch, post_twilio, timed
from tests.support.records import dump


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
