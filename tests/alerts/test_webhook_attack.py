"""The Alertmanager webhook attacked with real payload shapes: Go's zero time where a time is
owed, a more severe alert flapping back within the hold-down, and integration keys too long
for the columns that name them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from supportbot.alerts.integrations import load_integrations
from supportbot.contracts.customers import Contracts
from supportbot.datafiles import DataFileError
from supportbot.db.models import Alert, Incident, TimelineEvent
from supportbot.incidents.access import Actor
from tests.alerts.conftest import TUESDAY_10_DUBLIN, Monitor, am_alert, am_payload
from tests.paging.conftest import EMEA_L1, emea_l1_on

PRIMARY = EMEA_L1[emea_l1_on(TUESDAY_10_DUBLIN.date())[0]]
ZERO = "0001-01-01T00:00:00Z"  # Go's zero time.Time, as Go senders write "no time"


def test_a_resolution_with_the_zero_end_time_still_resolves(monitor: Monitor) -> None:
    """Taken as an instant, a resolution "ended" 2,000 years before the alert started: it
    was ignored as a late copy, the incident stayed open and kept paging."""
    monitor.fire("prometheus", am_payload([am_alert("a1")]))
    done = am_alert("a1", status="resolved")
    assert done["endsAt"] == ZERO

    assert monitor.fire("prometheus", am_payload([done]))["action"] == "resolved"

    assert monitor.incident().status == "resolved"
    with monitor.rt.session() as session:
        ended = session.scalars(select(Alert.ends_at)).one()
    assert ended is not None and ended.year > 2000


def test_a_new_resolved_alert_with_the_zero_end_time_records_a_real_time(
    monitor: Monitor,
) -> None:
    monitor.fire("prometheus", am_payload([am_alert("b1", status="resolved")]))
    with monitor.rt.session() as session:
        ended, seen = session.execute(select(Alert.ends_at, Alert.first_seen_at)).one()
    assert ended == seen  # when it was heard of, not "no time"


def test_a_generic_resolve_dated_with_the_zero_time_still_resolves(monitor: Monitor) -> None:
    trigger = {"summary": "api down", "dedup_key": "api", "severity": "critical"}
    monitor.fire("generic", trigger)
    body = monitor.fire("generic", {"dedup_key": "api", "action": "resolve", "timestamp": ZERO})
    assert body["action"] == "noted"  # the generic integration's auto_resolve: note
    assert any("All 1 alert(s) resolved" in text for text in monitor.timeline())


def test_a_more_severe_alert_flapping_back_within_the_hold_down_raises_and_pages(
    monitor: Monitor,
) -> None:
    """Re-opened within the hold-down, the incident kept its Sev3 and a critical alert that
    joined it paged nobody; joining an open incident, the same alert raises it to Sev1."""
    monitor.fire("prometheus", am_payload([am_alert("w1", severity="warning")]))
    ended = TUESDAY_10_DUBLIN + timedelta(minutes=1)
    warning_done = am_alert("w1", severity="warning", status="resolved", ends=ended)
    assert monitor.fire("prometheus", am_payload([warning_done]))["action"] == "resolved"
    monitor.pager.desk.travel(timedelta(minutes=3))
    critical = am_alert("c1", starts=monitor.rt.now() - timedelta(seconds=10))

    body = monitor.fire("prometheus", am_payload([warning_done, critical]))

    assert body["action"] == "reopened" and monitor.count(Incident) == 1
    incident = monitor.incident()
    assert incident.severity == 1 and incident.status == "open"
    assert any("raised severity Sev3 Medium → Sev1 Critical" in t for t in monitor.timeline())
    sms = monitor.pager.twilio.messages(to=PRIMARY)
    assert len(sms) == 1 and "INC-1" in sms[0]["body"]


def _one_integration(tmp_path: Path, key: str) -> Path:
    path = tmp_path / "integrations.yaml"
    path.write_text(
        f"integrations:\n  - key: {key}\n    name: P\n    format: alertmanager\n"
        f"    token_sha256: {'c' * 64}\n"
    )
    return path


def test_an_integration_key_too_long_for_its_actor_is_refused_with_its_line(
    tmp_path: Path,
) -> None:
    """The key names the integration's actor, ``alerts:<key>``, in 50-character columns (the
    incident's reporter, the timeline's actor): a 63-character key loaded, then every
    incident it opened failed on PostgreSQL, a 503 that Alertmanager retries for ever."""
    columns = (Incident.__table__.c.reporter.type.length,
               TimelineEvent.__table__.c.actor.type.length)  # fmt: skip
    longest = "p" * 43
    load_integrations(_one_integration(tmp_path, longest), Contracts())
    assert all(len(Actor.integration(longest).user_id) <= n for n in columns)

    path = _one_integration(tmp_path, longest + "x")
    with pytest.raises(DataFileError, match=r":2: integrations\[0\].key: key must be up to 43"):
        load_integrations(path, Contracts())
