"""A call whose request timed out is looked for in Twilio before it is placed again.

Twilio (the stand-in) places the call but holds its answer past the client's timeout. The
attempt fails as "unreachable" and is retried; the retry asks Twilio for a call to the number
within the timed-out attempt's window, finds it and adopts it: one call, not two. Before,
a call kept no window after a timeout and was placed again blind.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from supportbot.clients.pager import TwilioSender
from supportbot.db.models import Page
from tests.paging.conftest import EMEA_L1, TUESDAY_10_DUBLIN, Pager, emea_l1_on

ACME = "C0ACMESHARED"


def test_a_timed_out_call_is_adopted_not_placed_twice(pager: Pager) -> None:
    rt = pager.desk.rt
    rt.pager = TwilioSender(rt.settings, timeout=0.3)  # the stand-in holds replies for 1 s
    number = EMEA_L1[emea_l1_on(TUESDAY_10_DUBLIN.date())[0]]
    pager.twilio.inject("Calls.create", "timeout")  # placed, but the answer comes too late

    assert pager.desk.slack.command("sev1 checkout down", channel=ACME).status_code == 200
    pager.desk.drain()
    with rt.session() as session:
        call = session.scalars(select(Page).where(Page.channel == "voice")).one()
        assert call.state == "pending" and "unreachable" in (call.last_error or "")
        assert call.deadline_at is not None  # the timed-out attempt's window is kept
    assert len(pager.twilio.voice_calls(to=number)) == 1  # Twilio did place it

    pager.desk.travel(timedelta(seconds=30))  # past the retry's backoff
    calls = pager.twilio.voice_calls(to=number)
    assert len(calls) == 1, calls  # adopted, not placed again
    with rt.session() as session:
        call = session.scalars(select(Page).where(Page.channel == "voice")).one()
        assert (call.state, call.provider_sid) == ("sent", calls[0]["sid"])
        assert call.deadline_at is None
    sms = pager.twilio.messages(to=number)
    assert len(sms) == 1  # the SMS went once, untouched by the call's trouble
