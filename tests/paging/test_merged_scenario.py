"""The merged features together, as a script: a Severity 1 for a pack customer (Initech) is
acknowledged by SMS, handed over, its acknowledgement expires and is released, and it is
resolved. The pack is charged once; the customer's thread gets only what is meant for them,
the resolution before the CSAT question, each once; the RCA draft stays internal.

Tuesday 24 November 2026, 10:00 in Dublin (EMEA holds the pager).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from supportbot.clock import TravelClock
from supportbot.db.ledger import LedgerEntry
from supportbot.db.models import Escalation, Incident
from supportbot.desk import actions
from supportbot.incidents.access import Actor
from tests.paging.conftest import EMEA_L1, EMEA_L1_SLACK, TUESDAY_10_DUBLIN, Pager, emea_l1_on
from tests.support.records import everything_sent_to, thread

INITECH, PETER = "C0INITECH", "U0INITECHPETER"
PRIMARY, SECONDARY = emea_l1_on(TUESDAY_10_DUBLIN.date())
HOSTILE = "<!channel> <@U0SOMEONE1> <https://evil.example|x>"


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(TUESDAY_10_DUBLIN)


def test_sev1_pack_customer_handed_over_released_and_resolved(pager: Pager) -> None:
    desk = pager.desk
    desk.slack.command(f"sev1 site down {HOSTILE}", user=PETER, channel=INITECH)
    desk.drain()
    with desk.rt.session() as session:
        code = session.scalars(select(Escalation.ack_code)).first()
    assert code is not None
    assert "Acknowledged INC-1" in pager.reply(EMEA_L1[PRIMARY], code)[1]
    desk.drain()
    handover = f"handover INC-1 <@{EMEA_L1_SLACK[SECONDARY]}> replicas failing over {HOSTILE}"
    desk.slack.command(handover, user=EMEA_L1_SLACK[PRIMARY])
    desk.drain()

    desk.travel(timedelta(minutes=31))  # reminded
    desk.travel(timedelta(minutes=11))  # released: open, unassigned, paging resumes
    with desk.rt.session() as session:
        incident = session.get_one(Incident, 1)
        assert (incident.status, incident.assignee) == ("open", None)
    actions.resolve(desk.rt, 1, Actor.staff_member("U0STAFF001"), "failed over to the replica")
    desk.drain()
    desk.travel(timedelta(minutes=40))

    with desk.rt.session() as session:
        incident = session.get_one(Incident, 1)
        entries = session.scalars(select(LedgerEntry)).all()
        triage_ts, customer_ts = incident.card_ts, incident.customer_thread_ts
    assert [(e.kind, e.quantity) for e in entries] == [("charge", 1)]  # charged once
    assert triage_ts and customer_ts

    customer = thread(desk.api, INITECH, customer_ts)
    resolved = [i for i, t in enumerate(customer) if "resolved: failed over" in t]
    asked = [i for i, t in enumerate(customer) if "How did we do?" in t]
    assert len(resolved) == 1 and len(asked) == 1 and resolved[0] < asked[0], customer
    everything = everything_sent_to(desk.api, INITECH)
    for internal in ("handed", "replicas failing over", "Root cause", "Paging", "un-acknowledged",
                     "expired", "L3", "customer update was due"):  # fmt: skip
        assert internal not in everything, internal
    for live in ("<!channel>", "<@U0SOMEONE1>", "<https://evil"):
        assert live not in everything, live

    internal = thread(desk.api, "C0TRIAGE01", triage_ts)
    [draft] = [t for t in internal if "Root cause analysis (draft)" in t]
    # The draft's timeline has the handover and the expiry, not only the pages around them.
    assert "· _handover_ · :handshake: @U0EMEA0001 handed INC-1 over to @U0EMEA0002" in draft
    assert "· _ack expired_ · :hourglass: Acknowledgement by @U0EMEA0002 expired" in draft
    assert sum(t.startswith(":handshake:") for t in internal) == 1
    assert sum(t.startswith(":rewind: INC-1 un-acknowledged") for t in internal) == 1
    assert sum(t.startswith(":hourglass: Acknowledgement by") for t in internal) == 1
    assert internal.index(next(t for t in internal if "resolved:" in t)) < internal.index(
        next(t for t in internal if "Root cause analysis (draft)" in t)
    )
