"""Attacks on Sign in with Slack (auth.py) over plain HTTP, through the Slack stand-in's
authorize page and openid.connect endpoints: a code carried from one sign-in into another,
and a cross-site GET of the sign-in page against a signed-in browser."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import requests
from flask.testing import FlaskClient

from supportbot.web import build_bolt_app, build_flask_app
from tests.conftest import SIGNING_SECRET, Desk
from tests.reports.test_dashboard import MONTH, clock, settings  # noqa: F401 - fixtures
from tests.reports.test_dashboard_attack import signed_in
from tests.standins import SlackStandin
from tests.support.records import ACME_ALICE, ACME_TEAM
from tests.support.slack_requests import STAFF, TEAM_ID


def _param(url: str, name: str) -> str:
    return parse_qs(urlparse(url).query)[name][0]


def _code_for(client: FlaskClient) -> str:
    """The browser starts signing in and Slack sends it back with a code; the code is taken
    before the browser uses it (a proxy's log, a shared screen, a stolen redirect)."""
    authorize = client.get("/dashboard/login").headers["Location"]
    back = requests.get(authorize, allow_redirects=False, timeout=10).headers["Location"]
    return _param(back, "code")


def test_a_code_issued_to_another_sign_in_does_not_sign_in_here(
    desk: Desk, slack_api: SlackStandin
) -> None:
    """Alice, a contact, takes the code Slack issued to a staff member's sign-in and answers
    her own sign-in with it (her own state, so the state check passes): the id_token's nonce
    is the staff member's, not hers, so she is not signed in as staff."""
    app = build_flask_app(desk.rt, build_bolt_app(desk.rt, SIGNING_SECRET))
    staff, alice = app.test_client(), app.test_client()
    slack_api.sign_in_as(STAFF, TEAM_ID, "Sam")
    stolen = _code_for(staff)
    slack_api.sign_in_as(ACME_ALICE, ACME_TEAM, "Alice")
    state = _param(alice.get("/dashboard/login").headers["Location"], "state")

    answer = alice.get(f"/dashboard/callback?state={state}&code={stolen}")

    assert answer.status_code == 403, answer.headers.get("Location")
    page = alice.get(f"/dashboard?month={MONTH}")
    assert page.status_code == 302 and page.headers["Location"] == "/dashboard/login"


def test_the_sign_in_still_works_with_its_own_code(desk: Desk, slack_api: SlackStandin) -> None:
    app = build_flask_app(desk.rt, build_bolt_app(desk.rt, SIGNING_SECRET))
    sam = app.test_client()
    slack_api.sign_in_as(STAFF, TEAM_ID, "Sam")
    authorize = sam.get("/dashboard/login").headers["Location"]
    back = requests.get(authorize, allow_redirects=False, timeout=10).headers["Location"]
    assert sam.get(back.replace("http://localhost", "")).status_code == 302
    assert sam.get(f"/dashboard?month={MONTH}").status_code == 200


def test_opening_the_sign_in_page_does_not_sign_a_signed_in_person_out(desk: Desk) -> None:
    """Signing out takes a form with the session's CSRF token; a page of another site that
    merely links (or navigates) to /dashboard/login must not end the session either (SameSite
    Lax sends the cookie on a top-level GET, and the answer replaced it with an empty one)."""
    alice = signed_in(desk, ACME_ALICE, ACME_TEAM)
    assert alice.get("/dashboard/login").status_code == 302  # on to Slack, never finished

    page = alice.get(f"/dashboard/customer/acme?month={MONTH}")

    assert page.status_code == 200, page.headers.get("Location")


def test_the_cookie_is_secure_whatever_the_case_of_https_in_the_public_url(desk: Desk) -> None:
    """URL schemes are case-insensitive: SUPPORTBOT_PUBLIC_URL=HTTPS://… is https as much as
    https://…, and the session cookie must not then travel over plain http."""
    desk.rt.settings = desk.rt.settings.model_copy(
        update={"public_url": "HTTPS://support.example.com"}
    )
    client = build_flask_app(desk.rt, build_bolt_app(desk.rt, SIGNING_SECRET)).test_client()

    cookie = client.get("/dashboard/login").headers["Set-Cookie"]

    assert "supportbot_session=" in cookie and "; Secure" in cookie
