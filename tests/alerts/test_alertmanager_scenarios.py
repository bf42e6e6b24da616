"""Alertmanager (webhook version 4) scenarios, as scripts: a group fires, time moves, this
SMS goes out, this line lands in the incident's thread."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from supportbot.db.models import Alert, Incident
from tests.alerts.conftest import TUESDAY_10_DUBLIN, Monitor, am_alert, am_payload
from tests.paging.conftest import EMEA_L1, emea_l1_on

PRIMARY = EMEA_L1[emea_l1_on(TUESDAY_10_DUBLIN.date())[0]]


def test_a_firing_group_opens_one_sev1_incident_and_pages(monitor: Monitor) -> None:
    body = monitor.fire("prometheus", am_payload([am_alert("a1", runbook_url="https://wiki/rb")]))
    assert body["action"] == "opened" and body["incident"] == "INC-1" and body["alerts"] == 1
    incident = monitor.incident()
    assert incident.severity == 1 and incident.status == "open"
    assert incident.reporter == "alerts:prometheus"
    assert "HighErrorRate" in incident.title
    sms = monitor.pager.twilio.messages(to=PRIMARY)
    assert len(sms) == 1 and "INC-1" in sms[0]["body"]
    card = monitor.card()
    assert "1 firing, 0 resolved" in card
    assert "<http://prometheus.internal:9090/graph?g0.expr=errors%7Bi%3D%22a1%22%7D|source>" in card
    assert "<https://wiki/rb|runbook>" in card
    assert "`alerts:prometheus` opened INC-1" in monitor.timeline()[0]


def test_a_repeat_changes_nothing_and_pages_nobody(monitor: Monitor) -> None:
    payload = am_payload([am_alert("a1"), am_alert("a2")])
    monitor.fire("prometheus", payload)
    before = (monitor.incident().version, len(monitor.sms()), len(monitor.pager.desk.api.calls()))
    monitor.pager.desk.travel(timedelta(minutes=1))  # past the throttle; nothing is owed
    before = (monitor.incident().version, len(monitor.sms()), len(monitor.pager.desk.api.calls()))
    for _ in range(3):  # Alertmanager's repeat_interval re-sends the firing group
        assert monitor.fire("prometheus", payload)["action"] == "unchanged"
    monitor.pager.desk.travel(timedelta(seconds=30))
    after = (monitor.incident().version, len(monitor.sms()), len(monitor.pager.desk.api.calls()))
    assert after == before
    assert monitor.count(Incident) == 1 and monitor.alerts() == 2


def test_a_new_fingerprint_posts_in_the_thread_and_pages_again_when_unacknowledged(
    monitor: Monitor,
) -> None:
    monitor.fire("prometheus", am_payload([am_alert("a1")]))
    monitor.pager.desk.travel(timedelta(minutes=2))  # step 1 paged; the throttle has passed
    sent = len(monitor.pager.twilio.messages(to=PRIMARY))
    body = monitor.fire("prometheus", am_payload([am_alert("a1"), am_alert("b2", name="Latency")]))
    assert body["action"] == "updated" and body["incident"] == "INC-1"
    assert monitor.count(Incident) == 1
    thread = "\n".join(monitor.thread())
    assert "*New* (1)" in thread and "Latency" in thread
    assert "1 new alert(s) joined INC-1, still unacknowledged" in thread
    assert len(monitor.pager.twilio.messages(to=PRIMARY)) == sent + 1
    assert "2 firing, 0 resolved" in monitor.card()


def test_a_new_fingerprint_after_an_acknowledgement_posts_but_pages_nobody(
    monitor: Monitor,
) -> None:
    monitor.fire("prometheus", am_payload([am_alert("a1")]))
    with monitor.rt.session() as session:
        code = session.scalars(select(Incident)).one()  # noqa: F841 - loaded for clarity
    status, _ = monitor.pager.reply(PRIMARY, "ack")
    assert status == 200 and monitor.incident().status == "acknowledged"
    monitor.pager.desk.travel(timedelta(minutes=2))
    sent = len(monitor.sms())
    monitor.fire("prometheus", am_payload([am_alert("a1"), am_alert("c3", name="DiskFull")]))
    assert "DiskFull" in "\n".join(monitor.thread())
    assert len(monitor.sms()) == sent
    assert monitor.incident().status == "acknowledged"


def test_a_more_severe_alert_raises_the_severity_and_starts_paging(monitor: Monitor) -> None:
    monitor.fire("prometheus", am_payload([am_alert("w1", severity="warning")]))
    assert monitor.incident().severity == 3 and monitor.sms() == []
    monitor.fire("prometheus", am_payload([am_alert("w1", severity="warning"), am_alert("c1")]))
    assert monitor.incident().severity == 1
    assert any("raised severity Sev3 Medium → Sev1 Critical" in t for t in monitor.timeline())
    assert len(monitor.pager.twilio.messages(to=PRIMARY)) == 1


def test_partial_then_full_resolve_resolves_the_incident(monitor: Monitor) -> None:
    monitor.fire("prometheus", am_payload([am_alert("a1"), am_alert("a2")]))
    monitor.pager.desk.travel(timedelta(minutes=1))
    ended = TUESDAY_10_DUBLIN + timedelta(seconds=30)
    partial = am_payload([am_alert("a1"), am_alert("a2", status="resolved", ends=ended)])
    assert monitor.fire("prometheus", partial)["action"] == "updated"
    assert monitor.incident().status == "open"
    assert "1 firing, 1 resolved" in monitor.card()
    assert "*Resolved* (1)" in "\n".join(monitor.thread())

    monitor.pager.desk.travel(timedelta(minutes=1))
    done = am_payload([am_alert(f, status="resolved", ends=ended) for f in ("a1", "a2")])
    assert monitor.fire("prometheus", done)["action"] == "resolved"
    incident = monitor.incident()
    assert incident.status == "resolved" and incident.resolved_at is not None
    assert incident.first_response_at is None  # a machine's resolve is no response by a person
    timeline = "\n".join(monitor.timeline())
    assert (
        "`alerts:prometheus` resolved INC-1: All 2 alert(s) resolved in Production Prometheus"
        in timeline
    )
    assert "Paging stopped" in timeline
    sent = len(monitor.sms())
    monitor.pager.desk.travel(timedelta(minutes=30))
    assert len(monitor.sms()) == sent  # the escalation stopped with the resolve


def _flap(monitor: Monitor, *, after: timedelta) -> dict[str, object]:
    ended = TUESDAY_10_DUBLIN + timedelta(minutes=1)
    monitor.fire("prometheus", am_payload([am_alert("a1", status="resolved", ends=ended)]))
    assert monitor.incident().status == "resolved"
    monitor.pager.desk.travel(after)
    again = am_alert("a1", starts=monitor.rt.now() - timedelta(seconds=20))
    return monitor.fire("prometheus", am_payload([again]))


def test_flapping_within_the_hold_down_reopens_and_keeps_the_acknowledgement(
    monitor: Monitor,
) -> None:
    monitor.fire("prometheus", am_payload([am_alert("a1")]))
    assert monitor.pager.reply(PRIMARY, "ack")[0] == 200
    monitor.pager.desk.travel(timedelta(minutes=1))
    sent = len(monitor.sms())
    assert _flap(monitor, after=timedelta(minutes=5))["action"] == "reopened"
    assert monitor.count(Incident) == 1
    incident = monitor.incident()
    assert incident.status == "investigating"  # someone has it still
    assert any("firing again within the 10-minute hold-down" in t for t in monitor.timeline())
    monitor.pager.desk.travel(timedelta(minutes=20))
    assert len(monitor.sms()) == sent  # the acknowledgement holds: nobody paged
    with monitor.rt.session() as session:
        assert session.scalars(select(Alert.fired_count)).one() == 2


def test_flapping_unacknowledged_reopens_and_pages_again(monitor: Monitor) -> None:
    monitor.fire("prometheus", am_payload([am_alert("a1")]))
    sent = len(monitor.pager.twilio.messages(to=PRIMARY))
    assert _flap(monitor, after=timedelta(minutes=3))["action"] == "reopened"
    assert monitor.incident().status == "open" and monitor.count(Incident) == 1
    assert len(monitor.pager.twilio.messages(to=PRIMARY)) == sent + 1
    assert monitor.escalations() == 2


def test_firing_again_beyond_the_hold_down_opens_a_new_incident(monitor: Monitor) -> None:
    monitor.fire("prometheus", am_payload([am_alert("a1")]))
    body = _flap(monitor, after=timedelta(minutes=11))
    assert body["action"] == "opened" and body["incident"] == "INC-2"
    assert monitor.incident(1).status == "resolved" and monitor.incident(2).status == "open"
    with monitor.rt.session() as session:
        assert session.scalars(select(Alert.incident_id)).one() == 2


def test_labels_and_annotations_are_inert_on_the_card_and_in_the_thread(monitor: Monitor) -> None:
    evil = am_alert("e1", summary="<!channel> <https://evil.example|click>",
                    runbook_url="javascript:alert(1)")  # fmt: skip
    evil["generatorURL"] = "https://x.example/|<!here>"
    monitor.fire("prometheus", am_payload([evil]))
    monitor.fire("prometheus", am_payload([evil, am_alert("e2", summary="<@U0EMEA0001> look")]))
    shown = monitor.card() + "\n".join(monitor.thread()) + "\n".join(monitor.timeline())
    assert "<!channel>" not in shown and "<!here>" not in shown and "<@U0EMEA0001>" not in shown
    assert "&lt;!channel&gt;" in shown
    assert "javascript:" not in monitor.card() and "|runbook>" not in monitor.card()


def test_a_late_copy_of_an_old_firing_does_not_reopen_a_resolved_incident(
    monitor: Monitor,
) -> None:
    """Each Alertmanager of an HA pair sends its own copy, and a retry can arrive late. The
    first firing, posted again after the alert resolved, started before that resolution:
    it is stale. Before, it reopened the incident and paged, and no later notification
    would have closed it."""
    first = am_payload([am_alert("a1")])
    monitor.fire("prometheus", first)
    ended = TUESDAY_10_DUBLIN + timedelta(minutes=1)
    monitor.fire("prometheus", am_payload([am_alert("a1", status="resolved", ends=ended)]))
    monitor.pager.desk.travel(timedelta(minutes=2))
    sent = len(monitor.sms())

    assert monitor.fire("prometheus", first)["action"] == "unchanged"

    assert monitor.incident().status == "resolved" and monitor.escalations() == 1
    monitor.pager.desk.travel(timedelta(minutes=10))
    assert len(monitor.sms()) == sent


def test_a_late_copy_of_an_old_resolution_does_not_resolve_a_refiring_alert(
    monitor: Monitor,
) -> None:
    monitor.fire("prometheus", am_payload([am_alert("a1")]))
    ended = TUESDAY_10_DUBLIN + timedelta(minutes=1)
    old_resolution = am_payload([am_alert("a1", status="resolved", ends=ended)])
    monitor.fire("prometheus", old_resolution)
    monitor.pager.desk.travel(timedelta(minutes=3))
    again = am_alert("a1", starts=monitor.rt.now() - timedelta(seconds=20))
    assert monitor.fire("prometheus", am_payload([again]))["action"] == "reopened"

    assert monitor.fire("prometheus", old_resolution)["action"] == "unchanged"

    assert monitor.incident().status == "open"
    with monitor.rt.session() as session:
        assert session.scalars(select(Alert.status)).one() == "firing"
