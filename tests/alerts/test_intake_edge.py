"""The webhook's edge: every bad request is a clear 4xx and stores nothing; tokens rotate
with a grace period; Grafana and the generic format; maintenance windows; storms."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from supportbot.alerts.integrations import load_integrations
from supportbot.contracts.customers import Contracts
from supportbot.datafiles import DataFileError
from supportbot.db.models import Alert, AlertGroup, Incident, Page, TimelineEvent
from tests.alerts.conftest import (
    OLD_PROM_TOKEN,
    TOKENS,
    TRIAGE,
    TUESDAY_10_DUBLIN,
    Monitor,
    am_alert,
    am_payload,
)


def _nothing_stored(monitor: Monitor) -> None:
    assert monitor.alerts() == 0
    assert monitor.count(AlertGroup) == 0 and monitor.count(Incident) == 0


@pytest.mark.parametrize(
    ("integration", "token"),
    [
        ("prometheus", "wrong-token"),
        ("prometheus", ""),
        ("nosuch", TOKENS["prometheus"]),  # a real token, the wrong integration
        ("grafana", TOKENS["prometheus"]),
    ],
)
def test_a_wrong_or_missing_token_or_unknown_integration_is_401_alike(
    monitor: Monitor, integration: str, token: str
) -> None:
    response = monitor.post(integration, am_payload([am_alert("a1")]), token=token)
    assert response.status_code == 401
    assert response.json() == {"error": "unauthorized"}  # nothing says which part was wrong
    assert response.headers["WWW-Authenticate"] == "Bearer"
    _nothing_stored(monitor)


def test_the_token_may_come_in_the_query_for_senders_without_headers(monitor: Monitor) -> None:
    assert monitor.post("prometheus", am_payload([am_alert("a1")]), as_query=True).ok
    assert monitor.count(Incident) == 1


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "body: expected a JSON object"),
        (b"[" * 100_000 + b"]" * 100_000, "not JSON"),
        (json.dumps({"version": "4", "status": "firing", "alerts": []}).encode(), "groupKey"),
        (json.dumps(am_payload([])).encode(), "alerts: List should have at least 1 item"),
        (
            json.dumps(am_payload([{"status": "firing", "labels": {}}])).encode(),
            "alerts[0].startsAt: Field required",
        ),  # fmt: skip
        (
            json.dumps(am_payload([am_alert("a1") | {"status": "burning"}])).encode(),
            "alerts[0].status",
        ),  # fmt: skip
        (
            json.dumps(am_payload([am_alert("a1") | {"startsAt": "yesterday"}])).encode(),
            "alerts[0].startsAt",
        ),  # fmt: skip
        (json.dumps(am_payload([am_alert("a1")]) | {"version": "3"}).encode(), "version"),
    ],
)
def test_malformed_payloads_are_400_with_what_and_where(
    monitor: Monitor, raw: bytes, says: str
) -> None:
    response = monitor.post("prometheus", None, raw=raw)
    assert response.status_code == 400, response.text
    assert says in response.json()["error"]
    _nothing_stored(monitor)


def test_timestamps_in_the_future_are_refused(monitor: Monitor) -> None:
    later = TUESDAY_10_DUBLIN + timedelta(days=3)
    response = monitor.post("prometheus", am_payload([am_alert("ok"), am_alert("f", starts=later)]))
    assert response.status_code == 400
    assert "alerts[1].startsAt" in response.json()["error"]
    assert "in the future; check the sender's clock" in response.json()["error"]
    _nothing_stored(monitor)


def test_a_five_megabyte_body_is_413_and_a_chunked_one_too(monitor: Monitor) -> None:
    big = am_payload([am_alert("a1", description="x" * 5_000_000)])
    response = monitor.post("prometheus", big)
    assert response.status_code == 413 and "max_alerts" in response.json()["error"]
    chunks = (b"x" * 65536 for _ in range(80))  # no Content-Length: found while reading
    headers = {"Authorization": f"Bearer {TOKENS['prometheus']}"}
    url = f"{monitor.pager.desk.url}/alerts/prometheus"
    assert monitor.http.post(url, data=chunks, headers=headers, timeout=30).status_code == 413
    _nothing_stored(monitor)


def test_the_previous_token_works_until_its_grace_period_ends(monitor: Monitor) -> None:
    assert monitor.post("prometheus", am_payload([am_alert("a1")]), token=OLD_PROM_TOKEN).ok
    monitor.pager.desk.travel(timedelta(minutes=61))  # previous_valid_until is 11:00
    refused = monitor.post("prometheus", am_payload([am_alert("a2")]), token=OLD_PROM_TOKEN)
    assert refused.status_code == 401
    assert monitor.post("prometheus", am_payload([am_alert("a2")])).ok  # the new one works


def test_grafana_alerts_open_the_customers_incident_with_its_severity_label(
    monitor: Monitor,
) -> None:
    alert = am_alert("g1", severity="ignored") | {
        "labels": {"alertname": "Checkout latency", "priority": "P2", "grafana_folder": "Shop"},
        "silenceURL": "https://grafana.example/alerting/silence/new",
        "dashboardURL": "https://grafana.example/d/abc",
        "values": {"B": 2.5},
        "valueString": "[ var='B' value=2.5 ]",
    }
    body = {
        "receiver": "supportbot", "status": "firing", "orgId": 1, "alerts": [alert],
        "groupLabels": {"alertname": "Checkout latency"}, "commonLabels": {},
        "commonAnnotations": {}, "externalURL": "https://grafana.example/",
        "version": "1", "groupKey": '{}:{alertname="Checkout latency"}', "truncatedAlerts": 0,
        "title": "[FIRING:1] Checkout latency (Shop)", "state": "alerting",
        "message": "**Firing**\n\nValue: B=2.5",
    }  # fmt: skip
    assert monitor.fire("grafana", body)["action"] == "opened"
    incident = monitor.incident()
    assert incident.customer == "acme" and incident.severity == 2
    assert incident.title == "[FIRING:1] Checkout latency (Shop)"
    assert monitor.sms() == []  # Sev2: nobody paged


def test_generic_trigger_and_resolve_with_auto_resolve_note(monitor: Monitor) -> None:
    trigger = {
        "summary": "api.example.com down from 3 regions",
        "severity": "critical",
        "dedup_key": "uptime-api",
        "action": "trigger",
        "source": "uptime",
        "url": "https://status.example/api",
        "details": {"regions": ["eu", "us"]},
    }
    assert monitor.fire("generic", trigger)["action"] == "opened"
    assert monitor.fire("generic", trigger)["action"] == "unchanged"
    assert monitor.incident().severity == 1 and len(monitor.sms()) == 1
    assert (
        monitor.post("generic", {"dedup_key": "uptime-api"} | {"action": "explode"}).status_code
        == 400
    )
    missing = monitor.post("generic", {"action": "trigger", "dedup_key": "x"})
    assert missing.status_code == 400 and "summary" in missing.json()["error"]
    resolved = monitor.fire("generic", {"dedup_key": "uptime-api", "action": "resolve"})
    assert resolved["action"] == "noted"
    assert monitor.incident().status == "open"  # auto_resolve: note leaves it to a person
    assert any("All 1 alert(s) resolved in Uptime checker; resolve the incident when done" in t
               for t in monitor.timeline())  # fmt: skip


def test_inside_a_maintenance_window_alerts_are_recorded_and_page_nobody(
    monitor: Monitor,
) -> None:
    body = monitor.fire("maint", am_payload([am_alert("m1")]))
    assert body["maintenance"] == "database upgrade" and body["action"] == "opened"
    monitor.pager.desk.travel(timedelta(minutes=30))
    assert monitor.incident().severity == 1 and monitor.sms() == []
    assert monitor.count(Page) == 0 and monitor.escalations() == 0
    assert any("maintenance window “database upgrade”" in t for t in monitor.timeline())


def test_a_storm_of_ten_thousand_alerts_makes_one_incident_one_page_sequence_one_card(
    monitor: Monitor,
) -> None:
    start = TUESDAY_10_DUBLIN - timedelta(minutes=1)
    batches = [am_payload([am_alert(f"s{b:03d}-{i:03d}", starts=start) for i in range(100)])
               for b in range(100)]  # fmt: skip
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda body: monitor.post("prometheus", body), batches))
    assert [a.status_code for a in answers] == [200] * 100
    monitor.pager.desk.drain()
    monitor.pager.desk.travel(timedelta(minutes=2))
    assert monitor.alerts() == 10_000
    assert monitor.count(Incident) == 1 and monitor.escalations() == 1
    cards = [m for m in monitor.pager.desk.api.messages(channel=TRIAGE)
             if m["method"] == "chat.postMessage" and not m.get("thread_ts")]  # fmt: skip
    assert len(cards) == 1
    thread = monitor.thread()
    summaries = [t for t in thread if t.startswith(":rotating_light: Alerts:")]
    assert 1 <= len(summaries) <= 3, summaries  # one at once, then one an interval
    assert len(thread) <= 12, thread
    assert ":rotating_light: Alerts: 10000 firing, 0 resolved." in thread[-1] or any(
        "10000 firing" in t for t in summaries
    )
    assert len(monitor.sms()) <= 4  # the first page and at most one re-page an interval
    with monitor.rt.session() as session:
        events = session.query(TimelineEvent).count()
    assert events <= 15


def test_the_integrations_file_names_file_and_line_for_each_problem(tmp_path: Path) -> None:
    path = tmp_path / "integrations.yaml"
    path.write_text(
        "integrations:\n"
        "  - key: prometheus\n"
        "    name: Prom\n"
        "    format: alertmanager\n"
        "    token_sha256: not-a-hash\n"
        "    hold_down: 1bd\n"
        "  - key: Bad Key\n"
        "    name: x\n"
        "    format: nagios\n"
        "    token_sha256: " + "a" * 64 + "\n"
    )
    with pytest.raises(DataFileError) as caught:
        load_integrations(path, Contracts())
    text = str(caught.value)
    assert f"{path}:5: integrations[0].token_sha256: not a SHA-256" in text
    assert f"{path}:6: integrations[0].hold_down:" in text
    assert f"{path}:7: integrations[1].key:" in text
    assert f"{path}:9: integrations[1].format:" in text
    path.write_text(
        "integrations:\n  - key: p\n    name: P\n    format: generic\n"
        f"    customer: nobody\n    token_sha256: {'b' * 64}\n"
    )
    with pytest.raises(DataFileError, match=r":5: integrations\[0\].customer: unknown customer"):
        load_integrations(path, Contracts())


def test_a_nul_in_a_label_is_stored_as_a_replacement_character(monitor: Monitor) -> None:
    """PostgreSQL cannot store a NUL: the alert was refused with a 503, which Alertmanager
    retries for ever, and its incident never opened."""
    alert = am_alert("a1")
    alert["labels"]["instance"] = "web-\x00-1"
    alert["annotations"]["summary"] = "5xx above 5%\x00 on web-1"

    assert monitor.fire("prometheus", am_payload([alert]))["action"] == "opened"

    with monitor.rt.session() as session:
        stored = session.scalars(select(Alert)).one()
    assert '"web-\\ufffd-1"' in stored.labels and "\x00" not in stored.summary


def test_a_lone_surrogate_is_stored_as_a_replacement_character(monitor: Monitor) -> None:
    """JSON's "\\ud800" with no pair is valid JSON and no storable text: the insert raised,
    the answer was a 500 (Alertmanager retries it for ever) and the incident never opened."""
    alert = am_alert("a1")
    alert["annotations"]["summary"] = "disk \ud800 full \udfff on db-1"
    alert["labels"]["instance"] = "db-\udc00-1"

    assert monitor.fire("prometheus", am_payload([alert]))["action"] == "opened"

    with monitor.rt.session() as session:
        stored = session.scalars(select(Alert)).one()
    assert stored.summary.endswith("disk \ufffd full \ufffd on db-1"), stored.summary
    assert '"db-\\ufffd-1"' in stored.labels


def test_a_thousand_alerts_with_long_summaries_fit_in_one_request(monitor: Monitor) -> None:
    """Alertmanager's `max_alerts: 1000`, as the README configures it, with an 800-character
    summary each: about 1.1 MB, over the old 1 MiB limit (a 413 loses the group)."""
    alerts = [am_alert(f"s{n}", summary="y" * 800) for n in range(1000)]
    body = am_payload(alerts)
    assert len(json.dumps(body)) > 1024 * 1024

    assert monitor.fire("prometheus", body)["action"] == "opened"
    assert monitor.alerts() == 1000
