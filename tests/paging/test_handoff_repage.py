"""A Severity 1 still unacknowledged when its region goes off shift is paged in the next."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from supportbot.clock import TravelClock
from supportbot.db.models import Escalation, Page
from supportbot.reconciler import reconcile_once
from tests.paging.conftest import EMEA_L1, Pager, emea_l1_on
from tests.support.records import timeline

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


def _people_paged(pager: Pager, after: datetime | None = None) -> set[str]:
    with pager.desk.rt.session() as session:
        pages = session.scalars(select(Page)).all()
    return {p.person for p in pages if after is None or p.created_at > after}


def test_a_customer_served_by_its_language_region_is_not_handed_on_at_the_general_handoff(
    pager: Pager,
) -> None:
    """Globex speaks German: EMEA serves it while EMEA is on shift, whoever holds the
    general pager. At 14:00 the general pager goes to the Americas; Globex's Sev1 stays
    with EMEA (its policy's steps page there) and nobody in the Americas is woken for it."""
    reconcile_once(pager.desk.rt)
    pager.desk.slack.command("sev1 ERP sync down", channel="C0GLOBEX")
    pager.desk.drain()

    pager.desk.travel(timedelta(minutes=10, seconds=30))  # 14:00:30

    assert not _people_paged(pager) & set(AMERICAS_L1)
    with pager.desk.rt.session() as session:
        assert session.scalar(select(Escalation.region)) == "EMEA"


@pytest.mark.parametrize("clock", [TravelClock(datetime(2026, 11, 24, 19, 57, tzinfo=UTC))])
def test_a_customer_served_by_its_language_region_is_handed_on_when_that_region_leaves(
    pager: Pager,
) -> None:
    """At 20:00 EMEA goes off shift; the general pager has been in the Americas since
    14:00, so there is no general handoff then. Globex's unacknowledged Sev1 is handed to
    the Americas at once all the same, not at its policy's next step."""
    reconcile_once(pager.desk.rt)
    pager.desk.slack.command("sev1 ERP sync down", channel="C0GLOBEX")
    pager.desk.drain()
    eight = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)
    assert not _people_paged(pager) & set(AMERICAS_L1)

    pager.desk.travel(timedelta(minutes=3, seconds=30))  # 20:00:30

    americas = americas_l1_on(eight.date())
    assert americas in _people_paged(pager, after=eight)
    with pager.desk.rt.session() as session:
        assert session.scalar(select(Escalation.region)) == "Americas"
    handed = [
        e.text for e in timeline(pager.desk.rt, 1) if "went off shift" in e.text
    ]  # fmt: skip
    assert len(handed) == 1 and "EMEA went off shift with INC-1 unacknowledged" in handed[0]
    assert "handed to Americas" in handed[0]
