"""An exhausted pack under each policy of the contract, the notices at 80 % and at zero
(once each), and a Severity 1 site-down with no balance, worked at once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from supportbot.db.ledger import LedgerEntry
from supportbot.db.models import Notification, SlaClock
from supportbot.desk import actions
from supportbot.incidents.access import Actor
from supportbot.reports.monthly import statements
from supportbot.reports.records import parse_month
from tests.conftest import Desk
from tests.plans.conftest import INITECH_CHANNEL, INITECH_PETER
from tests.support.records import answer, dump, incident, timeline
from tests.support.slack_requests import STAFF, TRIAGE


def say(desk: Desk, text: str, **kwargs: str) -> str:
    return answer(desk.slack.command(text, **kwargs))


def use_up_the_pack(desk: Desk) -> None:
    """1 turnover + 6 (a 2 h 40 min appointment) + 3 (70 min) = the 10 incidents bought."""
    say(desk, "sev3 printers offline", channel=INITECH_CHANNEL, user=INITECH_PETER)
    say(desk, "appointment INC-1 2h40m")
    assert say(desk, "appointment INC-1 70m").endswith("Pack: 0 of 10 left")


def notices(desk: Desk) -> list[tuple[str, str]]:
    with desk.rt.session() as session:
        rows = session.scalars(
            select(Notification).where(Notification.kind == "plan").order_by(Notification.id)
        )
        return [(n.recipient, n.text) for n in rows]


def overage(desk: Desk) -> list[tuple[int, int, Decimal | None]]:
    with desk.rt.session() as session:
        rows = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "overage"))
        return [(e.incident_id or 0, e.quantity, e.amount) for e in rows]


def test_the_80_percent_and_exhausted_notices_go_out_once(desk: Desk) -> None:
    use_up_the_pack(desk)
    say(desk, "sev3 another one", channel=INITECH_CHANNEL, user=INITECH_PETER)
    said = [
        "Initech: Pack: 0 of 10 left (100 % used; noticed on INC-1).",
        "Initech: Pack: 0 of 10 left (used up; noticed on INC-1).",
    ]
    assert notices(desk) == [
        (TRIAGE, said[0]), (INITECH_PETER, said[0]), (TRIAGE, said[1]), (INITECH_PETER, said[1]),
    ]  # fmt: skip
    desk.drain()
    assert said[1] in [m["text"] for m in desk.api.messages(channel=INITECH_PETER)]


@pytest.mark.parametrize("policy", ["warn"])
def test_warn_opens_and_flags_the_extra_incident_for_billing(desk: Desk) -> None:
    use_up_the_pack(desk)
    said = say(desk, "sev3 scanner jams", channel=INITECH_CHANNEL, user=INITECH_PETER)
    assert said.startswith("Opened *INC-2* for Initech")
    assert said.endswith("Pack: 0 of 10 left, 1 over")
    assert overage(desk) == [(2, 1, None)]
    assert incident(desk.rt, 2).status == "open"
    [flag] = [e.text for e in timeline(desk.rt, 2) if e.kind == "overage"]
    assert flag == "Beyond the incident pack balance: 1 incident (flagged for billing)"


@pytest.mark.parametrize("policy", ["bill"])
def test_bill_opens_and_charges_the_overage_rate(desk: Desk) -> None:
    use_up_the_pack(desk)
    say(desk, "sev3 scanner jams", channel=INITECH_CHANNEL, user=INITECH_PETER)
    assert overage(desk) == [(2, 1, Decimal("200.00"))]
    assert incident(desk.rt, 2).status == "open"
    [flag] = [e.text for e in timeline(desk.rt, 2) if e.kind == "overage"]
    assert flag == "Beyond the incident pack balance: 1 incident, billed 200.00 SGD"


@pytest.mark.parametrize("policy", ["hold"])
def test_hold_waits_for_a_designated_contact_then_bills(desk: Desk) -> None:
    use_up_the_pack(desk)
    said = say(desk, "sev3 scanner jams", channel=INITECH_CHANNEL, user=INITECH_PETER)
    assert said.endswith("Pack: 0 of 10 left · on hold for approval")
    held = incident(desk.rt, 2)
    assert held.status == "waiting_on_customer" and overage(desk) == []
    assert "waits for a designated contact's approval" in notices(desk)[-1][1]
    assert "Only a designated contact" in say(desk, "approve INC-2")  # staff cannot

    said = say(desk, "approve INC-2", channel=INITECH_CHANNEL, user=INITECH_PETER)
    assert said == "Approved: INC-2 is being worked."
    assert incident(desk.rt, 2).status == "investigating"
    assert overage(desk) == [(2, 1, Decimal("200.00"))]
    again = say(desk, "approve INC-2", channel=INITECH_CHANNEL, user=INITECH_PETER)
    assert again == ":warning: INC-2 is not waiting for an approval"


@pytest.mark.parametrize("policy", ["hold"])
def test_a_sev1_site_down_with_no_balance_is_worked_at_once_and_billed(desk: Desk) -> None:
    use_up_the_pack(desk)
    said = say(desk, "sev1 site down", channel=INITECH_CHANNEL, user=INITECH_PETER)
    assert said.startswith("Opened *INC-2* for Initech as Sev1 Critical")
    assert incident(desk.rt, 2).status == "open"  # not held
    assert overage(desk) == [(2, 1, Decimal("200.00"))]
    kinds = [e.kind for e in timeline(desk.rt, 2)]
    assert "plan_hold" in kinds and "paging" in " ".join(kinds)


@pytest.mark.parametrize("policy", ["hold"])
def test_a_held_request_resolved_meanwhile_cannot_be_approved(desk: Desk) -> None:
    """The customer's problem went away and staff resolved the held request; a contact's
    late `/incident approve` reopened it (investigating) and billed the overage for it."""
    use_up_the_pack(desk)
    say(desk, "sev3 scanner jams", channel=INITECH_CHANNEL, user=INITECH_PETER)
    say(desk, "sev3 toner low", channel=INITECH_CHANNEL, user=INITECH_PETER)
    actions.resolve(desk.rt, 2, Actor.staff_member(STAFF), "it cleared itself")
    actions.resolve(desk.rt, 3, Actor.staff_member(STAFF), "not needed")
    actions.close(desk.rt, 3, Actor.staff_member(STAFF))
    before = dump(desk.rt)

    said = say(desk, "approve INC-2", channel=INITECH_CHANNEL, user=INITECH_PETER)
    assert said == ":warning: INC-2 is resolved: it no longer waits for an approval"
    said = say(desk, "approve INC-3", channel=INITECH_CHANNEL, user=INITECH_PETER)
    assert said == ":warning: INC-3 is closed: it no longer waits for an approval"
    assert incident(desk.rt, 2).status == "resolved" and overage(desk) == []
    assert dump(desk.rt) == before


@pytest.mark.parametrize("policy", ["hold"])
def test_no_time_is_logged_on_a_held_request_before_its_approval(desk: Desk) -> None:
    """Held for an exhausted pack, the request waits for a contact to approve the extra
    charge; an appointment logged meanwhile billed 2 more incidents (400.00 SGD) that nobody
    at the customer had approved."""
    use_up_the_pack(desk)
    say(desk, "sev3 scanner jams", channel=INITECH_CHANNEL, user=INITECH_PETER)
    before = dump(desk.rt)
    waits = (
        ":warning: INC-2 waits for a designated contact's approval of an extra charge "
        "(`/incident approve INC-2`): no time can be logged on it until then"
    )
    assert say(desk, "appointment INC-2 30m") == waits
    assert say(desk, "time INC-2 30m") == waits
    assert say(desk, "timer start INC-2") == waits
    assert overage(desk) == [] and dump(desk.rt) == before

    say(desk, "approve INC-2", channel=INITECH_CHANNEL, user=INITECH_PETER)
    said = say(desk, "appointment INC-2 30m")
    assert "Beyond the incident pack balance: 2 incidents, billed 400.00 SGD" in said
    assert overage(desk) == [(2, 1, Decimal("200.00")), (2, 2, Decimal("400.00"))]


def _clocks(desk: Desk, incident_id: int) -> dict[str, str]:
    with desk.rt.session() as session:
        rows = session.scalars(select(SlaClock).where(SlaClock.incident_id == incident_id))
        return {c.kind: c.state for c in rows}


@pytest.mark.parametrize("policy", ["hold"])
def test_a_held_request_has_its_clocks_paused_until_approved(desk: Desk) -> None:
    """Held for the customer's approval, the request is waiting on the customer: both
    clocks stop from its opening (the README's promise). Before, they ran: fifteen days
    of waiting breached both targets and escalated it to L3 while nobody could work it."""
    use_up_the_pack(desk)
    say(desk, "sev3 scanner jams", channel=INITECH_CHANNEL, user=INITECH_PETER)
    desk.drain()
    assert _clocks(desk, 2) == {"response": "paused", "resolution": "paused"}

    desk.travel(timedelta(days=15))

    kinds = [e.kind for e in timeline(desk.rt, 2)]
    assert not [k for k in kinds if k.startswith(("breach", "sla_", "escalat"))], kinds
    assert incident(desk.rt, 2).level == "L1"
    say(desk, "approve INC-2", channel=INITECH_CHANNEL, user=INITECH_PETER)
    assert _clocks(desk, 2) == {"response": "running", "resolution": "running"}


@pytest.mark.parametrize("policy", ["hold"])
def test_a_late_approval_owes_no_response_credit(desk: Desk) -> None:
    """A Sev2 approved six days after it was held, answered at once: the wait was the
    customer's own, so December's statement owes nothing for its response."""
    use_up_the_pack(desk)
    say(desk, "sev2 scanner jams", channel=INITECH_CHANNEL, user=INITECH_PETER)
    desk.drain()
    desk.travel(timedelta(days=6))
    say(desk, "approve INC-2", channel=INITECH_CHANNEL, user=INITECH_PETER)
    assert say(desk, "reply INC-2 on it") == "Added to INC-2."

    with desk.rt.session() as session:
        (report,) = statements(
            session, desk.rt.contracts, parse_month("2026-12"), desk.rt.now(), "initech"
        )
    assert report.responses == ()
    assert _clocks(desk, 2)["response"] == "met"
