"""SUPPORTBOT_PUBLIC_URL with a path (``https://ops.example.com/supportbot``), behind a
proxy that strips it: every URL the bot gives Twilio must lie under the public URL. Twilio
resolves a <Gather action> against the call's TwiML URL, so an action written as an absolute
path (``/twilio/voice/gather``) drops the prefix: the keypress goes to the proxy's root and
pressing 1 never acknowledges."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlencode, urljoin

import requests
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from supportbot.db.models import Page
from tests.paging.conftest import EMEA_L1, FROM_NUMBER, TUESDAY_10_DUBLIN, Pager, emea_l1_on
from tests.paging.test_paging_scenarios import open_sev1
from tests.standins import TWILIO_AUTH_TOKEN

PUBLIC_URL = "https://ops.example.com/supportbot"


def through_proxy(app_url: str, path: str, form: dict[str, str]) -> str:
    """POST ``path`` to the app as a prefix-stripping proxy forwards it, signed as Twilio
    signs the public URL it called; the response body."""
    signature = RequestValidator(TWILIO_AUTH_TOKEN).compute_signature(PUBLIC_URL + path, form)
    response = requests.post(
        app_url + path,
        data=urlencode(form),
        headers={
            "X-Twilio-Signature": signature,
            "Content-Type": "application/x-www-form-urlencoded",
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.text


def test_the_keypress_url_stays_under_a_public_url_with_a_path(pager: Pager) -> None:
    open_sev1(pager)
    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())
    [call] = pager.twilio.voice_calls(to=EMEA_L1[primary])
    rt = pager.desk.rt
    with rt.session() as session:
        page_id = session.scalar(select(Page.id).where(Page.provider_sid == call["sid"]))
    rt.settings = rt.settings.model_copy(update={"public_url": PUBLIC_URL})
    voice_path = f"/twilio/voice?page={page_id}"
    form = {"CallSid": call["sid"], "CallStatus": "in-progress", "From": FROM_NUMBER}

    twiml = through_proxy(pager.desk.url, voice_path, form)

    gather = ET.fromstring(twiml).find("Gather")
    assert gather is not None, twiml
    pressed = urljoin(PUBLIC_URL + voice_path, gather.get("action") or "")
    assert pressed.startswith(PUBLIC_URL + "/"), pressed
    # The keypress Twilio then sends, forwarded without the prefix, acknowledges.
    said = through_proxy(pager.desk.url, pressed.removeprefix(PUBLIC_URL), form | {"Digits": "1"})
    assert "Acknowledged INC-1" in said, said
