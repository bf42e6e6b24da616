"""Business-time durations against a plain minute-by-minute reference, across zones, DST
changes (New York in March and November, Dublin, Lord Howe's half hour), holidays and the
boundaries of days, weeks and months.

The reference (``tests/sla/test_calendar_bruteforce.Reference``) converts each UTC minute to
local time and asks "is this minute open?"; every instant here falls on a whole minute and
business hours start and end on whole minutes, so a minute is wholly open or wholly closed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportbot.hours.calendar import BusinessCalendar, BusinessHours, HolidayCalendar, WallClock
from supportbot.hours.open_time import OpenTime
from supportbot.reports.business import MIXED
from supportbot.reports.figures import GROUPINGS, Figures, grouped
from supportbot.reports.records import ClockRecord, IncidentRecord, PeriodKind, period_of
from tests.reports.test_formulas import in_local, naive_mean
from tests.sla.test_calendar_bruteforce import Reference

MINUTE = timedelta(minutes=1)
# Sundays of DST changes (the next day starts a week) and a month's end.
AROUND = (
    datetime(2026, 3, 8, 7, tzinfo=UTC),  # New York springs forward at 07:00Z
    datetime(2026, 11, 1, 6, tzinfo=UTC),  # New York falls back at 06:00Z
    datetime(2026, 3, 29, 1, tzinfo=UTC),  # Dublin springs forward at 01:00Z
    datetime(2026, 10, 25, 1, tzinfo=UTC),  # Dublin falls back at 01:00Z
    datetime(2026, 4, 5, 16, tzinfo=UTC),  # Lord Howe falls back half an hour (02:00 local)
    datetime(2026, 3, 31, 23, tzinfo=UTC),  # a month's end, the night Europe is a day ahead
    datetime(2026, 12, 25, 12, tzinfo=UTC),  # Christmas in every calendar
)


def hours(zone: str, start: time, end: time, days: list[str], country: str,
          subdivision: str | None = None) -> BusinessHours:  # fmt: skip
    closed = HolidayCalendar(country=country, subdivision=subdivision)
    return BusinessHours(timezone=zone, start=start, end=end, days=days, holidays=closed)


WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# Hours that straddle the DST changes on purpose (01:00-03:00 New York, 00:30-02:30 Dublin),
# and ordinary ones.
CALENDARS = {
    "new_york": hours("America/New_York", time(1), time(3), WEEK, "US", "NY"),
    "new_york_office": hours("America/New_York", time(9), time(17), WEEK[:5], "US", "NY"),
    "dublin": hours("Europe/Dublin", time(0, 30), time(2, 30), WEEK[:6], "IE"),
    "lord_howe": hours("Australia/Lord_Howe", time(1), time(3), WEEK, "AU", "NSW"),
    "singapore": hours("Asia/Singapore", time(9), time(17), WEEK[:5], "SG"),
}


def whole_minute(base: datetime, minutes: int) -> datetime:
    return base.replace(minute=0, second=0, microsecond=0) + minutes * MINUTE


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(sorted(CALENDARS)),
    around=st.sampled_from(AROUND),
    pairs=st.lists(
        st.tuples(st.integers(-4 * 1440, 4 * 1440), st.integers(-2 * 1440, 3 * 1440)),
        min_size=1, max_size=6,
    ),
)  # fmt: skip
def test_open_time_equals_the_minute_by_minute_reference(
    name: str, around: datetime, pairs: list[tuple[int, int]]
) -> None:
    calendar = BusinessCalendar(CALENDARS[name])
    table = OpenTime(calendar)  # one table, asked in any order: it extends itself
    reference = Reference(CALENDARS[name])
    for start, length in pairs:
        a = whole_minute(around, start)
        b = a + length * MINUTE
        low, high = min(a, b), max(a, b)
        expected = reference.minutes_between(low, high) * MINUTE
        got = table.between(a, b)
        assert got == (expected if b >= a else -expected), (name, a, b)
        assert got == calendar.between(a, b)  # the calendar's own walk agrees to the µs


def test_open_time_across_a_year_and_far_apart_instants() -> None:
    """An incident resolved months later extends the table both ways; a holiday counts 0."""
    calendar = BusinessCalendar(CALENDARS["new_york_office"])
    table = OpenTime(calendar)
    christmas = datetime(2026, 12, 25, 14, tzinfo=UTC)  # a Friday, a US holiday
    assert table.between(christmas, christmas + timedelta(hours=3)) == timedelta(0)
    a, b = datetime(2026, 1, 2, 15, tzinfo=UTC), datetime(2026, 12, 31, 22, tzinfo=UTC)
    assert table.between(a, b) == calendar.between(a, b)
    assert table.between(b, a) == -calendar.between(a, b)
    # A Monday 09:00-17:00 in New York is eight hours, whatever DST does around it.
    monday = datetime(2026, 3, 9, 13, tzinfo=UTC)  # 09:00 EDT, the day after the change
    assert table.between(monday, monday + timedelta(hours=8)) == timedelta(hours=8)
    with pytest.raises(ValueError, match="naive"):
        table.between(monday, datetime(2026, 3, 10, 12))


# Customers of the figures test: key -> (zone, tier, calendar or None for 24x7). Two with the
# same hours share one clock; "new_york" runs its Sev1 on the wall clock, as Standard does.
CUSTOMERS: dict[str, tuple[str, str, BusinessHours | None]] = {
    "new_york": ("America/New_York", "Standard", CALENDARS["new_york"]),
    "dublin": ("Europe/Dublin", "Basic", CALENDARS["dublin"]),
    "dublin_twin": ("Europe/Dublin", "Basic", CALENDARS["dublin"]),
    "lord_howe": ("Australia/Lord_Howe", "Premier", CALENDARS["lord_howe"]),
    "wall": ("America/New_York", "Premier", None),
    "singapore": ("Asia/Singapore", "Standard", CALENDARS["singapore"]),
}


def _after(draw: st.DrawFn, opened: datetime, most_minutes: int) -> datetime | None:
    if draw(st.booleans()) and draw(st.booleans()):
        return None  # a quarter never get there: counted apart
    return opened + draw(st.integers(0, most_minutes)) * MINUTE


@st.composite
def incidents(draw: st.DrawFn, around: datetime) -> list[IncidentRecord]:
    calendars = {key: BusinessCalendar(h) for key, (_, _, h) in CUSTOMERS.items() if h}
    out = []
    for n in range(draw(st.integers(0, 25))):
        key = draw(st.sampled_from([*CUSTOMERS, None]))
        zone, tier, _ = CUSTOMERS[key] if key else ("UTC", "internal", None)
        severity = draw(st.integers(1, 4))
        calendar = calendars.get(key or "")
        wall = calendar is None or (key == "new_york" and severity == 1)
        basis = WallClock() if wall or calendar is None else calendar
        opened = whole_minute(around, draw(st.integers(-10 * 1440, 10 * 1440)))
        out.append(IncidentRecord(
            key=f"INC-{n}", customer=key, tier=tier, zone=zone, severity=severity,
            opened_at=opened, first_response_at=_after(draw, opened, 600),
            acknowledged_at=_after(draw, opened, 600), resolved_at=_after(draw, opened, 4000),
            clocks=(ClockRecord("response", 3600, None, None, "paused"),),
            response_basis=basis,
        ))  # fmt: skip
    return out


def expected(members: list[IncidentRecord], kind: PeriodKind, first: date) -> dict:
    """The business figures of one group by the written definition, minute by minute."""
    cohort = [i for i in members if in_local(kind, first, i.opened_at, i.zone)]
    calendars = [i.response_basis for i in cohort if isinstance(i.response_basis, BusinessCalendar)]
    if not calendars:
        return {"incidents": 0, "calendar": None, "means": None}
    calendar = calendars[0]
    if any((c.hours.timezone, c.hours.start, c.hours.end, c.hours.days, c.hours.holidays)
           != (calendar.hours.timezone, calendar.hours.start, calendar.hours.end,
               calendar.hours.days, calendar.hours.holidays) for c in calendars):  # fmt: skip
        return {"incidents": len(calendars), "calendar": MIXED, "means": None}
    business = [i for i in cohort if isinstance(i.response_basis, BusinessCalendar)]
    reference = Reference(calendar.hours)
    means = []
    for attr in ("first_response_at", "acknowledged_at", "resolved_at"):
        took = [reference.minutes_between(i.opened_at, getattr(i, attr)) * MINUTE
                for i in business if getattr(i, attr) is not None]  # fmt: skip
        means.append((len(took), naive_mean(took), len(business) - len(took)))
    return {"incidents": len(business), "calendar": calendar.describe(), "means": means}


def actual(f: Figures) -> dict:
    b = f.business
    if b.response is None or b.acknowledge is None or b.resolution is None:
        return {"incidents": b.incidents, "calendar": b.calendar, "means": None}
    means = [(d.count, d.mean, d.apart) for d in (b.response, b.acknowledge, b.resolution)]
    return {"incidents": b.incidents, "calendar": b.calendar, "means": means}


def _same(want: dict, got: dict) -> bool:
    """Equal, means allowed one microsecond apart (timedelta division rounds)."""
    if want["means"] is None or got["means"] is None:
        return want == got
    for (n, mean, apart), (m, other, away) in zip(want["means"], got["means"], strict=True):
        if (n, apart) != (m, away) or (mean is None) != (other is None):
            return False
        if mean is not None and abs(mean - other) > timedelta(microseconds=1):
            return False
    return want["incidents"] == got["incidents"] and want["calendar"] == got["calendar"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), kind=st.sampled_from(list(PeriodKind)), around=st.sampled_from(AROUND))
def test_business_figures_of_every_group_match_the_reference(
    data: st.DataObject, kind: PeriodKind, around: datetime
) -> None:
    records = data.draw(incidents(around))
    zone = data.draw(st.sampled_from(["UTC", *(z for z, _, _ in CUSTOMERS.values())]))
    period = period_of(kind, around + data.draw(st.integers(-36, 36)) * timedelta(hours=1), zone)
    groups = grouped(records, period, around + timedelta(days=30))
    assert _same(expected(records, kind, period.first_day), actual(groups[("overall", "all")]))
    for (grouping, name), got in groups.items():
        if grouping == "overall":
            continue
        members = [i for i in records if GROUPINGS[grouping](i) == name]
        want = expected(members, kind, period.first_day)
        assert _same(want, actual(got)), (grouping, name, period.label)


def test_the_groups_that_mix_calendars_or_have_none() -> None:
    """Worked cases of the definition: 24x7 only gives nothing; one calendar (two customers
    with the same hours are one clock) gives the means, wall-clock incidents left out;
    two calendars give "mixed" and no means."""
    dublin, twin = (BusinessCalendar(CALENDARS["dublin"]) for _ in range(2))
    singapore = BusinessCalendar(CALENDARS["singapore"])
    tuesday = datetime(2026, 6, 2, 0, 30, tzinfo=UTC)  # 01:30 in Dublin, 08:30 in Singapore

    def one(key: str, basis: BusinessCalendar | WallClock, zone: str) -> IncidentRecord:
        return IncidentRecord(key=f"INC-{key}", customer=key, tier="Basic", zone=zone,
                              severity=3, opened_at=tuesday,
                              first_response_at=tuesday + timedelta(hours=2),
                              response_basis=basis)  # fmt: skip

    period = period_of(PeriodKind.WEEK, tuesday, "UTC")
    as_of = tuesday + timedelta(days=9)
    wall = one("wall", WallClock(), "UTC")
    only_wall = grouped([wall], period, as_of)[("overall", "all")].business
    assert (only_wall.incidents, only_wall.calendar, only_wall.response) == (0, None, None)
    shared = grouped([wall, one("dublin", dublin, "Europe/Dublin"),
                      one("twin", twin, "Europe/Dublin")], period, as_of)  # fmt: skip
    business = shared[("overall", "all")].business
    assert business.incidents == 2 and business.calendar == dublin.describe()
    assert business.response is not None and business.response.count == 2
    # 01:30-03:30 Dublin (IST) with hours 00:30-02:30: one business hour of two.
    assert business.response.mean == timedelta(hours=1)
    assert shared[("overall", "all")].response.mean == timedelta(hours=2)  # wall clock: all 3
    mixed = grouped([one("dublin", dublin, "Europe/Dublin"),
                     one("singapore", singapore, "Asia/Singapore")], period, as_of)  # fmt: skip
    assert mixed[("overall", "all")].business.calendar == MIXED
    assert mixed[("overall", "all")].business.response is None
    assert mixed[("customer", "singapore")].business.response is not None
    # 08:30-10:30 Singapore with hours 09:00-17:00: 1 h 30 min.
    assert mixed[("customer", "singapore")].business.response.mean == timedelta(minutes=90)
