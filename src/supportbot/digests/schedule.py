"""When the scheduled reports are due. Pure.

- A customer's monthly report for the previous month is due at the first business opening
  of the month in the customer's own calendar (holidays and weekends skipped).
- The weekly digest of the previous ISO week (Monday to Monday, UTC) is due Monday 08:00 UTC.
- Each is made from its due instant until :data:`MONTHLY_LATEST` / :data:`WEEKLY_LATEST` after.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from supportbot.contracts.customers import Customer
from supportbot.reports.records import Period, PeriodKind, period_of

DIGEST_AT = timedelta(hours=8)
# A report not made within this long of its due instant is skipped: a first deploy, or a
# worker back after a long outage, does not post stale reports.
MONTHLY_LATEST = timedelta(days=7)
WEEKLY_LATEST = timedelta(days=1)


def month_ended(customer: Customer, now: datetime) -> tuple[Period, datetime]:
    """(the customer's last ended month as of ``now``, the instant it ended: local midnight
    on the 1st in their zone)."""
    month = period_of(PeriodKind.MONTH, now, customer.timezone)
    midnight = datetime.combine(month.first_day, time(0), ZoneInfo(customer.timezone))
    return month.previous(), midnight


def monthly_due(customer: Customer, now: datetime) -> tuple[Period, datetime]:
    """(the month to report, the instant it is due: the first business opening after it
    ended) as of ``now``."""
    month, ended = month_ended(customer, now)
    return month, customer.calendar().next_opening(ended)


def weekly_due(now: datetime) -> tuple[Period, datetime]:
    week = period_of(PeriodKind.WEEK, now, "UTC")
    return week.previous(), week.bounds("UTC")[0] + DIGEST_AT


def in_window(now: datetime, due: datetime, latest: timedelta) -> bool:
    return due <= now < due + latest
