"""Hostile text on the dashboard's pages and downloads: what is not HTML is never served as
HTML (the JSON trend and the CSV say why they refuse in their own kind of body)."""

from __future__ import annotations

import json

from flask.testing import FlaskClient
from redis import Redis
from werkzeug.test import TestResponse

from supportbot.web import build_bolt_app, build_flask_app
from tests.conftest import SIGNING_SECRET, Desk
from tests.reports.test_dashboard import MONTH, clock, settings  # noqa: F401 - fixtures
from tests.reports.test_dashboard_attack import signed_in
from tests.support.slack_requests import STAFF, TEAM_ID

TREND = (f"/dashboard/trend.json?month={MONTH}", f"/dashboard/trend/acme.json?month={MONTH}")
CSV = (f"/dashboard/csv/?table=sla&month={MONTH}", f"/dashboard/csv/acme?table=trend&month={MONTH}")


def _says(answer: object, status: int, path: str) -> None:
    """A refusal of ``path`` in the download's own kind of body, never HTML."""
    assert isinstance(answer, TestResponse)
    assert answer.status_code == status, path
    if path.startswith("/dashboard/trend"):
        assert answer.mimetype == "application/json", (path, answer.content_type)
        body = json.loads(answer.get_data(as_text=True))
        assert body["status"] == status and body["error"], body
    else:
        assert answer.mimetype == "text/plain", (path, answer.content_type)


def test_downloads_refused_to_nobody_signed_in_are_not_html(desk: Desk) -> None:
    """Nobody signed in gets 401 from the trend JSON and the CSV: as JSON and as plain text,
    as every other refusal of theirs (a 404, a bad month), not as a text/html page."""
    client: FlaskClient = build_flask_app(
        desk.rt, build_bolt_app(desk.rt, SIGNING_SECRET)
    ).test_client()
    for path in (*TREND, *CSV):
        _says(client.get(path), 401, path)


def test_downloads_refused_while_redis_is_down_are_in_their_own_kind(desk: Desk) -> None:
    """Redis down: the trend JSON says so as JSON (it answered text/plain), the CSV as text."""
    sam = signed_in(desk, STAFF, TEAM_ID)
    kept = desk.rt.redis
    desk.rt.redis = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    try:
        for path in (*TREND, *CSV):
            answer = sam.get(path)
            _says(answer, 503, path)
            assert "Redis" in answer.get_data(as_text=True)
    finally:
        desk.rt.redis = kept


def test_downloads_refused_to_someone_else_are_not_html(desk: Desk) -> None:
    """Signed in but neither staff nor a designated contact: 403 from the downloads in their
    own kind of body (it was the HTML "No access" page)."""
    stranger = signed_in(desk, "U0STRANGER", "T0ELSEWHERE")
    for path in (*TREND, *CSV):
        answer = stranger.get(path)
        _says(answer, 403, path)
        assert "designated contacts" in answer.get_data(as_text=True)
    assert stranger.get(f"/dashboard?month={MONTH}").mimetype == "text/html"  # the page's own
