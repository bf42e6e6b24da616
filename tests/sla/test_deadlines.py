"""Incident deadlines, paused clocks and reminder times."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from supportbot.contracts.tiers import SlaOverrides, Span
from supportbot.hours.calendar import BusinessCalendar, BusinessHours, WallClock
from supportbot.sla.deadlines import (
    compute_deadlines,
    due_with_pauses,
    elapsed,
    fraction_used,
    normalize_pauses,
    threshold_times,
)

H = timedelta(hours=1)
DUBLIN = BusinessHours(timezone="Europe/Dublin", holidays={"country": "IE"})
KMSI = BusinessHours(timezone="America/New_York", holidays={"country": "US"})
WALL = WallClock()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


SATURDAY_0300 = utc(2025, 3, 8, 3)  # Dublin is on GMT in early March
FRIDAY_1730 = utc(2025, 3, 7, 17, 30)


def test_premier_sev1_from_saturday_night_is_15_minutes_of_wall_clock():
    deadlines = compute_deadlines(SATURDAY_0300, "premier", 1, "business-hours", DUBLIN)
    assert deadlines.response_due == utc(2025, 3, 8, 3, 15)
    assert deadlines.resolution_due == utc(2025, 3, 8, 7)
    assert deadlines.response_basis.describe() == "24x7 wall clock"
    assert deadlines.response.clock_starts == SATURDAY_0300


def test_basic_sev1_waits_for_monday_opening():
    deadlines = compute_deadlines(SATURDAY_0300, "basic", 1, "business-hours", DUBLIN)
    assert deadlines.response.clock_starts == utc(2025, 3, 10, 9)
    assert deadlines.response_due == utc(2025, 3, 10, 13)  # 4 business hours
    assert deadlines.resolution_due == utc(2025, 3, 12, 17)  # 24 business hours


def test_premier_sev2_opened_after_hours():
    deadlines = compute_deadlines(FRIDAY_1730, "Premier", "sev2", "business-hours", DUBLIN)
    assert deadlines.response_due == utc(2025, 3, 10, 11)
    assert deadlines.resolution_due == utc(2025, 3, 12, 17)
    assert isinstance(deadlines.resolution_basis, BusinessCalendar)


def test_business_day_targets_skip_bank_holidays():
    opened = utc(2025, 5, 2, 10)  # Friday 11:00 IST; Monday 5 May is a bank holiday
    deadlines = compute_deadlines(opened, "premier", 4, "business-hours", DUBLIN)
    # 5 business days = 40 h: Fri 6 h, Tue-Thu 24 h, Fri 8 h = 38 h, then 2 h on Mon 12 May.
    assert deadlines.resolution.duration == 40 * H
    assert deadlines.resolution_due == utc(2025, 5, 12, 10)


def test_24x7_coverage_counts_business_days_as_calendar_days():
    deadlines = compute_deadlines(SATURDAY_0300, "standard", 4, "24x7", DUBLIN)
    assert deadlines.response_due == SATURDAY_0300 + 48 * H
    assert deadlines.resolution_due == SATURDAY_0300 + 10 * 24 * H


def test_kmsi_standard_answers_within_one_business_day():
    overrides = SlaOverrides.model_validate({"targets": {"sev3": {"response": "1bd"}}})
    opened = utc(2025, 7, 3, 20)  # Thursday 16:00 EDT; Friday 4 July is a US holiday
    deadlines = compute_deadlines(opened, "standard", 3, "business-hours", KMSI, overrides)
    assert deadlines.response_due == utc(2025, 7, 7, 20)  # Monday 16:00 EDT


def test_explain_names_the_calendar_and_rule():
    deadlines = compute_deadlines(FRIDAY_1730, "premier", 2, "business-hours", DUBLIN)
    text = deadlines.explain()
    assert "Premier Sev 2 (High), business-hours coverage" in text
    assert "business hours 09:00–17:00 Mon–Fri Europe/Dublin, holidays IE" in text
    assert "Response due Mon 2025-03-10 11:00 GMT (11:00 UTC)" in text
    assert "next opening, Mon 2025-03-10 09:00 GMT" in text
    assert "default Premier Sev 2 (High) response" in text
    assert "Reminders at 50%, 75%, 90%" in text

    sev1 = compute_deadlines(SATURDAY_0300, "premier", 1, "business-hours", DUBLIN)
    shown = sev1.explain("America/New_York")
    assert "24x7 wall clock" in shown and "Sev 1 on Premier and Standard runs 24x7" in shown
    assert "Response due Fri 2025-03-07 22:15 EST (2025-03-08 03:15 UTC)" in shown

    sev4 = compute_deadlines(FRIDAY_1730, "premier", 4, "business-hours", DUBLIN)
    assert "5 business days (= 40 h at 8 h a business day)" in sev4.explain()


def test_compute_deadlines_refuses_bad_input():
    with pytest.raises(ValueError, match="naive"):
        compute_deadlines(datetime(2025, 3, 7, 17, 30), "premier", 1, "24x7", DUBLIN)
    with pytest.raises(ValueError, match="unknown tier 'gold'"):
        compute_deadlines(FRIDAY_1730, "gold", 1, "24x7", DUBLIN)
    with pytest.raises(ValueError, match="unknown severity"):
        compute_deadlines(FRIDAY_1730, "basic", 0, "24x7", DUBLIN)


def test_pauses_stop_the_clock():
    opened = utc(2025, 3, 10, 10)
    assert due_with_pauses(WALL, opened, 4 * H, []) == utc(2025, 3, 10, 14)
    pause = (utc(2025, 3, 10, 11), utc(2025, 3, 10, 12))
    assert due_with_pauses(WALL, opened, 4 * H, [pause]) == utc(2025, 3, 10, 15)
    # Overlapping and repeated pauses count once.
    overlapping = [pause, pause, (utc(2025, 3, 10, 11, 30), utc(2025, 3, 10, 12, 30))]
    assert due_with_pauses(WALL, opened, 4 * H, overlapping) == utc(2025, 3, 10, 15, 30)
    # A pause before the incident opened, or after the deadline, changes nothing.
    early = (utc(2025, 3, 9), utc(2025, 3, 10, 10))
    late = (utc(2025, 3, 10, 14), None)
    assert due_with_pauses(WALL, opened, 4 * H, [early, late]) == utc(2025, 3, 10, 14)


def test_pauses_on_business_hours():
    calendar = BusinessCalendar(DUBLIN)
    opened = utc(2025, 3, 10, 9)
    waiting = (utc(2025, 3, 10, 12), utc(2025, 3, 11, 10))  # 3 h counted before the pause
    assert due_with_pauses(calendar, opened, 8 * H, [waiting]) == utc(2025, 3, 11, 15)
    assert due_with_pauses(calendar, opened, Span.parse("1bd"), [waiting]) == utc(2025, 3, 11, 15)


def test_an_open_pause_means_no_deadline_yet():
    opened = utc(2025, 3, 10, 10)
    assert due_with_pauses(WALL, opened, 4 * H, [(utc(2025, 3, 10, 11), None)]) is None
    closed_then_open = [(utc(2025, 3, 10, 11), utc(2025, 3, 10, 12)), (utc(2025, 3, 10, 13), None)]
    assert due_with_pauses(WALL, opened, 4 * H, closed_then_open) is None


def test_elapsed_and_fraction_used():
    opened = utc(2025, 3, 10, 10)
    pauses = [(utc(2025, 3, 10, 11), utc(2025, 3, 10, 12))]
    now = utc(2025, 3, 10, 13)
    assert elapsed(WALL, opened, now, pauses) == 2 * H
    assert fraction_used(WALL, opened, now, 4 * H, pauses) == 0.5
    assert elapsed(WALL, opened, now, [(utc(2025, 3, 10, 12), None)]) == 2 * H
    assert elapsed(WALL, opened, opened - H) == timedelta(0)
    calendar = BusinessCalendar(DUBLIN)
    assert elapsed(calendar, utc(2025, 3, 7, 16), utc(2025, 3, 10, 10)) == 2 * H
    assert (
        fraction_used(calendar, utc(2025, 3, 7, 16), utc(2025, 3, 12, 9), Span.parse("2bd"))
        == 1.0625
    )


def test_threshold_times():
    opened = utc(2025, 3, 10, 10)
    assert threshold_times(WALL, opened, 4 * H, [0.9, 0.5, 0.75]) == [
        (0.5, utc(2025, 3, 10, 12)),
        (0.75, utc(2025, 3, 10, 13)),
        (0.9, utc(2025, 3, 10, 13, 36)),
    ]
    calendar = BusinessCalendar(DUBLIN)
    friday_1500 = utc(2025, 3, 7, 15)
    assert threshold_times(calendar, friday_1500, 4 * H, [0.5, 0.75]) == [
        (0.5, utc(2025, 3, 7, 17)),
        (0.75, utc(2025, 3, 10, 10)),
    ]
    paused = [(utc(2025, 3, 10, 12, 30), None)]
    assert threshold_times(WALL, opened, 4 * H, [0.5, 0.75], paused) == [
        (0.5, utc(2025, 3, 10, 12))
    ]
    with pytest.raises(ValueError, match="outside"):
        threshold_times(WALL, opened, 4 * H, [1.5])


def test_deadline_helpers_use_the_same_basis():
    deadlines = compute_deadlines(FRIDAY_1730, "premier", 2, "business-hours", DUBLIN)
    response = deadlines.response
    assert response.due_with_pauses([]) == deadlines.response_due
    assert response.threshold_times(deadlines.thresholds)[-1][1] < deadlines.response_due


def test_bad_pause_and_target_input():
    opened = utc(2025, 3, 10, 10)
    with pytest.raises(ValueError, match="before it starts"):
        due_with_pauses(WALL, opened, H, [(utc(2025, 3, 10, 12), utc(2025, 3, 10, 11))])
    with pytest.raises(ValueError, match="naive"):
        due_with_pauses(WALL, opened, H, [(datetime(2025, 3, 10, 12), None)])
    with pytest.raises(ValueError, match="positive"):
        due_with_pauses(WALL, opened, timedelta(0), [])
    with pytest.raises(ValueError, match="positive"):
        fraction_used(WALL, opened, opened, -H)


@pytest.mark.parametrize("hours", [DUBLIN, KMSI])
def test_paused_deadlines_are_consistent_with_elapsed(hours):
    """Random pauses: at the paused deadline exactly the target has elapsed, and not before."""
    rng = random.Random(f"pauses-{hours.timezone}")
    calendar = BusinessCalendar(hours)
    for _ in range(200):
        basis = rng.choice([calendar, WALL])
        opened = utc(2025, 1, 1) + timedelta(minutes=rng.randrange(3 * 365 * 1440))
        target = timedelta(minutes=rng.randint(1, 5 * 480))
        pauses = []
        for _ in range(rng.randint(0, 4)):
            start = opened + timedelta(minutes=rng.randrange(-1440, 10 * 1440))
            pauses.append((start, start + timedelta(minutes=rng.randint(0, 3 * 1440))))
        due = due_with_pauses(basis, opened, target, pauses)
        assert due is not None
        assert elapsed(basis, opened, due, pauses) == target
        assert elapsed(basis, opened, due - timedelta(seconds=1), pauses) < target
        merged = normalize_pauses(opened, pauses)
        assert all(a[1] is not None and a[1] < b[0] for a, b in pairwise(merged))
