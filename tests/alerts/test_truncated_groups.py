"""A storm bigger than the receiver's ``max_alerts``: the group resolves as a whole.

Alertmanager sends at most ``max_alerts`` alerts of a group and counts the rest in
``truncatedAlerts``; which ones are sent shifts as the storm changes. Alerts stored as firing
from one delivery and cut from the resolving one were never resolved, so the incident never
resolved and kept its pages going. A notification whose group ``status`` is ``resolved``
says every alert of the group is (Alertmanager's own rule: firing while any alert fires).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from supportbot.db.models import Alert
from tests.alerts.conftest import TUESDAY_10_DUBLIN, Monitor, am_alert, am_payload

ENDED = TUESDAY_10_DUBLIN - timedelta(seconds=30)


def _cut(alerts: list[dict[str, Any]], hidden: int) -> dict[str, Any]:
    body = am_payload(alerts)
    body["truncatedAlerts"] = hidden
    return body


def _firing(monitor: Monitor) -> set[str]:
    with monitor.rt.session() as session:
        return set(session.scalars(select(Alert.fingerprint).where(Alert.status == "firing")))


def test_alerts_cut_from_the_resolving_delivery_are_resolved_with_their_group(
    monitor: Monitor,
) -> None:
    # The storm: five firing, three sent at a time, a different three the second time.
    monitor.fire("prometheus", _cut([am_alert(f) for f in ("a1", "a2", "a3")], hidden=2))
    monitor.fire("prometheus", _cut([am_alert(f) for f in ("a3", "a4", "a5")], hidden=2))
    assert _firing(monitor) == {"a1", "a2", "a3", "a4", "a5"}

    # Over: the group resolved, three listed, two cut.
    done = [am_alert(f, status="resolved", ends=ENDED) for f in ("a1", "a2", "a3")]
    body = _cut(done, hidden=2)
    assert body["status"] == "resolved"
    answer = monitor.fire("prometheus", body)

    assert _firing(monitor) == set()
    assert answer["action"] == "resolved", answer
    assert monitor.incident().status == "resolved"
    with monitor.rt.session() as session:
        ends = {p: at for p, at in session.execute(select(Alert.fingerprint, Alert.ends_at))}
    assert ends["a4"] == ends["a5"] == ENDED  # the notification's own end, not its arrival


def test_a_late_resolving_copy_leaves_an_alert_that_started_after_it_firing(
    monitor: Monitor,
) -> None:
    monitor.fire("prometheus", _cut([am_alert(f) for f in ("a1", "a2")], hidden=1))
    # a3 started after the end the resolving notification reports: that notification is an
    # older copy (the other Alertmanager of an HA pair, or a retry) and does not cover it.
    later = am_alert("a3", starts=ENDED + timedelta(seconds=10))
    monitor.fire("prometheus", _cut([later], hidden=0) | {"status": "firing"})

    done = [am_alert(f, status="resolved", ends=ENDED) for f in ("a1", "a2")]
    monitor.fire("prometheus", _cut(done, hidden=1))

    assert _firing(monitor) == {"a3"}
    assert monitor.incident().status != "resolved"


def test_a_firing_group_resolves_only_the_alerts_it_lists(monitor: Monitor) -> None:
    monitor.fire("prometheus", _cut([am_alert(f) for f in ("a1", "a2", "a3")], hidden=0))
    # One resolved and listed; the group still fires (status firing): the others stay.
    body = _cut([am_alert("a1", status="resolved", ends=ENDED), am_alert("a2")], hidden=1)
    assert body["status"] == "firing"
    monitor.fire("prometheus", body)
    assert _firing(monitor) == {"a2", "a3"}
