"""What the dashboard's tests (test_dashboard*.py) share as fixtures: Debian's headless
Chromium driven by Selenium, and a month of incidents; their helpers (shoot and the rest) are
in test_dashboard.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service

from supportbot.desk import actions, intake
from supportbot.incidents.access import Actor
from tests.conftest import Desk
from tests.support.slack_requests import STAFF


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                 f"--user-data-dir={tmp_path / 'chromium'}"):  # fmt: skip
        options.add_argument(flag)
    # Every request the page makes, for the tests that check nothing leaves 127.0.0.1.
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def filled(desk: Desk) -> Desk:
    """Acme: a Sev1 answered 90 min late (5,000.00), resolved; Globex: a Sev3, still open.
    Opened at the test module's ``clock`` (test_dashboard.py: 10 March 2026)."""
    acme, globex = desk.rt.contracts.by_key("acme"), desk.rt.contracts.by_key("globex")
    assert acme and globex
    late = intake.open_incident(desk.rt, title="Acme checkout down", severity=1,
                                reporter=STAFF, customer=acme)  # fmt: skip
    desk.travel(timedelta(minutes=90))
    actions.acknowledge(desk.rt, late.id, Actor.staff_member(STAFF))
    actions.resolve(desk.rt, late.id, Actor.staff_member(STAFF), "rolled back")
    intake.open_incident(desk.rt, title="Globex secret project", severity=3, reporter=STAFF,
                         customer=globex)  # fmt: skip
    desk.drain()
    return desk
