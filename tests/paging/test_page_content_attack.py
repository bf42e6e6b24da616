"""What a page says, attacked through its content: titles carrying control characters into
the call's TwiML, and a storm of incidents bundled into one SMS past what Twilio takes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

from sqlalchemy import select

from supportbot.db.models import Escalation, Page
from tests.paging.conftest import EMEA_L1, TUESDAY_10_DUBLIN, Pager, emea_l1_on
from tests.paging.test_paging_scenarios import ACME, open_sev1
from tests.standins.twilio_api import segments


def test_a_title_with_terminal_colour_codes_still_gives_the_call_valid_twiml(
    pager: Pager,
) -> None:
    """A title pasted from a terminal (ANSI colours, a bell) reaches the call's <Say>. XML 1.0
    has no such characters, so Twilio could not parse the TwiML: the call would say "an
    application error has occurred" instead of the page, and hang up."""
    open_sev1(pager, "db \x1b[31mdown\x1b[0m on primary \x07")
    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())
    call = pager.twilio.voice_calls(to=EMEA_L1[primary])[0]

    twiml = pager.twilio.answer_call(call["sid"])[0]

    assert twiml.status == 200
    said = "".join(ET.fromstring(twiml.text).itertext())  # raises on TwiML Twilio cannot read
    assert "db [31mdown[0m on primary" in " ".join(said.split()), said
    sms = pager.twilio.messages(to=EMEA_L1[primary])[0]["body"]
    assert "\x1b" not in sms and "\x07" not in sms, sms


def test_a_storm_of_incidents_is_paged_in_texts_of_a_few_segments_and_none_is_lost(
    pager: Pager,
) -> None:
    """Fourteen Sev1s at once: their pages to one person are bundled. Bundled whole, the text
    ran to about 1,000 UCS-2 characters (one emoji in a title is enough): dozens of
    segments, and past 1,600 characters Twilio refuses it (21617) and every page it carried
    failed. Each text stays within a few segments; the rest follow, none dropped."""
    for n in range(14):
        response = pager.desk.slack.command(f"sev1 checkout 🔥 down in shard {n}", channel=ACME)
        assert response.status_code == 200, response.text
    pager.desk.drain()
    for _ in range(5):  # the throttle lets one text a minute go
        pager.desk.travel(timedelta(seconds=61))

    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())
    texts = [m["body"] for m in pager.twilio.messages(to=EMEA_L1[primary])]
    assert texts and all(segments(t) <= 5 for t in texts), [segments(t) for t in texts]
    with pager.desk.rt.session() as session:
        codes = list(session.scalars(select(Escalation.ack_code)))
        failed = session.scalars(select(Page).where(Page.state == "failed")).all()
    assert len(codes) == 14 and not failed, [(p.id, p.last_error) for p in failed]
    for code in codes:
        assert any(f"Reply {code} to acknowledge" in t for t in texts), (code, texts)
