"""Hand-picked business-hours cases: the ones people quote when a deadline looks wrong."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from pydantic import ValidationError

from supportbot.hours.calendar import (
    BusinessCalendar,
    BusinessHours,
    HolidayCalendar,
    TimeBasis,
    WallClock,
    holiday_dates,
)

H = timedelta(hours=1)
DUBLIN = BusinessHours(timezone="Europe/Dublin", holidays=HolidayCalendar(country="IE"))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def hours(**kwargs) -> BusinessCalendar:
    return BusinessCalendar(BusinessHours(**kwargs))


def test_describe_says_which_calendar():
    assert DUBLIN.describe() == "business hours 09:00–17:00 Mon–Fri Europe/Dublin, holidays IE"
    odd = BusinessHours(
        timezone="Asia/Singapore",
        days=["sun", "mon", "tue", "thu"],
        start=time(8),
        end=time(20, 30),
        holidays={"country": "gb", "subdivision": "sct"},
    )
    assert odd.describe() == (
        "business hours 08:00–20:30 Mon–Tue, Thu, Sun Asia/Singapore, holidays GB-SCT"
    )
    assert WallClock().describe() == "24x7 wall clock"


def test_both_bases_satisfy_the_protocol():
    assert isinstance(WallClock(), TimeBasis)
    assert isinstance(BusinessCalendar(DUBLIN), TimeBasis)


def test_four_business_hours_from_friday_evening_lands_monday_1300():
    friday_1730 = utc(2025, 3, 7, 17, 30)  # GMT, so local == UTC
    assert BusinessCalendar(DUBLIN).add(friday_1730, 4 * H) == utc(2025, 3, 10, 13)


def test_an_irish_bank_holiday_monday_is_skipped():
    friday_1730_ist = utc(2025, 5, 2, 16, 30)  # Monday 5 May 2025 is the May bank holiday
    assert BusinessCalendar(DUBLIN).add(friday_1730_ist, 4 * H) == utc(2025, 5, 6, 12)
    assert not BusinessCalendar(DUBLIN).is_open(utc(2025, 5, 5, 11))
    without_holidays = BusinessCalendar(BusinessHours(timezone="Europe/Dublin"))
    assert without_holidays.add(friday_1730_ist, 4 * H) == utc(2025, 5, 5, 12)


def test_a_full_day_ends_at_closing_not_next_opening():
    calendar = BusinessCalendar(DUBLIN)
    assert calendar.add(utc(2025, 3, 10, 9), 8 * H) == utc(2025, 3, 10, 17)
    assert calendar.add(utc(2025, 3, 10, 9), 8 * H + timedelta(seconds=1)) == utc(
        2025, 3, 11, 9, 0, 1
    )


def test_business_time_is_local_wall_clock_across_spring_forward():
    new_york = hours(timezone="America/New_York")
    friday_1600_est = utc(2025, 3, 7, 21)
    monday_1000_edt = utc(2025, 3, 10, 14)
    assert new_york.add(friday_1600_est, 2 * H) == monday_1000_edt
    assert new_york.between(friday_1600_est, monday_1000_edt) == 2 * H
    assert new_york.between(monday_1000_edt, friday_1600_est) == -2 * H


def test_windows_in_a_gap_are_shorter_and_in_a_fold_longer():
    new_york = hours(timezone="America/New_York", days=["sun"], start=time(1), end=time(3))
    # 2025-03-09 02:00 EST jumps to 03:00 EDT: 01:00-03:00 local is one real hour.
    assert new_york.windows(date(2025, 3, 9)) == ((utc(2025, 3, 9, 6), utc(2025, 3, 9, 7)),)
    # 2025-11-02 02:00 EDT falls back to 01:00 EST: 01:00-03:00 local is three real hours.
    assert new_york.windows(date(2025, 11, 2)) == ((utc(2025, 11, 2, 5), utc(2025, 11, 2, 8)),)


def test_a_window_starting_in_the_gap_opens_at_the_transition():
    new_york = hours(timezone="America/New_York", days=["sun"], start=time(2, 30), end=time(5))
    assert new_york.next_opening(utc(2025, 3, 9, 0)) == utc(2025, 3, 9, 7)  # 03:00 EDT


def test_a_window_ending_inside_the_fold_reopens_for_the_repeat():
    new_york = hours(timezone="America/New_York", days=["sun"], start=time(0), end=time(1, 30))
    assert new_york.windows(date(2025, 11, 2)) == (
        (utc(2025, 11, 2, 4), utc(2025, 11, 2, 5, 30)),  # 00:00-01:30 EDT
        (utc(2025, 11, 2, 6), utc(2025, 11, 2, 6, 30)),  # 01:00-01:30 EST, again
    )
    assert new_york.between(utc(2025, 11, 2), utc(2025, 11, 3)) == 2 * H


def test_lord_howe_half_hour_shift():
    lord_howe = hours(timezone="Australia/Lord_Howe", days=["sun"], start=time(0), end=time(6))
    # 2025-10-05 02:00 +10:30 becomes 02:30 +11.
    assert lord_howe.between(utc(2025, 10, 4), utc(2025, 10, 6)) == timedelta(hours=5, minutes=30)


def test_business_day_length_is_nominal():
    assert BusinessCalendar(DUBLIN).business_day_length() == 8 * H
    assert hours(timezone="UTC", start=time(8), end=time(20)).business_day_length() == 12 * H
    assert WallClock().business_day_length() == 24 * H


def test_next_opening_and_is_open():
    calendar = BusinessCalendar(DUBLIN)
    saturday = utc(2025, 3, 8, 3)
    assert not calendar.is_open(saturday)
    assert calendar.next_opening(saturday) == utc(2025, 3, 10, 9)
    tuesday_noon = utc(2025, 3, 11, 12)
    assert calendar.is_open(tuesday_noon)
    assert calendar.next_opening(tuesday_noon) == tuesday_noon
    assert not calendar.is_open(utc(2025, 3, 17, 12))  # Saint Patrick's Day
    assert not calendar.is_open(utc(2025, 3, 11, 17))  # the end is exclusive


def test_fifteen_business_days_and_a_long_range():
    calendar = BusinessCalendar(DUBLIN)
    start = utc(2025, 12, 19, 9)  # Christmas: 25, 26 Dec and 1 Jan closed
    due = calendar.add(start, 15 * 8 * H)
    assert due == utc(2026, 1, 13, 17)
    assert calendar.between(start, due) == 15 * 8 * H
    a_year = calendar.between(utc(2025, 1, 1), utc(2026, 1, 1))
    assert a_year == (261 - 10) * 8 * H  # 261 weekdays, 10 IE holidays on weekdays in 2025


def test_inputs_in_other_zones_come_back_as_utc():
    plus_one = timezone(timedelta(hours=1))
    calendar = BusinessCalendar(DUBLIN)
    due = calendar.add(datetime(2025, 3, 10, 10, tzinfo=plus_one), H)
    assert due == utc(2025, 3, 10, 10) and due.tzinfo is UTC
    assert WallClock().add(datetime(2025, 3, 10, 10, tzinfo=plus_one), H).tzinfo is UTC


def test_holiday_lookups_are_cached_per_year():
    holiday_dates.cache_clear()
    calendar = BusinessCalendar(DUBLIN)
    calendar.add(utc(2025, 1, 2, 9), 200 * 8 * H)
    info = holiday_dates.cache_info()
    assert info.misses <= 3 and info.hits > 100


@pytest.mark.parametrize("basis", [WallClock(), BusinessCalendar(DUBLIN)])
def test_naive_datetimes_are_refused(basis):
    naive = datetime(2025, 3, 10, 9)
    with pytest.raises(ValueError, match="naive"):
        basis.add(naive, H)
    with pytest.raises(ValueError, match="naive"):
        basis.between(utc(2025, 3, 10), naive)
    with pytest.raises(ValueError, match="naive"):
        basis.next_opening(naive)


@pytest.mark.parametrize("basis", [WallClock(), BusinessCalendar(DUBLIN)])
def test_negative_durations_are_refused(basis):
    with pytest.raises(ValueError, match="negative"):
        basis.add(utc(2025, 3, 10), -H)
    assert basis.add(utc(2025, 3, 10, 12), timedelta(0)) == utc(2025, 3, 10, 12)


def test_unknown_holiday_country_names_the_value_and_suggests_codes():
    with pytest.raises(ValidationError) as caught:
        HolidayCalendar(country="XK1")
    message = str(caught.value)
    assert "'XK1'" in message and "ISO 3166-1" in message and "e.g." in message


def test_unknown_subdivision_lists_the_valid_ones():
    with pytest.raises(ValidationError, match=r"'XYZ'.*ENG, NIR, SCT, WLS"):
        HolidayCalendar(country="GB", subdivision="XYZ")
    with pytest.raises(ValidationError, match="has no subdivisions"):
        HolidayCalendar(country="IE", subdivision="D")


def test_holiday_codes_are_normalised():
    calendar = HolidayCalendar(country=" us ", subdivision="ny")
    assert (calendar.country, calendar.subdivision) == ("US", "NY")
    assert date(2025, 7, 4) in calendar.dates(2025)


def test_bad_business_hours_are_clear_errors():
    with pytest.raises(ValidationError, match="did you mean Europe/Dublin"):
        BusinessHours(timezone="Europe/Dubln")
    with pytest.raises(ValidationError, match="unknown time zone 'Mars/Olympus'"):
        BusinessHours(timezone="Mars/Olympus")
    with pytest.raises(ValidationError, match="must be later than start"):
        BusinessHours(timezone="UTC", start=time(17), end=time(9))
    with pytest.raises(ValidationError, match="unknown day 'funday'"):
        BusinessHours(timezone="UTC", days=["mon", "funday"])
    with pytest.raises(ValidationError, match="at least one day"):
        BusinessHours(timezone="UTC", days=[])
    with pytest.raises(ValidationError, match="unknown holiday country"):
        BusinessHours(timezone="UTC", holidays={"country": "Narnia"})


def test_days_are_normalised_and_models_frozen():
    hours_ = BusinessHours(timezone="UTC", days=["Friday", "mon", "MON"])
    assert hours_.days == ["mon", "fri"]
    with pytest.raises(ValidationError):
        hours_.timezone = "Europe/Dublin"
