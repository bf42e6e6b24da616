"""Availability and its credit, against a naive minute-by-minute count across zones and DST.

The reference knows nothing of ``Period.bounds`` or interval unions: it walks every UTC
minute near the month, keeps those whose local date (in the customer's zone) falls in the
month, and counts one as down when an outage covers it and no maintenance window does.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from supportbot.contracts.credit_terms import DEFAULT_BANDS, CreditTerms
from supportbot.reports.availability import (
    OutageRecord,
    WindowRecord,
    availability,
    band_for,
)
from supportbot.reports.credits import CreditLine
from supportbot.reports.records import Period, PeriodKind
from supportbot.reports.statement import AVAILABILITY, Waiver, statement

MINUTE = timedelta(minutes=1)
ZONES = (
    "UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kathmandu",
    "Pacific/Chatham", "America/St_Johns", "Pacific/Kiritimati",
)  # fmt: skip
# DST changes (March, April, October, November), a leap February, a 31-day month.
MONTHS = (date(2026, 3, 1), date(2026, 10, 1), date(2026, 11, 1), date(2028, 2, 1),
          date(2027, 4, 1), date(2026, 12, 1))  # fmt: skip
FEE = Decimal("12000.00")
TERMS = CreditTerms(monthly_fee=FEE)


def naive(
    zone: str,
    first: date,
    outages: list[OutageRecord],
    windows: list[WindowRecord],
    as_of: datetime,
) -> tuple[int, int]:
    """(minutes in the local month, minutes down), one minute at a time."""
    tz = ZoneInfo(zone)
    instant = datetime(first.year, first.month, 1, tzinfo=UTC) - timedelta(hours=15)
    stop = instant + timedelta(days=33)
    in_month = down = 0
    mine = [o for o in outages if o.customer == "acme"]
    planned = [w for w in windows if w.customer == "acme"]
    while instant < stop:
        local = instant.astimezone(tz)
        if (local.year, local.month) == (first.year, first.month):
            in_month += 1
            out = any(o.opened_at <= instant < (o.resolved_at or as_of) for o in mine) and not any(
                w.starts_at <= instant < w.ends_at for w in planned
            )
            down += out
        instant += MINUTE
    return in_month, down


def naive_band(in_month: int, down: int) -> Decimal:
    percent = Fraction(in_month - down, in_month) * 100
    owed = Decimal(0)
    for band in DEFAULT_BANDS:
        if percent < Fraction(band.below):
            owed = max(owed, band.percent)
    return owed


def random_case(rng: random.Random, first: date) -> tuple[list[OutageRecord], list[WindowRecord]]:
    base = datetime(first.year, first.month, 1, tzinfo=UTC) - timedelta(hours=14)
    span = 33 * 24 * 60

    def instant() -> datetime:
        return base + rng.randrange(span) * MINUTE

    outages = []
    for n in range(rng.randrange(0, 7)):
        start = instant()
        # Mostly short outages (tens of minutes, to land near the 99.9 % line), some long.
        minutes = rng.choice((rng.randrange(1, 90), rng.randrange(60, 3 * 24 * 60)))
        resolved = None if rng.random() < 0.15 else start + minutes * MINUTE
        customer = "acme" if rng.random() < 0.85 else "globex"
        outages.append(OutageRecord(f"INC-{n + 1}", customer, start, resolved))
    windows = []
    for n in range(rng.randrange(0, 4)):
        start = instant()
        end = start + rng.randrange(10, 600) * MINUTE
        windows.append(WindowRecord(n + 1, rng.choice(("acme", "acme", "globex")), start, end, ""))
    return outages, windows


@pytest.mark.parametrize("zone", ZONES)
def test_availability_matches_a_minute_by_minute_count(zone: str) -> None:
    rng = random.Random(zone)
    for first in MONTHS:
        period = Period(PeriodKind.MONTH, first)
        for _ in range(2):
            outages, windows = random_case(rng, first)
            as_of = datetime(first.year, first.month, 1, tzinfo=UTC) + timedelta(
                minutes=rng.randrange(10 * 24 * 60, 40 * 24 * 60)
            )
            got = availability("acme", zone, period, outages, windows, as_of)
            in_month, down = naive(zone, first, outages, windows, as_of)
            assert (got.end - got.start) == in_month * MINUTE, (zone, first)
            assert got.down == down * MINUTE, (zone, first, outages, windows)
            band = band_for(got.fraction, DEFAULT_BANDS)
            assert (band.percent if band else Decimal(0)) == naive_band(in_month, down)
            report = statement("acme", period, TERMS, [], got, [])
            expected = (FEE * naive_band(in_month, down) / 100).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP
            )
            assert report.total == expected


def test_a_dst_month_has_its_own_length() -> None:
    march = Period(PeriodKind.MONTH, date(2026, 3, 1))
    november = Period(PeriodKind.MONTH, date(2026, 11, 1))
    ny = "America/New_York"
    spring = availability("acme", ny, march, [], [], datetime(2026, 5, 1, tzinfo=UTC))
    autumn = availability("acme", ny, november, [], [], datetime(2026, 12, 2, tzinfo=UTC))
    assert spring.end - spring.start == timedelta(days=31) - timedelta(hours=1)  # 743 h
    assert autumn.end - autumn.start == timedelta(days=30) + timedelta(hours=1)  # 721 h
    assert spring.fraction == 1 and str(spring.percent) == "100.000"


def test_the_worked_examples_of_the_readme() -> None:
    """A 30-day month in UTC is 43,200 minutes: 99.9 % allows exactly 43 min 12 s down."""
    april = Period(PeriodKind.MONTH, date(2026, 4, 1))
    start = datetime(2026, 4, 10, 3, 0, tzinfo=UTC)
    after = datetime(2026, 5, 1, tzinfo=UTC)

    def month(down: timedelta, windows: list[WindowRecord] = []) -> tuple[str, Decimal]:  # noqa: B006
        outage = OutageRecord("INC-1", "acme", start, start + down)
        got = availability("acme", "UTC", april, [outage], windows, after)
        return str(got.percent), statement("acme", april, TERMS, [], got, []).total

    assert month(timedelta(minutes=43, seconds=12)) == ("99.900", Decimal("0.00"))  # not below
    assert month(timedelta(minutes=43, seconds=13)) == ("99.899", Decimal("1200.00"))  # 10 %
    assert month(timedelta(hours=4)) == ("99.444", Decimal("3000.00"))  # below 99.5: 25 %
    assert month(timedelta(hours=8)) == ("98.888", Decimal("6000.00"))  # below 99.0: 50 %
    # Eight hours down, of which 7 h 30 were a declared maintenance window: 30 min counts.
    window = WindowRecord(1, "acme", start + timedelta(minutes=30), start + timedelta(hours=9), "")
    assert month(timedelta(hours=8), [window]) == ("99.930", Decimal("0.00"))


def test_the_cap_and_waivers() -> None:
    april = Period(PeriodKind.MONTH, date(2026, 4, 1))
    opened = datetime(2026, 4, 3, tzinfo=UTC)
    outage = OutageRecord("INC-1", "acme", opened, opened + timedelta(hours=9))
    got = availability("acme", "UTC", april, [outage], [], datetime(2026, 5, 1, tzinfo=UTC))
    late = [
        CreditLine(f"INC-{n}", "acme", 1, "Severity 1 response within 1 h", opened,
                   opened + timedelta(hours=1), None, timedelta(hours=2), Decimal("5000.00"))
        for n in (1, 2, 3)
    ]  # fmt: skip
    capped = statement("acme", april, TERMS, late, got, [])
    assert capped.gross == Decimal("21000.00") and capped.total == FEE and capped.capped
    at = datetime(2026, 5, 2, tzinfo=UTC)
    waived = [
        Waiver("acme", "2026-04", AVAILABILITY, "customer's own DNS", "U0STAFF001", at),
        Waiver("acme", "2026-04", "INC-2", "duplicate", "U0STAFF001", at),
        Waiver("acme", "2026-03", "INC-3", "another month: not this one", "U0STAFF001", at),
    ]
    report = statement("acme", april, TERMS, late, got, waived)
    assert report.gross == Decimal("10000.00") and report.waived == Decimal("11000.00")
    assert report.total == Decimal("10000.00") and not report.capped
    assert set(report.waivers) == {AVAILABILITY, "INC-2"}


def test_without_a_fee_nothing_is_guessed() -> None:
    april = Period(PeriodKind.MONTH, date(2026, 4, 1))
    opened = datetime(2026, 4, 3, tzinfo=UTC)
    outage = OutageRecord("INC-1", "acme", opened, opened + timedelta(days=2))
    got = availability("acme", "UTC", april, [outage], [], datetime(2026, 5, 1, tzinfo=UTC))
    report = statement("acme", april, CreditTerms(), [], got, [])
    assert report.availability is None and report.cap is None and report.total == 0
    assert any("no monthly fee" in note for note in report.notes)


def test_a_month_not_over_is_provisional_and_an_open_outage_counts_until_now() -> None:
    april = Period(PeriodKind.MONTH, date(2026, 4, 1))
    opened = datetime(2026, 4, 29, 20, 0, tzinfo=UTC)
    outage = OutageRecord("INC-1", "acme", opened, None)
    now = opened + timedelta(hours=2)
    got = availability("acme", "UTC", april, [outage], [], now)
    assert got.down == timedelta(hours=2) and not got.final
    assert got.outages[0].still_open
    report = statement("acme", april, TERMS, [], got, [])
    assert any("not over" in note for note in report.notes)


@pytest.mark.parametrize("reopened_until", [None, timedelta(hours=1)])
def test_the_time_an_outage_sat_resolved_is_not_downtime(
    reopened_until: timedelta | None,
) -> None:
    """Down 2 h, resolved for 5 days, reopened: down again until resolved (1 h) or, still
    open, until now (3 h later)."""
    april = Period(PeriodKind.MONTH, date(2026, 4, 1))
    opened = datetime(2026, 4, 3, 8, 0, tzinfo=UTC)
    resolved, reopened = opened + timedelta(hours=2), opened + timedelta(days=5)
    final = reopened + reopened_until if reopened_until is not None else None
    outage = OutageRecord("INC-1", "acme", opened, final, ((resolved, reopened),))
    now = reopened + timedelta(hours=3)

    got = availability("acme", "UTC", april, [outage], [], now)

    assert got.down == timedelta(hours=2) + (reopened_until or timedelta(hours=3))
    assert [(s.start, s.end) for s in got.outages] == [
        (opened, resolved), (reopened, final or now),
    ]  # fmt: skip
