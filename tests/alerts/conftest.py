"""Alert scenarios: the desk with Twilio against its stand-in (tests/paging's fixtures, at
Tuesday 24 November 2026, 10:00 in Dublin), and an integrations file of our own."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from supportbot.db.models import Alert, Escalation, Incident
from tests.paging.conftest import (  # noqa: F401 - fixtures used by name
    TUESDAY_10_DUBLIN,
    Pager,
    clock,
    pager,
    rotation_yaml,
    settings,
    twilio_api,
)

TOKENS = {
    "prometheus": "prom-token-5c1b7e",
    "grafana": "grafana-token-93aa01",
    "generic": "generic-token-77d2c4",
    "maint": "maint-token-0b8e11",
}
OLD_PROM_TOKEN = "prom-token-old-1a2b3c"
TRIAGE = "C0TRIAGE01"


def sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def integrations_yaml() -> str:
    until = (TUESDAY_10_DUBLIN + timedelta(hours=1)).isoformat()
    window_start = (TUESDAY_10_DUBLIN - timedelta(hours=1)).isoformat()
    window_end = (TUESDAY_10_DUBLIN + timedelta(hours=2)).isoformat()
    return f"""\
integrations:
  - key: prometheus
    name: Production Prometheus
    format: alertmanager
    token_sha256: {sha(TOKENS["prometheus"])}
    previous_token_sha256: {sha(OLD_PROM_TOKEN)}
    previous_valid_until: "{until}"
    hold_down: 10m
    summary_interval: 60s
  - key: grafana
    name: Grafana Cloud
    format: grafana
    customer: acme
    token_sha256: {sha(TOKENS["grafana"])}
    severity: {{label: priority, map: {{P1: 1, P2: 2}}, default: 4}}
  - key: generic
    name: Uptime checker
    format: generic
    token_sha256: {sha(TOKENS["generic"])}
    auto_resolve: note
  - key: maint
    name: Staging Prometheus
    format: alertmanager
    token_sha256: {sha(TOKENS["maint"])}
    maintenance:
      - start: "{window_start}"
        end: "{window_end}"
        reason: database upgrade
"""


@pytest.fixture
def overrides(tmp_path: Path) -> dict[str, object]:
    path = tmp_path / "integrations.yaml"
    path.write_text(integrations_yaml())
    return {"integrations_file": path}


def am_alert(
    fingerprint: str,
    *,
    name: str = "HighErrorRate",
    severity: str = "critical",
    status: str = "firing",
    starts: datetime = TUESDAY_10_DUBLIN - timedelta(minutes=2),
    ends: datetime | None = None,
    **annotations: str,
) -> dict[str, Any]:
    """One alert as Alertmanager's webhook (version 4) sends it."""
    return {
        "status": status,
        "labels": {
            "alertname": name,
            "severity": severity,
            "service": "checkout",
            "instance": f"web-{fingerprint}",
        },  # fmt: skip
        "annotations": {"summary": f"5xx above 5% on web-{fingerprint}"} | annotations,
        "startsAt": starts.isoformat().replace("+00:00", "Z"),
        "endsAt": (ends.isoformat().replace("+00:00", "Z") if ends else "0001-01-01T00:00:00Z"),
        "generatorURL": f"http://prometheus.internal:9090/graph?g0.expr=errors%7Bi%3D%22{fingerprint}%22%7D",
        "fingerprint": fingerprint,
    }


def am_payload(alerts: list[dict[str, Any]], group: str = "checkout") -> dict[str, Any]:
    firing = any(a["status"] == "firing" for a in alerts)
    return {
        "version": "4",
        "groupKey": '{}/{severity="critical"}:{alertname="HighErrorRate", service="' + group + '"}',
        "truncatedAlerts": 0,
        "status": "firing" if firing else "resolved",
        "receiver": "supportbot",
        "groupLabels": {"alertname": "HighErrorRate", "service": group},
        "commonLabels": {"alertname": "HighErrorRate", "service": group},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.internal:9093",
        "alerts": alerts,
    }


@dataclass
class Monitor:
    """A monitoring system posting to the running web app, and what it caused."""

    pager: Pager
    http: requests.Session = field(default_factory=requests.Session)

    @property
    def rt(self) -> Any:
        return self.pager.desk.rt

    def post(self, integration: str, body: Any, *, token: str | None = None,
             as_query: bool = False, raw: bytes | None = None) -> requests.Response:  # fmt: skip
        token = TOKENS.get(integration, "") if token is None else token
        url = f"{self.pager.desk.url}/alerts/{integration}"
        headers = {"Content-Type": "application/json"}
        if as_query:
            url += f"?token={token}"
        elif token:
            headers["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else requests.models.complexjson.dumps(body).encode()
        return self.http.post(url, data=data, headers=headers, timeout=30)

    def fire(self, integration: str, body: Any) -> dict[str, Any]:
        response = self.post(integration, body)
        assert response.status_code == 200, response.text
        self.pager.desk.drain()
        result: dict[str, Any] = response.json()
        return result

    def count(self, model: Any) -> int:
        with self.rt.session() as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)

    def incident(self, number: int = 1) -> Incident:
        with self.rt.session() as session:
            return session.get_one(Incident, number)

    def timeline(self, number: int = 1) -> list[str]:
        with self.rt.session() as session:
            return [e.text for e in session.get_one(Incident, number).events]

    def thread(self, number: int = 1) -> list[str]:
        """The incident card's thread in the triage channel, as posted."""
        card_ts = self.incident(number).card_ts
        assert card_ts, "the card was never posted"
        return [m["text"] for m in self.pager.desk.api.messages(channel=TRIAGE, thread_ts=card_ts)
                if m["method"] == "chat.postMessage"]  # fmt: skip

    def card(self, number: int = 1) -> str:
        """The card's latest version (post or update): its mrkdwn blocks. The header is
        plain_text, which Slack shows as typed (no mention, no link), so it is left out."""
        card_ts = self.incident(number).card_ts
        versions = [m for m in self.pager.desk.api.messages(channel=TRIAGE)
                    if m["ts"] == card_ts and not m.get("thread_ts")]  # fmt: skip
        return str([b for b in versions[-1]["blocks"] if b["type"] != "header"])

    def sms(self) -> list[str]:
        return [m["body"] for m in self.pager.twilio.messages()]

    def escalations(self) -> int:
        return self.count(Escalation)

    def alerts(self) -> int:
        return self.count(Alert)


@pytest.fixture
def monitor(pager: Pager) -> Iterator[Monitor]:  # noqa: F811 - the fixture above
    found = Monitor(pager)
    yield found
    found.http.close()
