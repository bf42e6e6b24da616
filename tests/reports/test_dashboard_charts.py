"""The dashboard's trend charts in a real headless Chromium: Chart.js (vendored, served by the
app) draws the 12 months from the trend JSON, and the numbers the charts hold equal those
worked out here from the database rows; a contact's charts hold only their organisation;
the JSON and its CSV answer as the pages do; nothing is fetched from anywhere but the app.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import mean
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait
from sqlalchemy import select

from supportbot.clock import TravelClock
from supportbot.dashboard.cache import MAX_AGE, STALE_AFTER
from supportbot.db.models import Incident, SlaClock, TimelineEvent
from supportbot.desk import actions, intake
from supportbot.runtime import Runtime
from tests.conftest import Desk
from tests.reports.test_dashboard import (  # noqa: F401 - settings: a fixture used by name
    STAFF_ACTOR,
    session_cookie,
    settings,
    shoot,
    tile,
)
from tests.support.records import ACME_ALICE, ACME_TEAM
from tests.support.slack_requests import STAFF, TEAM_ID

MONTHS = [f"2025-{m:02d}" for m in range(4, 13)] + ["2026-01", "2026-02", "2026-03"]
DRAWN = """
return ["chart-volume", "chart-sla", "chart-times"].map(function (id) {
  var chart = window.Chart && Chart.getChart(document.getElementById(id));
  return chart ? {labels: chart.data.labels,
                  sets: chart.data.datasets.map(function (d) { return [d.label, d.data]; })}
               : null;
});
"""


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(datetime(2026, 1, 14, 12, 0, tzinfo=UTC))


def _open(desk: Desk, customer: str, severity: int, title: str) -> int:
    owner = desk.rt.contracts.by_key(customer)
    assert owner is not None
    return intake.open_incident(desk.rt, title=title, severity=severity, reporter=STAFF,
                                customer=owner).id  # fmt: skip


def _travel_to(desk: Desk, when: datetime) -> None:
    desk.travel(when - desk.rt.now())


@pytest.fixture
def history(desk: Desk) -> Desk:
    """Three months of incidents, each opened at midday UTC (the same month in every zone).

    January: Acme Sev2 (acknowledged after 30 min, resolved after 2 h), Globex Sev3 (1 h,
    4 h). February: Acme Sev1 acknowledged 90 min late, resolved after 3 h. March: Acme Sev3
    acknowledged after 10 min and Globex Sev2, both still open."""
    acme_jan, globex_jan = _open(desk, "acme", 2, "Jan"), _open(desk, "globex", 3, "Jan")
    for minutes, step in ((30, lambda: actions.acknowledge(desk.rt, acme_jan, STAFF_ACTOR)),
                          (30, lambda: actions.acknowledge(desk.rt, globex_jan, STAFF_ACTOR)),
                          (60, lambda: actions.resolve(desk.rt, acme_jan, STAFF_ACTOR, "fixed")),
                          (120, lambda: actions.resolve(desk.rt, globex_jan, STAFF_ACTOR,
                                                        "fixed"))):  # fmt: skip
        desk.travel(timedelta(minutes=minutes))
        step()
    _travel_to(desk, datetime(2026, 2, 12, 12, 0, tzinfo=UTC))
    acme_feb = _open(desk, "acme", 1, "Feb")
    desk.travel(timedelta(minutes=90))
    actions.acknowledge(desk.rt, acme_feb, STAFF_ACTOR)
    desk.travel(timedelta(minutes=90))
    actions.resolve(desk.rt, acme_feb, STAFF_ACTOR, "rolled back")
    _travel_to(desk, datetime(2026, 3, 10, 12, 0, tzinfo=UTC))
    acme_mar = _open(desk, "acme", 3, "Mar")
    _open(desk, "globex", 2, "Globex secret project")
    desk.travel(timedelta(minutes=10))
    actions.acknowledge(desk.rt, acme_mar, STAFF_ACTOR)
    desk.drain()
    return desk


def from_database(rt: Runtime, customer: str | None) -> dict[str, list[Any]]:
    """Each chart's series worked out from the rows: months by the UTC instant (every
    incident here opened at midday), a clock met when it stopped by its due instant,
    breached when it stopped later or still runs past it, else left out."""
    now = rt.now()
    with rt.session() as session:
        found = [i for i in session.scalars(select(Incident)) if customer in (None, i.customer)]
        clocks = list(session.scalars(select(SlaClock)))
        events = list(session.scalars(select(TimelineEvent)))
    acked = {}
    for event in sorted(events, key=lambda e: e.at, reverse=True):
        if event.kind == "status:acknowledged":
            acked[event.incident_id] = event.at

    def month(at: datetime | None) -> str | None:
        return None if at is None else at.strftime("%Y-%m")

    def sla(opened: list[Incident], kind: str) -> float | None:
        verdicts = []
        for c in (c for c in clocks if c.kind == kind and c.incident_id in {i.id for i in opened}):
            assert c.due_at is not None
            end = c.stopped_at or (now if now > c.due_at else None)
            if end is not None:
                verdicts.append(end <= c.due_at)
        return round(100 * sum(verdicts) / len(verdicts), 2) if verdicts else None

    def hours(spans: list[timedelta]) -> float | None:
        return round(mean(s.total_seconds() for s in spans) / 3600, 2) if spans else None

    out: dict[str, list[Any]] = {k: [] for k in ("Opened", "Resolved", "Response SLA",
                                                  "Resolution SLA", "MTTA", "MTTR")}  # fmt: skip
    for label in MONTHS:
        opened = [i for i in found if month(i.opened_at) == label]
        out["Opened"].append(len(opened))
        out["Resolved"].append(sum(month(i.resolved_at) == label for i in found))
        out["Response SLA"].append(sla(opened, "response"))
        out["Resolution SLA"].append(sla(opened, "resolution"))
        out["MTTA"].append(hours([acked[i.id] - i.opened_at for i in opened if i.id in acked]))
        out["MTTR"].append(hours([i.resolved_at - i.opened_at for i in opened if i.resolved_at]))
    return out


def drawn(driver: webdriver.Chrome, until: Callable[[dict[str, list[Any]]], bool] = bool
          ) -> dict[str, list[Any]]:  # fmt: skip
    """The series the three charts hold (Chart.getChart(canvas).data), once drawn."""

    def read(d: webdriver.Chrome) -> dict[str, list[Any]] | None:
        charts = d.execute_script(DRAWN)
        if not all(charts):
            return None
        assert all(c["labels"] == MONTHS for c in charts)
        series = {label: data for c in charts for label, data in c["sets"]}
        return series if until(series) else None

    return WebDriverWait(driver, 20).until(read)


def approx(series: dict[str, list[Any]]) -> dict[str, list[Any]]:
    return {k: [v if v is None else pytest.approx(v, abs=0.01) for v in vs]
            for k, vs in series.items()}  # fmt: skip


def requested(driver: webdriver.Chrome) -> list[str]:
    """Every URL the browser asked for since the last call (Chrome's performance log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


# long: one scenario in the browser, read top to bottom
def test_staff_see_the_trend_charted_from_the_database(
    history: Desk, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    desk = history
    desk.api.sign_in_as(STAFF, TEAM_ID, "Sam Staff")
    browser.get(f"{desk.url}/dashboard")
    everyone = from_database(desk.rt, None)
    assert everyone["Opened"][-3:] == [2, 1, 2] and everyone["Response SLA"][-2] == 0.0
    assert everyone["MTTA"][-3:] == [0.75, 1.5, pytest.approx(0.17)]
    assert drawn(browser) == approx(everyone)
    shoot(browser, tmp_path, "trend-overview")
    shoot(browser, tmp_path, "trend-overview-charts", part="trend")
    browser.set_window_size(390, 844)  # phone width: the charts shrink to fit, no sideways scroll
    WebDriverWait(browser, 10).until(lambda b: b.execute_script(
        "return Chart.getChart(document.getElementById('chart-sla')).width <= innerWidth"
        " && document.documentElement.scrollWidth <= innerWidth"))  # fmt: skip
    browser.set_window_size(1280, 900)

    # The page itself names nothing elsewhere, and the browser asked only the app.
    html = browser.page_source
    assert not re.search(r"(?:src|href|action)=\"(?!/(?!/)|#)", html), html
    assert "http" not in html.split("<main", 1)[0]  # head and header: no external origin
    signing_in = requested(browser)  # with the sign-in through the Slack stand-in
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in signing_in if "http" in u[:4])
    browser.refresh()
    drawn(browser)
    reloaded = requested(browser)
    assert f"{desk.url}/dashboard/trend.json?month=2026-03" in reloaded
    # data: URLs are the browser's own (the month field's calendar icon): no request at all.
    assert all(u.startswith((desk.url + "/", "data:")) for u in reloaded), reloaded
    page = requests.get(f"{desk.url}/dashboard", cookies=session_cookie(browser), timeout=10)
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy.split("script-src")[1]
    assert not re.search(r"https?:|\*|//", policy), policy

    # The refresh without reload redraws the same charts with the new figures.
    browser.execute_script("window.kept = Chart.getChart(document.getElementById('chart-volume'))")
    _open(desk, "initech", 4, "Mar, one more")
    # Past the age the figures are kept for, and past the one they are served stale for.
    desk.rt.clock.advance(STALE_AFTER * MAX_AGE + timedelta(seconds=1))  # type: ignore[attr-defined]
    browser.execute_script("window.supportbotRefresh()")
    assert drawn(browser, lambda s: s["Opened"][-1] == 3)["Opened"][-1] == 3
    assert tile(browser, "opened") == "3"
    assert browser.execute_script(
        "return Chart.getChart(document.getElementById('chart-volume')) === window.kept"
    )

    browser.find_element(By.LINK_TEXT, "Acme Corp").click()
    WebDriverWait(browser, 20).until(lambda b: "/dashboard/customer/acme" in b.current_url)
    acme = from_database(desk.rt, "acme")
    assert acme["Opened"][-3:] == [1, 1, 1] and acme != from_database(desk.rt, "globex")
    assert drawn(browser) == approx(acme)
    shoot(browser, tmp_path, "trend-customer")
    shoot(browser, tmp_path, "trend-customer-charts", part="trend")

    table = requests.get(f"{desk.url}/dashboard/csv/acme?table=trend&month=2026-03",
                         cookies=session_cookie(browser), timeout=10)  # fmt: skip
    assert table.status_code == 200 and table.headers["content-type"].startswith("text/csv")
    assert table.text.startswith("# supportbot trend acme, 12 months to 2026-03, as of 2026-03-10")
    assert "# mtta: mean of opened → first acknowledgement" in table.text
    rows = list(
        csv.DictReader(
            io.StringIO(
                "".join(line for line in table.text.splitlines(True) if not line.startswith("#"))
            )
        )
    )
    assert [r["period"] for r in rows] == MONTHS
    assert [int(r["opened"]) for r in rows] == acme["Opened"]
    assert [round(float(r["mttr_s"]) / 3600, 2) if r["mttr_s"] else None
            for r in rows] == acme["MTTR"]  # fmt: skip


def test_a_contacts_trend_is_their_organisations_only(
    history: Desk, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    desk = history
    desk.api.sign_in_as(ACME_ALICE, ACME_TEAM, "Alice at Acme")
    browser.get(f"{desk.url}/dashboard")
    assert browser.current_url.startswith(f"{desk.url}/dashboard/customer/acme")
    assert drawn(browser) == approx(from_database(desk.rt, "acme"))
    assert from_database(desk.rt, "acme") != from_database(desk.rt, None)
    shoot(browser, tmp_path, "trend-contact")

    cookies = session_cookie(browser)
    mine = requests.get(f"{desk.url}/dashboard/trend.json", cookies=cookies, timeout=10)
    assert mine.status_code == 200 and mine.headers["content-type"] == "application/json"
    assert mine.json()["customer"] == "acme" and mine.json()["rows"][-1]["opened"] == 1
    for path in ("/dashboard/trend/globex.json", "/dashboard/trend/umbrella.json",
                 "/dashboard/csv/globex?table=trend"):  # fmt: skip
        refused = requests.get(desk.url + path, cookies=cookies, timeout=10)
        assert refused.status_code == 404 and "secret" not in refused.text


def test_the_trend_json_refuses_as_the_pages_do(history: Desk, browser: webdriver.Chrome) -> None:
    desk = history
    for path in ("/dashboard/trend.json", "/dashboard/trend/acme.json",
                 "/dashboard/csv/acme?table=trend"):  # fmt: skip
        anonymous = requests.get(desk.url + path, timeout=10)
        assert anonymous.status_code == 401 and "opened" not in anonymous.text
    bad = requests.get(f"{desk.url}/dashboard/trend.json?month=March", timeout=10)
    assert bad.status_code == 401  # who asks is checked before what they ask

    desk.api.sign_in_as("U0STRANGER", "T0ELSEWHERE", "Someone")
    browser.get(f"{desk.url}/dashboard")
    assert "No access" in browser.page_source
    stranger = requests.get(f"{desk.url}/dashboard/trend/acme.json",
                            cookies=session_cookie(browser), timeout=10)  # fmt: skip
    assert stranger.status_code == 403 and "opened" not in stranger.text

    desk.api.sign_in_as(STAFF, TEAM_ID, "Sam Staff")
    browser.get(f"{desk.url}/dashboard/login")
    staff = session_cookie(browser)
    wrong = requests.get(f"{desk.url}/dashboard/trend.json?month=March", cookies=staff, timeout=10)
    assert wrong.status_code == 400 and "YYYY-MM" in wrong.json()["error"]
    assert wrong.headers["content-type"] == "application/json"
    unknown = requests.get(f"{desk.url}/dashboard/trend/nobody.json", cookies=staff, timeout=10)
    assert (unknown.status_code, unknown.json()["status"]) == (404, 404)
    table = requests.get(f"{desk.url}/dashboard/csv/?table=nope", cookies=staff, timeout=10)
    assert table.status_code == 404 and table.headers["content-type"].startswith("text/plain")
    assert "<html" not in table.text.lower() and table.text.strip()
    every = requests.get(f"{desk.url}/dashboard/trend.json?month=2026-02", cookies=staff,
                         timeout=10).json()  # fmt: skip
    assert every["customer"] is None and every["rows"][-1]["period"] == "2026-02"
    assert [r["period"] for r in every["rows"]][0] == "2025-03"


def test_the_vendored_chart_library_is_served_with_its_licence(desk: Desk) -> None:
    script = requests.get(f"{desk.url}/dashboard/static/chart.umd.min.js", timeout=10)
    assert script.status_code == 200 and script.text.startswith("/*!\n * Chart.js v4.")
    assert script.headers["content-type"].startswith("text/javascript")
    assert "max-age=31536000" in script.headers["cache-control"]
    licence = requests.get(f"{desk.url}/dashboard/static/chart.js-LICENSE.md", timeout=10)
    assert licence.status_code == 200 and "The MIT License" in licence.text
    for name in ("README.md", "..%2Fviews.py", "nothing.js"):
        assert requests.get(f"{desk.url}/dashboard/static/{name}", timeout=10).status_code == 404
