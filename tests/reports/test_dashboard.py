"""The dashboard in a real headless Chromium (Debian's chromium + chromium-driver, Selenium;
the browser fixture is in conftest.py):
Sign in with Slack through the stand-in, figures on the page checked against the database,
a contact sees only their organisation, anyone else is refused; screenshots are saved as
test artefacts (SUPPORTBOT_ARTIFACTS_DIR, else the test's tmp dir) at laptop and phone width.
"""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from redis import Redis
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from supportbot.clock import TravelClock
from supportbot.incidents.access import Actor
from supportbot.settings import Settings
from tests.conftest import Desk, make_settings
from tests.standins import SlackStandin
from tests.standins.slack_api import OIDC_CLIENT_ID, OIDC_CLIENT_SECRET
from tests.support.records import ACME_ALICE, ACME_TEAM, incidents
from tests.support.slack_requests import STAFF, TEAM_ID

STAFF_ACTOR = Actor.staff_member(STAFF)
MONTH = "2026-03"


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(datetime(2026, 3, 10, 14, 0, tzinfo=UTC))


@pytest.fixture
def settings(
    tmp_path: Path, redis: Redis, redis_url: str, database_url: str, slack_api: SlackStandin
) -> Settings:
    return make_settings(
        tmp_path, redis_url, database_url, slack_api.api_url,
        slack_client_id=OIDC_CLIENT_ID, slack_client_secret=OIDC_CLIENT_SECRET,
        slack_oidc_authorize_url=slack_api.url + "/openid/connect/authorize",
    )  # fmt: skip


def shoot(driver: webdriver.Chrome, tmp_path: Path, name: str, part: str = "") -> None:
    """A screenshot at laptop and at phone width: of the window, or of the element whose id
    is ``part`` (whole, however far down the page it is)."""
    folder = Path(os.environ.get("SUPPORTBOT_ARTIFACTS_DIR") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    for width, height, label in ((1280, 900, "laptop"), (390, 844, "phone")):
        driver.set_window_size(width, height)
        # Two frames: what reacts to the resize (the charts) has drawn at the new size.
        driver.execute_async_script(
            "var done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(done));"
        )
        path = folder / f"dashboard-{name}-{label}.png"
        if not part:
            assert driver.save_screenshot(str(path))
            continue
        # The element whole, beyond the window's height too (a WebElement shot stops there).
        box = driver.execute_script(
            "var r = document.getElementById(arguments[0]).getBoundingClientRect();"
            "return {x: r.left + scrollX, y: r.top + scrollY, width: r.width,"
            " height: r.height, scale: 1};", part)  # fmt: skip
        shot = driver.execute_cdp_cmd("Page.captureScreenshot",
                                      {"clip": box, "captureBeyondViewport": True})  # fmt: skip
        path.write_bytes(base64.b64decode(shot["data"]))
    driver.set_window_size(1280, 900)


def tile(driver: webdriver.Chrome, key: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, f'[data-figure="{key}"] .value').text


def session_cookie(driver: webdriver.Chrome) -> dict[str, str]:
    cookie = driver.get_cookie("supportbot_session")
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    return {"supportbot_session": cookie["value"]}


# long: one scenario in the browser, read top to bottom
def test_staff_sign_in_and_see_every_customer(
    filled: Desk, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    desk = filled
    desk.api.sign_in_as(STAFF, TEAM_ID, "Sam Staff")
    browser.get(f"{desk.url}/dashboard?month={MONTH}")
    assert browser.current_url.startswith(f"{desk.url}/dashboard")  # back from Slack
    assert "Sam Staff (staff)" in browser.find_element(By.TAG_NAME, "header").text
    opened = [i for i in incidents(desk.rt) if i.opened_at.strftime("%Y-%m") == MONTH]
    assert tile(browser, "opened") == str(len(opened)) == "2"
    assert tile(browser, "open") == "S1 0 · S2 0 · S3 1 · S4 0"
    rows = {r.get_attribute("data-customer"): r.text for r in
            browser.find_elements(By.CSS_SELECTOR, "tr[data-customer]")}  # fmt: skip
    assert set(rows) == {"acme", "globex", "initech"}
    assert "5,000.00 USD" in rows["acme"] and "0.00 EUR" in rows["globex"]
    shoot(browser, tmp_path, "overview")

    browser.find_element(By.LINK_TEXT, "Acme Corp").click()  # a click does not wait for the page
    WebDriverWait(browser, 20).until(lambda b: "/dashboard/customer/acme" in b.current_url)
    WebDriverWait(browser, 20).until(lambda b: "owed" in b.find_element(By.ID, "live").text)
    page = browser.find_element(By.ID, "live").text
    assert "INC-1" in page and "5,000.00 USD owed" in page and "100.000 %" in page
    shoot(browser, tmp_path, "customer")

    csv = requests.get(f"{desk.url}/dashboard/csv/acme?table=credits&month={MONTH}",
                       cookies=session_cookie(browser), timeout=10)  # fmt: skip
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.startswith("# supportbot credits 2026-03") and "INC-1,response" in csv.text
    everything = requests.get(f"{desk.url}/dashboard/csv/?table=sla&month={MONTH}",
                              cookies=session_cookie(browser), timeout=10)  # fmt: skip
    assert "customer,globex" in everything.text and "customer,acme" in everything.text

    browser.find_element(By.CSS_SELECTOR, "header button").click()  # sign out (CSRF form)
    WebDriverWait(browser, 20).until(lambda b: "You are signed out" in b.page_source)
    desk.api.oidc_user = None  # signed out: back to Slack, who now says no
    browser.get(f"{desk.url}/dashboard")
    assert "Slack did not sign you in" in browser.page_source


def test_a_contact_sees_only_their_organisation(
    filled: Desk, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    desk = filled
    desk.api.sign_in_as(ACME_ALICE, ACME_TEAM, "Alice at Acme")
    browser.get(f"{desk.url}/dashboard?month={MONTH}")
    assert browser.current_url.startswith(f"{desk.url}/dashboard/customer/acme")
    page = browser.find_element(By.TAG_NAME, "body").text
    assert "Acme Corp" in page and "Globex" not in page and "secret project" not in page
    assert tile(browser, "opened") == "1"
    shoot(browser, tmp_path, "contact")
    browser.get(f"{desk.url}/dashboard/customer/globex?month={MONTH}")
    assert "Not Found" in browser.page_source
    cookies = session_cookie(browser)
    for path in ("/dashboard/csv/globex?table=sla", "/dashboard/customer/umbrella"):
        assert requests.get(desk.url + path, cookies=cookies, timeout=10).status_code == 404
    mine = requests.get(f"{desk.url}/dashboard/csv/?table=sla&month={MONTH}", cookies=cookies,
                        timeout=10)  # fmt: skip
    assert mine.status_code == 200 and "customer,acme" in mine.text
    assert "globex" not in mine.text.split("\ngrouping,")[1]


def test_strangers_and_unsigned_requests_are_refused(
    filled: Desk, browser: webdriver.Chrome
) -> None:
    desk = filled
    bare = requests.get(f"{desk.url}/dashboard", allow_redirects=False, timeout=10)
    assert bare.status_code == 302 and bare.headers["location"].endswith("/dashboard/login")
    csv = requests.get(f"{desk.url}/dashboard/csv/acme?table=sla", timeout=10)
    assert csv.status_code == 401 and "INC-" not in csv.text
    forged = requests.get(f"{desk.url}/dashboard/callback?code=x&state=y", timeout=10)
    assert forged.status_code == 400
    logout = requests.post(f"{desk.url}/dashboard/logout", data={"csrf": "guess"}, timeout=10)
    assert logout.status_code == 400

    desk.api.sign_in_as("U0STRANGER", "T0ELSEWHERE", "Someone")
    browser.get(f"{desk.url}/dashboard")
    assert "No access" in browser.page_source and "Acme" not in browser.page_source
    cookies = session_cookie(browser)
    assert requests.get(f"{desk.url}/dashboard/csv/acme?table=sla", cookies=cookies,
                        timeout=10).status_code == 403  # fmt: skip


def test_signing_out_ends_the_session_and_it_lasts_8_hours_from_sign_in(
    filled: Desk, browser: webdriver.Chrome
) -> None:
    """A copy of the session cookie (a proxy's log, a shared disk) stops working when its
    owner signs out; and a session ends 8 hours after signing in however often it is used
    (the page polls every 30 s, and each answer used to extend it by 8 hours)."""
    desk = filled
    csv = f"{desk.url}/dashboard/csv/acme?table=credits&month={MONTH}"
    desk.api.sign_in_as(ACME_ALICE, ACME_TEAM, "Alice at Acme")
    browser.get(f"{desk.url}/dashboard?month={MONTH}")
    copied = session_cookie(browser)
    used = requests.get(csv, cookies=copied, timeout=10)
    assert used.status_code == 200 and "Set-Cookie" not in used.headers  # not re-issued

    browser.find_element(By.CSS_SELECTOR, "header button").click()  # sign out (CSRF form)
    WebDriverWait(browser, 20).until(lambda b: "You are signed out" in b.page_source)

    assert requests.get(csv, cookies=copied, timeout=10).status_code == 401

    browser.get(f"{desk.url}/dashboard?month={MONTH}")  # signed in again: a new session
    fresh = session_cookie(browser)
    assert requests.get(csv, cookies=fresh, timeout=10).status_code == 200
    desk.rt.clock.advance(timedelta(hours=8, minutes=1))  # type: ignore[attr-defined]
    assert requests.get(csv, cookies=fresh, timeout=10).status_code == 401
