"""The dashboard's figures between refreshes (dashboard/cache): served from memory while
young, served stale while one thread recomputes them, computed again when too old, and a
failing refresh is logged, counted and, past the limit, fails the request visibly."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from supportbot.clock import TravelClock
from supportbot.contracts.customers import Customer
from supportbot.dashboard.cache import ENTRIES, MAX_AGE, STALE_AFTER, Kept
from supportbot.dashboard.data import View, load
from supportbot.dashboard.views import ENDED_MAX_AGE, Pages
from supportbot.desk import intake
from supportbot.reports.records import Period, PeriodKind, period_of
from supportbot.runtime import Runtime
from tests.support.slack_requests import STAFF

SECOND = timedelta(seconds=1)


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(datetime(2026, 3, 10, 14, 0, tzinfo=UTC))


def month(rt: Runtime) -> Period:
    return period_of(PeriodKind.MONTH, rt.now(), "UTC")


def open_one(rt: Runtime, title: str = "checkout down") -> None:
    intake.open_incident(rt, title=title, severity=2, reporter=STAFF,
                         customer=rt.contracts.by_key("acme"))  # fmt: skip


def counted() -> tuple[list[Period], Callable[[Runtime, Period, Customer | None], View]]:
    """The real computation, counting how often it runs."""
    runs: list[Period] = []

    def compute(rt: Runtime, period: Period, customer: Customer | None) -> View:
        runs.append(period)
        return load(rt, period, customer)

    return runs, compute


def failures() -> float:
    return REGISTRY.get_sample_value("supportbot_dashboard_refresh_failures_total") or 0.0


def test_young_figures_are_served_then_refreshed_behind_the_page(
    rt: Runtime, clock: TravelClock
) -> None:
    runs, compute = counted()
    views = Kept(rt, compute)
    open_one(rt)
    first = views.get(month(rt), None)
    assert first.overall.opened == 1 and len(runs) == 1

    open_one(rt, "a second one")
    clock.advance(MAX_AGE)
    assert views.get(month(rt), None) is first  # young: the same figures, not computed again
    assert len(runs) == 1

    clock.advance(SECOND)  # old: served at once, and recomputed behind it
    assert views.get(month(rt), None) is first
    views.wait_idle()
    assert len(runs) == 2
    second = views.get(month(rt), None)
    assert second.overall.opened == 2 and second.as_of == first.as_of + MAX_AGE + SECOND

    # A customer's figures are kept apart from everyone's.
    acme = rt.contracts.by_key("acme")
    assert views.get(month(rt), acme).statement("acme") is not None
    assert views.get(month(rt), None) is second and len(runs) == 3


def test_figures_past_the_limit_are_computed_before_answering(
    rt: Runtime, clock: TravelClock
) -> None:
    runs, compute = counted()
    views = Kept(rt, compute)
    first = views.get(month(rt), None)
    open_one(rt)
    clock.advance(STALE_AFTER * MAX_AGE + SECOND)
    now = views.get(month(rt), None)
    assert now is not first and now.overall.opened == 1 and now.as_of == rt.now()
    views.wait_idle()
    assert len(runs) == 2  # no refresh behind it as well


def test_a_failing_refresh_is_counted_and_then_fails_the_request(
    rt: Runtime, clock: TravelClock, caplog: pytest.LogCaptureFixture
) -> None:
    views = Kept(rt, load)
    open_one(rt)
    first = views.get(month(rt), None)
    before = failures()
    with rt.engine.begin() as db:  # the database loses its table, as a bad migration would
        db.execute(text("ALTER TABLE incidents RENAME TO incidents_away"))
    try:
        clock.advance(MAX_AGE + SECOND)
        assert views.get(month(rt), None) is first  # still the last good figures, as of then
        views.wait_idle()
        assert failures() == before + 1
        assert "could not be recomputed" in caplog.text
        clock.advance(STALE_AFTER * MAX_AGE)
        with pytest.raises(DBAPIError):
            views.get(month(rt), None)
    finally:
        with rt.engine.begin() as db:
            db.execute(text("ALTER TABLE incidents_away RENAME TO incidents"))
    assert views.get(month(rt), None).overall.opened == 1


def test_many_first_requests_compute_once(rt: Runtime) -> None:
    runs, compute = counted()
    views = Kept(rt, compute)
    open_one(rt)
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda _: views.get(month(rt), None), range(16)))
    assert len(runs) == 1 and all(view is got[0] for view in got)


def test_only_so_many_periods_are_kept(rt: Runtime) -> None:
    runs, compute = counted()
    views = Kept(rt, compute)
    days = [Period(PeriodKind.DAY, (rt.now() - timedelta(days=n)).date()) for n in range(ENTRIES)]
    for day in days:
        views.get(day, None)
    views.get(days[0], None)  # asked for again: kept
    extra = Period(PeriodKind.DAY, (rt.now() - timedelta(days=ENTRIES)).date())
    views.get(extra, None)  # one more than it keeps: the least recently asked for goes
    assert len(runs) == ENTRIES + 1
    views.get(days[0], None)
    assert len(runs) == ENTRIES + 1
    views.get(days[1], None)
    assert len(runs) == ENTRIES + 2 and runs[-1] == days[1]


def test_the_trend_keeps_ended_months_longer_than_the_current_one(
    rt: Runtime, clock: TravelClock
) -> None:
    """A refreshed trend recomputes the current month alone; an ended month's row (changed
    only by an import or a waiver, here an incident back-dated into February) shows its change
    once that row is older than it is kept for."""
    pages = Pages(rt)
    now = rt.now()

    def back_dated_to_february() -> None:
        clock.set(datetime(2026, 2, 10, 14, 0, tzinfo=UTC))
        open_one(rt, "back-dated")
        clock.set(now)

    def opened() -> tuple[int, int]:  # February's and March's
        rows = pages.trends.get(month(rt), None).rows
        assert [rows[-2]["period"], rows[-1]["period"]] == ["2026-02", "2026-03"]
        return rows[-2]["opened"], rows[-1]["opened"]

    back_dated_to_february()
    assert opened() == (1, 0)
    back_dated_to_february()
    open_one(rt, "this month")
    now += STALE_AFTER * MAX_AGE + SECOND  # the trend is recomputed before answering
    clock.set(now)
    assert opened() == (1, 1)  # February's row is still the one kept
    now += STALE_AFTER * ENDED_MAX_AGE
    clock.set(now)
    assert opened() == (2, 1)
