"""Local mode (no Slack credential, no public URL) without Sign in with Slack: the dashboard
is open, as staff, to this machine only, and says so; anything else is refused with 403.
Outside local mode, or with Sign in with Slack configured, nothing is open without sign-in.

Requests over the network come from 127.0.0.1 here; a request from another machine is made
through Flask's test client on the same app, with the address it would have (as
test_metrics_access.py does).
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
import requests
from redis import Redis
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from supportbot.desk import intake, work
from supportbot.incidents.access import Actor
from supportbot.settings import Settings
from supportbot.sla.explain import sla_answer
from supportbot.web import build_bolt_app, build_flask_app
from tests.conftest import SIGNING_SECRET, Desk, make_settings
from tests.reports.test_dashboard import MONTH, clock, shoot, tile  # noqa: F401 - clock: fixture
from tests.standins import SLACK_TOKEN, SlackStandin
from tests.standins.slack_api import OIDC_CLIENT_ID, OIDC_CLIENT_SECRET
from tests.support.slack_requests import STAFF

BANNER = (
    "Local mode: open without sign-in to this machine only (127.0.0.1). Set "
    "SUPPORTBOT_SLACK_CLIENT_ID and SUPPORTBOT_SLACK_CLIENT_SECRET to require Sign in with Slack."
)
PATHS = (f"/dashboard?month={MONTH}", f"/dashboard/customer/acme?month={MONTH}",
         f"/dashboard/csv/?table=sla&month={MONTH}", f"/dashboard/trend.json?month={MONTH}",
         f"/dashboard/trend/globex.json?month={MONTH}")  # fmt: skip
API = [p for p in PATHS if "csv" in p or "json" in p]
# How many lines a tile's value takes, and for each match of a pattern in it (a figure and
# its unit), on how many lines it is drawn.
LINES_OF = """
var node = document.querySelector('[data-figure="' + arguments[0] + '"] .value').firstChild;
function lines(start, end) {
  var range = document.createRange();
  range.setStart(node, start);
  range.setEnd(node, end);
  return new Set(Array.from(range.getClientRects(), function (r) {
    return Math.round(r.top); })).size;
}
var pairs = [], pattern = new RegExp(arguments[1], "g"), found;
while ((found = pattern.exec(node.data))) {
  pairs.push([found[0], lines(found.index, found.index + found[0].length)]);
}
return [lines(0, node.data.length), pairs];
"""


@pytest.fixture
def settings(
    request: pytest.FixtureRequest, tmp_path: Path, redis: Redis, redis_url: str,
    database_url: str, slack_api: SlackStandin,
) -> Settings:  # fmt: skip
    """Local mode: no Slack credential at all, no public URL, no Sign in with Slack; a test
    parametrised indirectly names the values that differ."""
    values: dict[str, Any] = {"slack_bot_token": None, "slack_signing_secret": None}
    values |= getattr(request, "param", {})
    return make_settings(tmp_path, redis_url, database_url, slack_api.api_url, **values)


def _refused_count(desk: Desk) -> float:
    """How many dashboard requests were refused as not local, as /metrics says."""
    text = requests.get(desk.url + "/metrics", timeout=10).text
    metric = r'supportbot_requests_refused_total{reason="dashboard_not_local"} (\S+)'
    found = re.search(metric, text)
    return float(found.group(1)) if found else 0.0


def test_this_machine_sees_the_staff_view_without_sign_in(
    filled: Desk, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    desk = filled
    assert desk.rt.settings.local_mode and not desk.rt.settings.sign_in_configured
    browser.get(f"{desk.url}/dashboard?month={MONTH}")
    assert browser.current_url == f"{desk.url}/dashboard?month={MONTH}"  # no detour to Slack
    assert browser.find_element(By.ID, "local-mode").text == BANNER
    header = browser.find_element(By.TAG_NAME, "header").text
    assert "this machine (staff)" in header and "Sign out" not in header
    rows = {r.get_attribute("data-customer") for r in
            browser.find_elements(By.CSS_SELECTOR, "tr[data-customer]")}  # fmt: skip
    assert rows == {"acme", "globex", "initech"} and tile(browser, "opened") == "2"
    opened = WebDriverWait(browser, 20).until(lambda b: b.execute_script(
        "var c = window.Chart && Chart.getChart(document.getElementById('chart-volume'));"
        "return c && c.data.datasets[0].data"))  # fmt: skip
    assert opened[-1] == 2 and sum(opened) == 2
    shoot(browser, tmp_path, "local")
    for width in (1280, 390):  # the tile wraps at both; each severity keeps its count (and
        browser.set_window_size(width, 900)  # the dot after it: no line starts with one)
        lines, pairs = browser.execute_script(LINES_OF, "open", r"S\d\s\d+(\s·)?")
        assert lines > 1 and [n for _, n in pairs] == [1, 1, 1, 1], (width, pairs)
    browser.set_window_size(1280, 900)

    browser.get(f"{desk.url}/dashboard/customer/globex?month={MONTH}")  # staff: any customer
    assert "Globex" in browser.find_element(By.TAG_NAME, "h1").text
    assert browser.find_element(By.ID, "local-mode").text == BANNER
    browser.get(f"{desk.url}/dashboard/customer/acme?month={MONTH}")
    evidence = browser.find_element(By.CSS_SELECTOR, "td.wrap").text
    assert evidence.startswith("INC-1 opened") and len(evidence) > 150
    # The credit's evidence wraps in its cell: the table needs no sideways scroll on a laptop.
    assert browser.execute_script(
        "return Array.from(document.querySelectorAll('.scroll'))"
        ".every(function (box) { return box.scrollWidth <= box.clientWidth; })"
    )


def test_over_http_this_machine_is_served_and_everyone_else_refused(filled: Desk) -> None:
    desk = filled
    for path in PATHS:
        mine = requests.get(desk.url + path, allow_redirects=False, timeout=10)
        assert mine.status_code == 200, path
    page = requests.get(f"{desk.url}/dashboard?month={MONTH}", timeout=10).text
    assert BANNER in page and 'data-customer="globex"' in page
    before = _refused_count(desk)

    # A proxy on this machine relaying someone: loopback, but not this machine asking.
    for path in PATHS:
        relayed = requests.get(desk.url + path, headers={"X-Forwarded-For": "203.0.113.9"},
                               allow_redirects=False, timeout=10)  # fmt: skip
        assert relayed.status_code == 403, path
        assert "local mode" in relayed.text and "was relayed by a proxy" in relayed.text
        assert "SUPPORTBOT_SLACK_CLIENT_ID" in relayed.text
        assert "Acme" not in relayed.text and "opened" not in relayed.text

    client = build_flask_app(desk.rt, build_bolt_app(desk.rt, SIGNING_SECRET)).test_client()
    for address in ("192.0.2.7", "10.1.2.3", "2001:db8::7"):
        for path in PATHS:
            elsewhere = client.get(path, environ_base={"REMOTE_ADDR": address})
            text = elsewhere.get_data(as_text=True)
            assert elsewhere.status_code == 403, (address, path)
            assert f"came from elsewhere ({address})" in text and "INC-" not in text
    assert _refused_count(desk) == before + len(PATHS) * 4


def test_every_answer_carries_the_strict_policy(filled: Desk) -> None:
    """Pages, their CSV and JSON, the scripts, refusals and errors: scripts from the app only
    and none inline, no framing, no <base>, forms posting here only."""
    desk = filled
    policy = {"default-src 'self'", "style-src 'unsafe-inline'", "script-src 'self'",
              "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"}  # fmt: skip
    asked = [(p, {}) for p in PATHS] + [
        ("/dashboard/static/dashboard.js", {}), ("/dashboard?month=2026-13", {}),
        ("/dashboard/customer/umbrella", {}), ("/dashboard/static/README.md", {}),
        (PATHS[0], {"X-Forwarded-For": "203.0.113.9"}),
    ]  # fmt: skip
    statuses = []
    for path, headers in asked:
        answer = requests.get(desk.url + path, headers=headers, timeout=10)
        statuses.append(answer.status_code)
        given = {part.strip() for part in answer.headers["Content-Security-Policy"].split(";")}
        assert given == policy, path
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert statuses == [200] * (len(PATHS) + 1) + [400, 404, 404, 403]


@pytest.mark.parametrize(
    ("month", "said"),
    [
        ("2026-13", "'2026-13' is not a month: the month must be from 01 to 12"),
        ("9999-12", "'9999-12' is not a month: the year must be from 1970 to 9998"),
        ("March", "'March' is not a month; write it as YYYY-MM, e.g. 2026-03"),
        ("2026-" + "1" * 3000, "'2026-" + "1" * 35 + "'… (3005 characters) is not a month"),
    ],
)
def test_a_bad_month_says_what_is_wrong(filled: Desk, month: str, said: str) -> None:
    for path in PATHS:
        answer = requests.get(desk_url(filled, path, month), timeout=10)
        assert answer.status_code == 400, path
        assert f"?month={said}" in html.unescape(answer.text) and len(answer.text) < 600, path


def desk_url(desk: Desk, path: str, month: str) -> str:
    return desk.url + path.replace(f"month={MONTH}", f"month={month}")


def test_a_name_of_another_site_pointed_at_this_machine_is_refused(filled: Desk) -> None:
    """DNS rebinding: a page of rebind.example points its own name at 127.0.0.1, so the
    browser on this machine asks from loopback, unrelayed, and would let that page read the
    answer. Only the Host header names the other site."""
    desk = filled
    port = desk.url.rsplit(":", 1)[1]
    for name in (f"localhost:{port}", f"[::1]:{port}", f"127.0.0.1:{port}", "LOCALHOST"):
        mine = requests.get(desk.url + PATHS[2], headers={"Host": name}, timeout=10)
        assert mine.status_code == 200 and "acme" in mine.text, name
    before = _refused_count(desk)
    for name in (f"rebind.example:{port}", "127.0.0.1.nip.io", "localhost.evil.example",
                 f"[::1:{port}", ""):  # fmt: skip
        for path in PATHS:
            other = requests.get(desk.url + path, headers={"Host": name}, timeout=10)
            assert other.status_code == 403, (name, path)
            assert "local mode" in other.text and "was addressed to" in other.text
            assert "Acme" not in other.text and "opened" not in other.text
    refused = requests.get(desk.url + PATHS[0], headers={"Host": "rebind.example"}, timeout=10)
    said = html.unescape(refused.text)  # the page escapes the quotes
    assert "was addressed to 'rebind.example', not to 127.0.0.1 or localhost" in said
    assert _refused_count(desk) == before + len(PATHS) * 5 + 1


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param({"slack_bot_token": SLACK_TOKEN, "slack_signing_secret": SIGNING_SECRET},
                     id="slack-credentials"),
        pytest.param({"slack_app_token": "xapp-1-A0TEST-1-abc"}, id="socket-mode-token"),
        pytest.param({"public_url": "https://desk.example.com"}, id="public-url"),
    ],
    indirect=True,
)  # fmt: skip
def test_outside_local_mode_without_sign_in_nothing_is_open(desk: Desk) -> None:
    assert not desk.rt.settings.local_mode and not desk.rt.settings.sign_in_configured
    page = requests.get(f"{desk.url}/dashboard", allow_redirects=False, timeout=10)
    assert page.status_code == 302 and page.headers["location"].endswith("/dashboard/login")
    login = requests.get(f"{desk.url}/dashboard/login", allow_redirects=False, timeout=10)
    assert login.status_code == 503 and "Sign in with Slack is not configured" in login.text
    for path in API:
        assert requests.get(desk.url + path, timeout=10).status_code == 401, path
    client = build_flask_app(desk.rt, build_bolt_app(desk.rt, SIGNING_SECRET)).test_client()
    assert client.get("/dashboard", environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 302


@pytest.mark.parametrize(
    "settings",
    [{"slack_client_id": OIDC_CLIENT_ID, "slack_client_secret": OIDC_CLIENT_SECRET}],
    indirect=True,
)
def test_in_local_mode_sign_in_with_slack_once_configured_is_required(desk: Desk) -> None:
    assert desk.rt.settings.local_mode and desk.rt.settings.sign_in_configured
    page = requests.get(f"{desk.url}/dashboard", allow_redirects=False, timeout=10)
    assert page.status_code == 302 and page.headers["location"].endswith("/dashboard/login")
    assert "Local mode" not in page.text
    for path in API:
        assert requests.get(desk.url + path, timeout=10).status_code == 401, path


def test_a_customer_page_shows_the_plan_balances_of_the_card_and_sla(filled: Desk) -> None:
    """Issue 11: `/sla INC-n` and the dashboard show the same balances; the page showed none."""
    desk = filled
    initech = desk.rt.contracts.by_key("initech")
    assert initech is not None
    opened = intake.open_incident(desk.rt, title="printers offline", severity=3,
                                  reporter=STAFF, customer=initech)  # fmt: skip
    work.log_time(desk.rt, opened.id, Actor.staff_member(STAFF), 70, appointment=True)
    sla = sla_answer(desk.rt, Actor.staff_member(STAFF), opened.key)
    assert "Pack: 36 of 40 left" in sla  # 1 turnover + 3 for a 70 min appointment

    page = requests.get(f"{desk.url}/dashboard/customer/initech?month={MONTH}", timeout=10)
    shown = html.unescape(page.text)
    assert '<section id="plans">' in shown and "balance now" in shown
    assert "<li>Pack: 36 of 40 left</li>" in shown
    acme = requests.get(f"{desk.url}/dashboard/customer/acme?month={MONTH}", timeout=10).text
    assert "<li>Agreement: unlimited</li><li>Hours: 260 h of 260 h left</li>" in acme
    # An ended month: the balance at its last instant; a month to come: none yet.
    february = requests.get(f"{desk.url}/dashboard/customer/initech?month=2026-02", timeout=10)
    assert "balance at the end of 2026-02" in february.text
    assert "<li>Pack: 40 of 40 left</li>" in february.text
    april = requests.get(f"{desk.url}/dashboard/customer/initech?month=2026-04", timeout=10)
    assert april.status_code == 200 and 'id="plans"' not in april.text
