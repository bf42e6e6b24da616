"""Attacks on the dashboard over plain HTTP (Flask's test client on the real app, with a
session as Sign in with Slack leaves it): what a contact asks for, and a sign-out while
Redis is down. The browser scenarios are in test_dashboard.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from redis import Redis

from supportbot.web import build_bolt_app, build_flask_app
from tests.conftest import SIGNING_SECRET, Desk
from tests.reports.test_dashboard import MONTH, clock, settings  # noqa: F401 - fixtures
from tests.standins import SlackStandin
from tests.support.records import ACME_ALICE, ACME_TEAM
from tests.support.slack_requests import STAFF, TEAM_ID

CSRF = "the-session-token"


def signed_in(desk: Desk, user: str, team: str) -> FlaskClient:
    """A browser with the session the callback leaves (auth.callback)."""
    client = build_flask_app(desk.rt, build_bolt_app(desk.rt, SIGNING_SECRET)).test_client()
    with client.session_transaction() as session:
        session.update(user=user, team=team, name=user, csrf=CSRF, sid=f"sid-{user}",
                       since=desk.rt.now().timestamp())  # fmt: skip
    return client


@pytest.fixture
def redis_down(desk: Desk) -> Iterator[None]:
    """Redis stops answering the web process (nothing listens on port 1)."""
    kept = desk.rt.redis
    desk.rt.redis = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    yield
    desk.rt.redis = kept


def test_a_contact_asking_the_overview_for_a_month_gets_that_month(desk: Desk) -> None:
    """A link to /dashboard?month=… (from a colleague, a bookmark) sends a contact to their
    organisation's page of that month, not of this one."""
    alice = signed_in(desk, ACME_ALICE, ACME_TEAM)
    answer = alice.get(f"/dashboard?month={MONTH}")
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/dashboard/customer/acme?month={MONTH}"
    assert alice.get("/dashboard").headers["Location"] == "/dashboard/customer/acme"


def test_signing_out_while_redis_is_down_says_so_and_keeps_the_session(
    desk: Desk, redis_down: None
) -> None:
    """Signing out must end the session for good (a copy of the cookie stops working), which
    needs Redis. While it cannot be reached the answer says so (503, no traceback) and the
    session is kept, so that signing out again once Redis is back ends it."""
    sam = signed_in(desk, STAFF, TEAM_ID)
    answer = sam.post("/dashboard/logout", data={"csrf": CSRF})
    text = answer.get_data(as_text=True)
    assert answer.status_code == 503, text[:300]
    assert "not signed out" in text and "Traceback" not in text
    with sam.session_transaction() as session:
        assert session.get("sid") == f"sid-{STAFF}" and session.get("csrf") == CSRF


def test_while_redis_is_down_a_signed_in_person_is_told_to_wait_not_sent_to_sign_in(
    desk: Desk, redis: Redis
) -> None:
    """Whether a session was signed out is in Redis. While it cannot say, the session is not
    taken as current, but sending the person to Slack cannot help: Slack signs them in, the
    callback sends them back to /dashboard, which sends them to Slack again, until the
    browser gives up ("too many redirects"). They are told what is wrong instead."""
    sam = signed_in(desk, STAFF, TEAM_ID)
    kept = desk.rt.redis
    desk.rt.redis = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    try:
        for path in ("/dashboard", f"/dashboard/customer/acme?month={MONTH}"):
            page = sam.get(path)
            assert page.status_code == 503, (path, page.headers.get("Location"))
            assert "Redis" in page.get_data(as_text=True)
        for path in (f"/dashboard/csv/?table=sla&month={MONTH}", "/dashboard/trend.json"):
            download = sam.get(path)
            assert download.status_code == 503 and "sign in first" not in download.get_data(True)
    finally:
        desk.rt.redis = kept
    assert sam.get(f"/dashboard?month={MONTH}").status_code == 200  # back: the same session


def test_slack_unreachable_during_sign_in_is_a_502_not_a_500(
    desk: Desk, slack_api: SlackStandin
) -> None:
    """The connection to Slack drops while the callback trades its code for a token: the
    browser is told Slack could not be reached (502), not an internal error."""
    client = build_flask_app(desk.rt, build_bolt_app(desk.rt, SIGNING_SECRET)).test_client()
    with client.session_transaction() as session:
        session["oidc_state"], session["oidc_nonce"] = "state-1", "nonce-1"
    slack_api.inject("openid.connect.token", "reset", times=3)  # its one retry fails too

    answer = client.get("/dashboard/callback?code=c-1&state=state-1")

    assert answer.status_code == 502, answer.get_data(as_text=True)
    assert "Slack could not be reached" in answer.get_data(as_text=True)
