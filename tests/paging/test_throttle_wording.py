"""What Slack says about a page the per-number throttle holds back, as a script: two Sev1s
within the minute to the same on-call phone. The second incident's thread must not read as
if the person had been texted or called; it says the page is held and until when, and says
so again when it really goes, at the instant Twilio received it."""

from __future__ import annotations

from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from sqlalchemy import select

from supportbot.db.models import Incident, Page
from tests.paging.conftest import EMEA_L1, TUESDAY_10_DUBLIN, Pager, emea_l1_on
from tests.paging.test_paging_edges import open_sev1
from tests.support.slack_requests import TRIAGE

PRIMARY = EMEA_L1[emea_l1_on(TUESDAY_10_DUBLIN.date())[0]]
SENT_WORDS = ("was sent", "was placed", "texted", "called", "paged ")


def thread(pager: Pager, incident_id: int) -> list[str]:
    with pager.desk.rt.session() as session:
        card_ts = session.get_one(Incident, incident_id).card_ts
    assert card_ts, "the card was never posted"
    posts = pager.desk.api.messages(channel=TRIAGE, thread_ts=card_ts)
    return [m["text"] for m in posts if m["method"] == "chat.postMessage"]


def page_of(pager: Pager, incident_id: int, channel: str) -> Page:
    with pager.desk.rt.session() as session:
        return session.scalars(
            select(Page).where(Page.incident_id == incident_id, Page.channel == channel)
        ).one()


def received(resources: list[dict[str, object]], key: str) -> list[datetime]:
    """When Twilio took each resource carrying ``key`` (the stand-in runs on the desk's clock)."""
    return [parsedate_to_datetime(str(r["date_created"])) for r in resources
            if key in str(r.get("body", "")) or key == "*"]  # fmt: skip


def clock(at: datetime) -> str:
    return f"{at:%H:%M:%S} GMT"  # Dublin is on GMT in November


def test_a_page_held_by_the_throttle_says_so_and_until_when_then_when_it_went(
    pager: Pager,
) -> None:
    open_sev1(pager, "checkout down for everyone")
    pager.desk.travel(timedelta(seconds=10))
    open_sev1(pager, "payments API returning 500s")

    # Held: Twilio has only INC-1's SMS and call.
    assert ["INC-1" in m["body"] for m in pager.twilio.messages(to=PRIMARY)] == [True]
    assert len(pager.twilio.voice_calls(to=PRIMARY)) == 1
    sms, call = page_of(pager, 2, "sms"), page_of(pager, 2, "voice")
    assert sms.state == call.state == "pending" and sms.sent_at is None
    now = pager.desk.rt.now()
    assert sms.next_attempt_at > now and call.next_attempt_at > now
    before = thread(pager, 2)
    held = [t for t in before if "held by the per-number throttle" in t]
    assert len(held) == 2, before
    sms_held = next(t for t in held if "SMS page" in t)
    call_held = next(t for t in held if "call to" in t)
    assert f"goes at Tue 24 Nov {clock(sms.next_attempt_at)}" in sms_held
    assert f"goes at Tue 24 Nov {clock(call.next_attempt_at)}" in call_held
    assert not [t for t in before if any(w in t for w in SENT_WORDS)], before

    pager.desk.travel(timedelta(seconds=60))  # 10:01:10: past the gap

    sms, call = page_of(pager, 2, "sms"), page_of(pager, 2, "voice")
    assert sms.state == call.state == "sent" and sms.sent_at and call.sent_at
    assert sms.sent_at >= sms.next_attempt_at and call.sent_at >= call.next_attempt_at
    texts = received(pager.twilio.messages(to=PRIMARY), "INC-2")
    assert len(texts) == 1 and texts[0] >= sms.next_attempt_at.replace(microsecond=0)
    calls = received(pager.twilio.voice_calls(to=PRIMARY), "*")
    assert len(calls) == 2 and calls[1] >= call.next_attempt_at.replace(microsecond=0)
    after = thread(pager, 2)[len(before) :]
    assert len(after) == 2, after
    sent_line = next(t for t in after if "SMS page" in t)
    placed_line = next(t for t in after if "call to" in t)
    assert f"was sent at Tue 24 Nov {clock(sms.sent_at)}" in sent_line
    assert f"was placed at Tue 24 Nov {clock(call.sent_at)}" in placed_line
    # INC-1 was never held: its thread says nothing of the throttle.
    assert not [t for t in thread(pager, 1) if "throttle" in t]
