"""When scheduled reports are due, against a naive walk over each month's first days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from supportbot.contracts.customers import load_contracts
from supportbot.digests.schedule import in_window, monthly_due, weekly_due
from supportbot.hours.days import DAY_NAMES
from tests.conftest import REPO

CONTRACTS = load_contracts(REPO / "contracts" / "customers.yaml")


def naive_first_opening(key: str, year: int, month: int) -> datetime:
    customer = CONTRACTS.by_key(key)
    assert customer is not None
    hours = customer.business_hours
    day = date(year, month, 1)
    while True:
        closed = hours.holidays is not None and day in hours.holidays.dates(day.year)
        if DAY_NAMES[day.weekday()] in hours.days and not closed:
            return datetime.combine(day, hours.start, ZoneInfo(customer.timezone)).astimezone(UTC)
        day += timedelta(days=1)


@pytest.mark.parametrize("key", ["acme", "globex", "initech"])
def test_the_monthly_report_is_due_at_the_first_business_opening(key: str) -> None:
    customer = CONTRACTS.by_key(key)
    assert customer is not None
    for year in (2026, 2027, 2028):
        for month in range(1, 13):
            opening = naive_first_opening(key, year, month)
            # Asked at noon UTC on the 15th: the month before is the one reported.
            period, due = monthly_due(customer, datetime(year, month, 15, 12, tzinfo=UTC))
            assert due == opening, (key, year, month)
            assert period.next_first_day() == date(year, month, 1)
            assert in_window(opening, due, timedelta(days=7))
            assert not in_window(opening - timedelta(seconds=1), due, timedelta(days=7))


def test_the_weekly_digest_is_due_monday_0800_utc() -> None:
    for offset in range(0, 24 * 28, 5):
        now = datetime(2026, 3, 1, tzinfo=UTC) + timedelta(hours=offset)
        period, due = weekly_due(now)
        monday = now.date() - timedelta(days=now.weekday())
        assert due == datetime.combine(monday, time(8), UTC)
        assert period.first_day == monday - timedelta(days=7)
