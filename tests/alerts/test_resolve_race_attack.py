"""An alert's "resolved" arriving while a person resolves the same incident by hand, at the
same instant, on PostgreSQL (DATABASE_URL), where the row locks decide. One of them resolves
it; the other is told, and Alertmanager gets its 200 (a 500 made it send again and logged a
traceback, and the alerts' own "resolved" was rolled back with it)."""

from __future__ import annotations

import random
from collections.abc import Callable

from sqlalchemy import select

from supportbot.db.models import Alert
from supportbot.desk import actions
from supportbot.incidents.access import Actor
from supportbot.incidents.find import IncidentError
from tests.alerts.conftest import Monitor, am_alert, am_payload
from tests.support.races import race

STAFF = Actor.staff_member("U0STAFF001")
ROUNDS = 12


def _by_hand(monitor: Monitor, number: int) -> Callable[[], str]:
    def run() -> str:
        try:
            actions.resolve(monitor.rt, number, STAFF, "rolled back the deploy")
        except IncidentError as exc:
            return f"refused: {exc}"
        return "resolved"

    return run


def test_an_alert_resolving_as_a_person_resolves_is_answered_200(monitor: Monitor) -> None:
    for n in range(1, ROUNDS + 1):
        monitor.fire("prometheus", am_payload([am_alert(f"fp{n}")], group=f"g{n}"))
    jitter = random.Random(3)
    for n in range(1, ROUNDS + 1):
        delays = [0.0, 0.0]
        delays[jitter.randrange(2)] = jitter.choice((0.0, 0.002, 0.01))
        resolved = am_payload([am_alert(f"fp{n}", status="resolved")], group=f"g{n}")
        sent, by_hand = race(
            [lambda body=resolved: monitor.post("prometheus", body), _by_hand(monitor, n)],
            delays,
        )
        assert sent.status_code == 200, (n, sent.status_code)  # type: ignore[attr-defined]
        action = sent.json()["action"]  # type: ignore[attr-defined]
        assert (action, by_hand) in (
            ("resolved", f"refused: INC-{n}: cannot move from resolved to resolved"),
            ("updated", "resolved"),  # the person first: the alert is recorded, no more
        ), (action, by_hand)
        monitor.pager.desk.drain()
        assert monitor.incident(n).status == "resolved"
        kinds = [e for e in monitor.timeline(n) if " resolved" in e and "Alerts:" not in e]
        assert len(kinds) == 1, kinds
        with monitor.rt.session() as session:
            states = session.scalars(select(Alert.status).where(Alert.fingerprint == f"fp{n}"))
            assert list(states) == ["resolved"]
