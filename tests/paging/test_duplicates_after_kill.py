"""A worker killed between Twilio's answer and the commit: the page is not sent twice.

The kill is reproduced with the product's own steps, stopped where a SIGKILL would stop
them: the real claim (``outbox._claim``, which leaves the row ``sending``), then, for a kill
after Twilio answered, the real ``TwilioSender`` sending that attempt to the Twilio
stand-in, and nothing recorded. The queued jobs die with the worker (Redis is flushed). The
reconciler re-drives the row after its 15 s sending deadline; before sending again the
outbox asks Twilio (messages to the number carrying the page's text, calls to the number
since the page was created) and adopts what it finds.

Twenty seeded runs, each with its own kill point for the SMS and for the call (before the
claim, after the claim, after Twilio answered, after the commit): every one must end with
exactly one SMS and one call at Twilio, and the row holding their sids.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from supportbot.db.models import Escalation, Page
from supportbot.paging import outbox
from supportbot.reconciler import reconcile_once
from tests.paging.conftest import EMEA_L1, TUESDAY_10_DUBLIN, Pager, emea_l1_on

ACME = "C0ACMESHARED"
KILL_POINTS = ("none", "after_claim", "after_twilio", "after_commit")


def kill_send(pager: Pager, page_id: int, point: str) -> None:
    """Send page ``page_id`` as a worker would, killed at ``point``."""
    rt = pager.desk.rt
    if point == "after_commit":
        assert outbox.send(rt, page_id) == "sent"
        return
    if point == "none":  # killed before it claimed anything
        return
    with rt.session() as session:
        attempt = outbox._claim(session, rt, page_id)
    assert isinstance(attempt, outbox.Attempt), attempt
    if point == "after_twilio":
        if attempt.channel == "sms":
            rt.pager.send_sms(attempt.to, attempt.body, attempt.callbacks)
        else:
            rt.pager.place_call(attempt.to, attempt.callbacks)


@pytest.mark.parametrize("seed", range(20))
def test_a_page_killed_mid_send_reaches_twilio_exactly_once(pager: Pager, seed: int) -> None:
    rng = random.Random(seed)
    rt = pager.desk.rt
    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())
    number = EMEA_L1[primary]
    # Twilio refuses at first, so the pages wait, owed, and the kill can be placed exactly.
    pager.twilio.set_down(True, "Messages.create")
    pager.twilio.set_down(True, "Calls.create")
    response = pager.desk.slack.command("sev1 checkout down for everyone", channel=ACME)
    assert response.status_code == 200, response.text
    pager.desk.drain()
    pager.twilio.set_down(False, "Messages.create")
    pager.twilio.set_down(False, "Calls.create")
    assert pager.twilio.messages() == [] and pager.twilio.voice_calls() == []
    with rt.session() as session:
        code = session.scalars(select(Escalation.ack_code)).one()
        pages = {
            p.channel: p.id
            for p in session.scalars(select(Page).where(Page.to_number == number))
            if p.state == "pending"
        }
    assert set(pages) == {"sms", "voice"}, pages
    rt.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]  # past any backoff

    points = {channel: rng.choice(KILL_POINTS) for channel in pages}
    for channel, page_id in pages.items():
        kill_send(pager, page_id, points[channel])
    rt.redis.flushdb()  # the dead worker's jobs are gone with it

    rt.clock.advance(timedelta(seconds=16))  # type: ignore[attr-defined]  # past the deadline
    reconcile_once(rt)
    pager.desk.drain()
    pager.desk.travel(timedelta(seconds=20))

    sms = [m for m in pager.twilio.messages(to=number) if code in m["body"]]
    calls = pager.twilio.voice_calls(to=number)
    assert (len(sms), len(calls)) == (1, 1), (points, sms, calls)
    with rt.session() as session:
        sms_page = session.get_one(Page, pages["sms"])
        call_page = session.get_one(Page, pages["voice"])
        assert (sms_page.state, sms_page.provider_sid) == ("sent", sms[0]["sid"]), points
        assert (call_page.state, call_page.provider_sid) == ("sent", calls[0]["sid"]), points


@pytest.mark.parametrize("first", ["host", "rider"])
def test_a_bundle_killed_after_twilio_answered_is_adopted_not_resent(
    pager: Pager, first: str
) -> None:
    """Two Sev1s' SMS to one person travel as one bundle; its worker dies after Twilio took
    it. Whichever page is re-driven first carries the other and adopts the bundle."""
    rt = pager.desk.rt
    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())
    number = EMEA_L1[primary]
    pager.twilio.set_down(True, "Messages.create")
    pager.twilio.set_down(True, "Calls.create")
    for summary in ("checkout down", "payments down"):
        response = pager.desk.slack.command(f"sev1 {summary}", channel=ACME)
        assert response.status_code == 200, response.text
        pager.desk.drain()
    pager.twilio.set_down(False, "Messages.create")
    pager.twilio.set_down(False, "Calls.create")
    with rt.session() as session:
        codes = list(session.scalars(select(Escalation.ack_code).order_by(Escalation.id)))
        sms = list(
            session.scalars(
                select(Page.id).where(
                    Page.to_number == number, Page.channel == "sms", Page.state == "pending"
                )
            )
        )
    assert len(codes) == 2 and len(sms) == 2, (codes, sms)
    rt.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    with rt.session() as session:
        attempt = outbox._claim(session, rt, sms[0])
    assert isinstance(attempt, outbox.Attempt) and len(attempt.bodies) == 2, attempt
    rt.pager.send_sms(attempt.to, attempt.body, attempt.callbacks)  # then the worker dies
    rt.redis.flushdb()

    rt.clock.advance(timedelta(seconds=16))  # type: ignore[attr-defined]
    reconcile_once(rt)  # the host back to pending, its rider owed on its own
    order = sms if first == "host" else sms[::-1]
    outcomes = [outbox.send(rt, page_id) for page_id in order]
    assert outcomes == ["adopted", "stale"], outcomes
    pager.desk.travel(timedelta(seconds=20))

    bundles = [m for m in pager.twilio.messages(to=number) if codes[0] in m["body"]]
    assert len(bundles) == 1 and codes[1] in bundles[0]["body"], pager.twilio.messages()
    assert [m for m in pager.twilio.messages(to=number) if codes[1] in m["body"]] == bundles
