"""Two workers that both saw a timer "pending" cannot both fire it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from supportbot.db.claims import claim
from supportbot.db.models import SlaTimer
from supportbot.desk import intake
from supportbot.runtime import Runtime


def test_only_one_of_two_connections_wins_a_claim(rt: Runtime) -> None:
    customer = rt.contracts.by_key("acme")
    incident = intake.open_incident(
        rt, title="claims", severity=2, reporter="U0X", customer=customer
    )
    with rt.session() as session:
        timer_id = session.scalars(
            select(SlaTimer.id).where(SlaTimer.incident_id == incident.id)
        ).first()
    assert timer_id is not None
    # Two separate connections, as two worker processes would have.
    first, second = rt.sessions(), rt.sessions()
    try:
        seen = [s.get_one(SlaTimer, timer_id).state for s in (first, second)]
        assert seen == ["pending", "pending"]  # both read it as owed
        now = rt.now() + timedelta(minutes=1)
        won_first = claim(first, SlaTimer, timer_id, "pending", state="fired", fired_at=now)
        first.commit()
        won_second = claim(second, SlaTimer, timer_id, "pending", state="fired", fired_at=now)
        second.commit()
    finally:
        first.close()
        second.close()
    assert (won_first, won_second) == (True, False)
    with rt.session() as session:
        assert session.get_one(SlaTimer, timer_id).state == "fired"
