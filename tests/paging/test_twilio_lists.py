"""The Twilio stand-in lists messages and calls as Twilio does, through the real client: by
``To``, ``DateSent`` / ``StartTime`` on or after an instant or a day, newest first, paged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from twilio.rest import Client

from supportbot.clients.twilio_http import make_twilio_client
from tests.standins import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TwilioStandin

A, B, FROM = "+35315550101", "+35315550102", "+15005550006"
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


@pytest.fixture
def world() -> Iterator[tuple[TwilioStandin, Client, list[datetime]]]:
    now = [T0]
    with TwilioStandin(clock=lambda: now[0]) as standin:
        yield standin, make_twilio_client(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, standin.url), now


def test_messages_by_recipient_and_date_sent(
    world: tuple[TwilioStandin, Client, list[datetime]],
) -> None:
    standin, client, now = world
    first = client.messages.create(to=A, from_=FROM, body="one").sid
    client.messages.create(to=B, from_=FROM, body="other")
    now[0] = T0 + timedelta(minutes=5)
    second = client.messages.create(to=A, from_=FROM, body="two").sid
    third = client.messages.create(to=A, from_=FROM, body="queued, never sent").sid
    standin.resources[first]["date_sent"] = standin.resources[first]["date_created"]
    standin.resources[second]["date_sent"] = standin.resources[second]["date_created"]

    assert [m.sid for m in client.messages.list(to=A)] == [third, second, first]
    after = client.messages.list(to=A, date_sent_after=T0 + timedelta(minutes=1))
    assert [m.sid for m in after] == [second]  # a queued message has no DateSent yet
    before = client.messages.list(to=A, date_sent_before=T0 + timedelta(minutes=1))
    assert [m.sid for m in before] == [first]
    assert [m.body for m in client.messages.list(to=B)] == ["other"]
    assert client.messages.list(to="+35315550199") == []
    # Paging: two at a time, followed to the end by the client.
    assert len(list(client.messages.stream(to=A, page_size=2))) == 3
    assert [c.method for c in standin.calls()].count("Messages.list") >= 6


def test_calls_by_recipient_and_start_time(
    world: tuple[TwilioStandin, Client, list[datetime]],
) -> None:
    standin, client, now = world
    url = "http://127.0.0.1:9/voice"
    early = client.calls.create(to=A, from_=FROM, url=url).sid
    now[0] = T0 + timedelta(minutes=5)
    late = client.calls.create(to=A, from_=FROM, url=url).sid
    client.calls.create(to=B, from_=FROM, url=url)
    standin.resources[early]["start_time"] = standin.resources[early]["date_created"]
    standin.resources[late]["start_time"] = standin.resources[late]["date_created"]

    assert [c.sid for c in client.calls.list(to=A)] == [late, early]
    assert [c.sid for c in client.calls.list(to=A, start_time_after=T0 + timedelta(minutes=1))] == [
        late
    ]
    assert [c.sid for c in client.calls.list(to=A, start_time="2026-11-24")] == [
        late,
        early,
    ]  # that day
