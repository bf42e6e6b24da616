"""``/healthz`` and ``/metrics`` of the running web app."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from supportbot.runtime import build_runtime
from supportbot.settings import Settings
from supportbot.web import build_bolt_app, build_flask_app
from tests.conftest import SIGNING_SECRET, Desk, make_settings
from tests.standins import SlackStandin
from tests.support.live import serve


@contextmanager
def _web(settings: Settings) -> Iterator[str]:
    rt = build_runtime(settings)
    try:
        with serve(build_flask_app(rt, build_bolt_app(rt, SIGNING_SECRET))) as url:
            yield url
    finally:
        rt.engine.dispose()


def test_healthz_is_200_when_database_and_redis_answer(desk: Desk) -> None:
    response = requests.get(desk.url + "/healthz", timeout=10)

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "redis": "ok",
        "slack": "live",
        "staff": "ok",
    }


def test_healthz_is_503_naming_redis_when_redis_is_unreachable(
    tmp_path: Path, database_url: str, slack_api: SlackStandin
) -> None:
    settings = make_settings(tmp_path, "redis://127.0.0.1:1/0", database_url, slack_api.api_url)

    with _web(settings) as url:
        response = requests.get(url + "/healthz", timeout=10)

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["redis"].startswith("down: ")
    assert body["database"] == "ok"


def test_healthz_is_503_naming_the_database_when_it_is_unreachable(
    tmp_path: Path, redis_url: str, slack_api: SlackStandin
) -> None:
    unreachable = "postgresql+psycopg://nobody@127.0.0.1:1/nothing?connect_timeout=2"
    settings = make_settings(tmp_path, redis_url, unreachable, slack_api.api_url)

    with _web(settings) as url:
        response = requests.get(url + "/healthz", timeout=10)

    assert response.status_code == 503
    body = response.json()
    assert body["database"].startswith("down: ") and body["redis"] == "ok"


def test_metrics_serves_prometheus_text_with_the_incident_counter(desk: Desk) -> None:
    desk.slack.command("sev2 checkout is slow")

    response = requests.get(desk.url + "/metrics", timeout=10)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE supportbot_incidents_opened_total counter" in response.text
    assert 'supportbot_incidents_opened_total{severity="2"}' in response.text
