"""A Twilio request delivered twice (a replay of a captured one: Twilio's signature has no
timestamp, so it stays valid; or a retry of one already handled) is acted on once. A
replayed "ack" must not renew an acknowledgement for ever and keep paging from resuming."""

from __future__ import annotations

from urllib.parse import urlencode

import requests
from sqlalchemy import func, select

from supportbot.db.models import TimelineEvent
from tests.paging.conftest import EMEA_L1, TUESDAY_10_DUBLIN, Pager, emea_l1_on
from tests.paging.test_keypress_attack import press
from tests.paging.test_paging_scenarios import open_sev1
from tests.paging.test_sms_reply_attack import message

SID = "SM" + "0123456789abcdef" * 2


def events(pager: Pager) -> int:
    with pager.desk.rt.session() as session:
        return session.scalar(select(func.count()).select_from(TimelineEvent)) or 0


def replay(pager: Pager, path: str) -> str:
    """Send the last request Twilio made to ``path`` again, byte for byte with its
    signature, as someone who captured it would; the body of the answer."""
    sent = [w for w in pager.twilio.webhooks() if path in w.url][-1]
    answer = requests.post(
        sent.url,
        data=urlencode(sent.params),
        headers={"X-Twilio-Signature": sent.signature,
                 "Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    return answer.text


def same_message(sid: str) -> dict[str, str]:
    return {"MessageSid": sid, "SmsSid": sid, "SmsMessageSid": sid}


def test_an_sms_reply_delivered_twice_is_acted_on_once(pager: Pager) -> None:
    code = open_sev1(pager)
    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())
    status, body = pager.reply(EMEA_L1[primary], code, extra=same_message(SID))
    assert status == 200 and "Acknowledged INC-1" in message(body)
    stored = events(pager)

    body = replay(pager, "/twilio/sms")

    assert "<Message>" not in body, body  # answered the first time
    assert events(pager) == stored  # no renewal, no event
    # The same code in a new message is a new reply, and renews as documented.
    status, body = pager.reply(EMEA_L1[primary], code)
    assert status == 200 and "renewed" in message(body), body


def test_a_keypress_delivered_twice_is_acted_on_once(pager: Pager) -> None:
    open_sev1(pager)
    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())
    said = press(pager, EMEA_L1[primary], "1")
    assert "Acknowledged" in said or "acknowledged" in said, said
    stored = events(pager)

    said = replay(pager, "/twilio/voice/gather")  # the same call's keypress again

    assert "already received" in said, said
    assert events(pager) == stored


def test_a_request_without_a_well_formed_id_is_still_acted_on(pager: Pager) -> None:
    """Twilio always sends the id and the signature covers it, so none to compare is no
    reason to drop an acknowledgement."""
    code = open_sev1(pager)
    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())
    status, body = pager.reply(EMEA_L1[primary], code, extra=same_message(""))
    assert status == 200 and "Acknowledged INC-1" in message(body)
