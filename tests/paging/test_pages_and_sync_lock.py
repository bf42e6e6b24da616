"""Pages never wait for a Slack sync lock, such as one a killed worker left behind.

A dead worker's per-incident sync lock lives until its TTL ends (``LOCK_SECONDS``, renewed
every ``RENEW_SECONDS`` only while its holder lives). Pages run on the urgent queue and never
take that lock: here a page to the incident goes out while the lock is still held, untouched.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from supportbot.db.models import Page
from supportbot.delivery import kinds
from supportbot.paging import outbox
from supportbot.slack import sync
from tests.paging.conftest import EMEA_L1, TUESDAY_10_DUBLIN, Pager, emea_l1_on

ACME = "C0ACMESHARED"


def test_page_jobs_are_urgent() -> None:
    assert kinds.PAGE_SEND.urgent and kinds.PAGE_STEP.urgent
    assert not kinds.SLACK_SYNC.urgent


def test_a_dead_workers_sync_lock_frees_within_seconds() -> None:
    assert sync.LOCK_SECONDS <= 10 and sync.RENEW_SECONDS * 3 <= sync.LOCK_SECONDS
    assert sync.WAIT_SECONDS <= sync.LOCK_SECONDS + 2


def test_a_page_goes_out_while_a_dead_workers_sync_lock_is_held(pager: Pager) -> None:
    rt = pager.desk.rt
    primary, _ = emea_l1_on(TUESDAY_10_DUBLIN.date())
    pager.twilio.set_down(True, "Messages.create")
    response = pager.desk.slack.command("sev1 checkout down for everyone", channel=ACME)
    assert response.status_code == 200, response.text
    pager.desk.drain()
    pager.twilio.set_down(False, "Messages.create")
    with rt.session() as session:
        page = session.scalars(select(Page).where(Page.channel == "sms")).one()
        page_id, incident_id = page.id, page.incident_id
    rt.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]  # past the backoff

    key = f"supportbot:lock:slack-sync:{incident_id}"
    rt.redis.set(key, "dead-worker-token", px=sync.LOCK_SECONDS * 1000)
    assert outbox.send(rt, page_id) == "sent"
    assert rt.redis.get(key) in (b"dead-worker-token", "dead-worker-token")  # never taken
    assert len(pager.twilio.messages(to=EMEA_L1[primary])) == 1
