"""A Severity 1 still unacknowledged when its region goes off shift is paged in the next."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from supportbot.clock import TravelClock
from supportbot.db.models import Escalation
from supportbot.reconciler import reconcile_once
from tests.paging.conftest import EMEA_L1, Pager, emea_l1_on

# Americas L1 rotates daily at 08:00 Chicago from 2025-01-06 through ana, ben, carla.
AMERICAS_L1 = {"ana": "+15125550101", "ben": "+15125550102", "carla": "+15125550103"}
BEFORE_HANDOFF = datetime(2026, 11, 24, 13, 50, tzinfo=UTC)  # Americas starts 14:00 UTC


def americas_l1_on(day: date) -> str:
    return list(AMERICAS_L1)[(day - date(2025, 1, 6)).days % 3]


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(BEFORE_HANDOFF, ticking=True)


def test_unacknowledged_sev1_is_handed_to_the_incoming_region(pager: Pager) -> None:
    reconcile_once(pager.desk.rt)  # the announcer starts counting from here
    pager.desk.slack.command("sev1 checkout down", channel="C0ACMESHARED")
    pager.desk.drain()
    emea, _ = emea_l1_on(BEFORE_HANDOFF.date())
    assert len(pager.twilio.messages(to=EMEA_L1[emea])) == 1

    pager.desk.travel(timedelta(minutes=10, seconds=30))  # 14:00:30: Americas takes the pager
    americas = americas_l1_on(BEFORE_HANDOFF.date())
    sms = pager.twilio.messages(to=AMERICAS_L1[americas])
    assert len(sms) == 1, [m["to"] for m in pager.twilio.messages()]
    with pager.desk.rt.session() as session:
        assert session.scalar(select(Escalation.region)) == "Americas"
    oncall_posts = [m.get("text", "") for m in pager.desk.api.messages(channel="C0ONCALL01")]
    assert any("Americas" in t and "INC-1" in t for t in oncall_posts), oncall_posts

    # Another reconciler pass re-pages nobody: each handoff is handled once.
    pager.desk.travel(timedelta(seconds=20))
    assert len(pager.twilio.messages(to=AMERICAS_L1[americas])) == 1

    # The incoming person acknowledges with the code.
    with pager.desk.rt.session() as session:
        code = session.scalar(select(Escalation.ack_code))
    status, body = pager.reply(AMERICAS_L1[americas], code)
    assert "Acknowledged INC-1" in body
