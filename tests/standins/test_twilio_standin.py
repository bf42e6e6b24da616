"""The Twilio stand-in, driven through the real twilio client and checked with its validator."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from supportbot.clients.twilio_http import RedirectingTwilioHttpClient, make_twilio_client
from tests.standins import (
    TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN,
    Call,
    Reply,
    Request,
    StandinServer,
    TwilioStandin,
)

ONCALL, FROM = "+35315550100", "+15005550006"
GATHER = (
    '<?xml version="1.0" encoding="UTF-8"?><Response>'
    '<Gather action="voice/ack?page=7" numDigits="1"><Say>Press 1 to acknowledge.</Say></Gather>'
    "</Response>"
)


class Receiver(StandinServer):
    """The app's side of the webhooks, reduced to recording and canned replies."""

    def __init__(self) -> None:
        super().__init__()
        self.replies: dict[str, Reply] = {}

    def handle(self, req: Request, method: str) -> Reply:
        return self.replies.get(req.path, Reply(200, b"<Response/>", {"Content-Type": "text/xml"}))

    def signed_by(self, call: Call, token: str, base: str | None = None) -> bool:
        """Check as the app would: the URL Twilio requested (query included) and the form."""
        url = f"{base or self.url}{call.path}" + (f"?{call.query}" if call.query else "")
        return RequestValidator(token).validate(url, call.form, call.headers["x-twilio-signature"])


@pytest.fixture
def twilio() -> Iterator[TwilioStandin]:
    with TwilioStandin(hang_seconds=0.3) as standin:
        yield standin


@pytest.fixture
def app() -> Iterator[Receiver]:
    with Receiver() as receiver:
        yield receiver


def client(twilio: TwilioStandin, token: str = TWILIO_AUTH_TOKEN) -> Client:
    return make_twilio_client(TWILIO_ACCOUNT_SID, token, twilio.url, timeout=2.0)


def test_sms_create_and_fetch_reach_the_standin(twilio: TwilioStandin) -> None:
    sms = client(twilio).messages.create(
        to=ONCALL, from_=FROM, body="SEV1 INC-1042: reply 1 to ack"
    )
    assert sms.sid is not None and sms.sid.startswith("SM") and len(sms.sid) == 34
    assert (sms.status, sms.to, sms.from_, sms.body) == ("queued", ONCALL, FROM, sms.body)
    assert sms.date_created is not None and sms.date_created.tzinfo is not None
    [call] = twilio.calls("Messages.create")
    assert call.params == {"To": ONCALL, "From": FROM, "Body": "SEV1 INC-1042: reply 1 to ack"}
    assert call.headers["authorization"].startswith("Basic ")
    assert client(twilio).messages(sms.sid).fetch().status == "queued"
    assert [m["sid"] for m in twilio.messages(to=ONCALL)] == [sms.sid]


def test_call_create_and_fetch(twilio: TwilioStandin) -> None:
    call = client(twilio).calls.create(to=ONCALL, from_=FROM, url="http://127.0.0.1:9/voice")
    assert call.sid is not None and call.sid.startswith("CA") and len(call.sid) == 34
    assert call.status == "queued"
    assert client(twilio).calls(call.sid).fetch().to == ONCALL
    client(twilio).calls(call.sid).update(status="completed")
    assert twilio.voice_calls()[0]["status"] == "completed"


def test_validation_errors_use_twilio_codes(twilio: TwilioStandin) -> None:
    with pytest.raises(TwilioRestException) as no_body:
        client(twilio).messages.create(to=ONCALL, from_=FROM)
    assert (no_body.value.status, no_body.value.code) == (400, 21602)
    with pytest.raises(TwilioRestException) as bad_to:
        client(twilio).calls.create(to="0871234567", from_=FROM, twiml="<Response/>")
    assert bad_to.value.code == 21211
    with pytest.raises(TwilioRestException) as missing:
        client(twilio).messages("SM" + "0" * 32).fetch()
    assert (missing.value.status, missing.value.code) == (404, 20404)


def test_wrong_credentials_are_rejected(twilio: TwilioStandin) -> None:
    with pytest.raises(TwilioRestException) as err:
        client(twilio, token="not-the-token").messages.create(to=ONCALL, from_=FROM, body="x")
    assert (err.value.status, err.value.code) == (401, 20003)
    assert twilio.messages() == []


@pytest.mark.parametrize(("kind", "status", "code"), [("429", 429, 20429), ("500", 500, 20500)])
def test_injected_errors_raise_without_retry(
    twilio: TwilioStandin, kind: str, status: int, code: int
) -> None:
    twilio.inject("Messages.create", kind, retry_after=3)
    with pytest.raises(TwilioRestException) as err:
        client(twilio).messages.create(to=ONCALL, from_=FROM, body="x")
    assert (err.value.status, err.value.code) == (status, code)
    [call] = twilio.calls()
    assert call.fault == kind and (kind != "429" or call.response["status"] == 429)
    assert client(twilio).messages.create(to=ONCALL, from_=FROM, body="x").status == "queued"


def test_error_code_faults_and_timeouts(twilio: TwilioStandin) -> None:
    twilio.inject("Messages", "21610")
    with pytest.raises(TwilioRestException) as err:
        client(twilio).messages.create(to=ONCALL, from_=FROM, body="x")
    assert (err.value.status, err.value.code) == (400, 21610)
    twilio.inject("Calls.create", "timeout")
    slow = make_twilio_client(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, twilio.url, timeout=0.1)
    with pytest.raises(OSError):  # requests' ReadTimeout is an OSError
        slow.calls.create(to=ONCALL, from_=FROM, twiml="<Response/>")
    assert len(twilio.voice_calls()) == 1  # Twilio placed the call; only the reply was lost


def test_twilio_down_for_ten_minutes(twilio: TwilioStandin) -> None:
    now = datetime(2026, 3, 29, 0, 55, tzinfo=UTC)
    twilio.set_clock(lambda: now)
    twilio.down_until(now + timedelta(minutes=10))
    with pytest.raises(TwilioRestException) as err:
        client(twilio).messages.create(to=ONCALL, from_=FROM, body="x")
    assert (err.value.status, err.value.code) == (503, 20503)
    now += timedelta(minutes=10)
    assert client(twilio).messages.create(to=ONCALL, from_=FROM, body="x").status == "queued"


def test_status_callbacks_are_signed(twilio: TwilioStandin, app: Receiver) -> None:
    callback = f"{app.url}/twilio/status"
    sms = client(twilio).messages.create(to=ONCALL, from_=FROM, body="x", status_callback=callback)
    assert twilio.deliver_status(sms.sid, "delivered").status == 200
    [got] = app.wait_for("/twilio/status", timeout=2)
    assert got.params["MessageSid"] == sms.sid and got.params["MessageStatus"] == "delivered"
    assert got.params["AccountSid"] == TWILIO_ACCOUNT_SID and got.params["To"] == ONCALL
    assert app.signed_by(got, TWILIO_AUTH_TOKEN) and not app.signed_by(got, "other-token")
    assert client(twilio).messages(sms.sid).fetch().status == "delivered"
    twilio.deliver_status(sms.sid, "undelivered", error_code=30003, token="forged")
    forged = app.calls()[-1]
    assert forged.params["ErrorCode"] == "30003" and not app.signed_by(forged, TWILIO_AUTH_TOKEN)


def test_call_status_callback(twilio: TwilioStandin, app: Receiver) -> None:
    call = client(twilio).calls.create(
        to=ONCALL, from_=FROM, twiml="<Response/>", status_callback=f"{app.url}/twilio/status"
    )
    twilio.deliver_status(call.sid, "no-answer")
    got = app.calls()[-1]
    assert (got.params["CallSid"], got.params["CallStatus"]) == (call.sid, "no-answer")
    assert app.signed_by(got, TWILIO_AUTH_TOKEN)


def test_inbound_sms_is_signed_and_answered(twilio: TwilioStandin, app: Receiver) -> None:
    app.replies["/twilio/sms"] = Reply(200, b"<Response><Message>Acked</Message></Response>")
    status, body = twilio.send_inbound_sms(f"{app.url}/twilio/sms", ONCALL, FROM, "1")
    assert status == 200 and "Acked" in body
    [got] = app.calls("/twilio/sms")
    assert (got.params["From"], got.params["To"], got.params["Body"]) == (ONCALL, FROM, "1")
    assert got.params["MessageSid"].startswith("SM") and got.params["NumMedia"] == "0"
    assert app.signed_by(got, TWILIO_AUTH_TOKEN)
    app.replies["/twilio/sms"] = Reply(403, b"bad signature")
    assert twilio.send_inbound_sms(f"{app.url}/twilio/sms", ONCALL, FROM, "1", token="old") == (
        403,
        "bad signature",
    )


def test_signing_as_the_public_url_behind_a_proxy(twilio: TwilioStandin, app: Receiver) -> None:
    twilio.public_base_url = "https://supportbot.example.com"
    twilio.send_inbound_sms(f"{app.url}/twilio/sms?x=1", ONCALL, FROM, "1")
    got = app.calls()[-1]
    assert app.signed_by(got, TWILIO_AUTH_TOKEN, base="https://supportbot.example.com")
    assert not app.signed_by(got, TWILIO_AUTH_TOKEN)


def test_answer_call_presses_digits_into_the_gather(twilio: TwilioStandin, app: Receiver) -> None:
    app.replies["/twilio/voice"] = Reply(200, GATHER.encode(), {"Content-Type": "text/xml"})
    voice_url = f"{app.url}/twilio/voice"
    call = client(twilio).calls.create(to=ONCALL, from_=FROM, url=voice_url)
    fetched, pressed = twilio.answer_call(call.sid, digits="1")
    assert fetched == (voice_url, 200, GATHER)
    assert pressed.url == f"{app.url}/twilio/voice/ack?page=7" and pressed.status == 200
    twiml, ack = app.calls()
    assert twiml.params["CallStatus"] == "in-progress" and twiml.params["CallSid"] == call.sid
    assert ack.path == "/twilio/voice/ack" and ack.params["Digits"] == "1"
    assert ack.query == "page=7" and "page" not in ack.form  # signed: URL with query + form
    assert app.signed_by(ack, TWILIO_AUTH_TOKEN) and app.signed_by(twiml, TWILIO_AUTH_TOKEN)


def test_answer_call_stops_on_rejection_and_insists_on_a_gather(
    twilio: TwilioStandin, app: Receiver
) -> None:
    app.replies["/twilio/voice"] = Reply(403, b"forbidden")
    call = client(twilio).calls.create(to=ONCALL, from_=FROM, url=f"{app.url}/twilio/voice")
    assert [e.status for e in twilio.answer_call(call.sid, digits="1", token="forged")] == [403]
    app.replies.pop("/twilio/voice")
    with pytest.raises(AssertionError, match="no <Gather>"):
        twilio.answer_call(call.sid, digits="1")


def test_redirecting_client_rewrites_scheme_and_host_only() -> None:
    http = RedirectingTwilioHttpClient("http://127.0.0.1:8081/prefix/")
    assert (
        http.rewrite("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?PageSize=5")
        == "http://127.0.0.1:8081/prefix/2010-04-01/Accounts/AC1/Messages.json?PageSize=5"
    )
    with pytest.raises(ValueError, match="TWILIO_API_URL"):
        RedirectingTwilioHttpClient("127.0.0.1:8081")
    real = make_twilio_client(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, "https://api.twilio.com/")
    assert type(real.http_client) is TwilioHttpClient
    assert real.http_client.timeout == 10.0
