"""The charging and rounding rules against naive references, over random durations.

Each reference walks the work minute by minute and counts a unit whenever a new one starts,
which is what the contract's words say; the rules compute it with arithmetic.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from supportbot.incidents.commands import CommandError, parse_incident_command
from supportbot.plans.charging import (
    DurationError,
    agent_minutes,
    appointment_incidents,
    billed_minutes,
    hourly_rate,
    hours_text,
    money,
    parse_minutes,
    per_incident_charges,
    seconds_to_minutes,
    split_duration,
)

MINUTES = st.integers(min_value=1, max_value=24 * 60)


def naive_appointment(minutes: int) -> int:
    charged = 0
    for minute in range(minutes):
        if minute == 0:
            charged += 2  # the first hour, started
        elif minute >= 60 and (minute - 60) % 30 == 0:
            charged += 1  # another half hour started
    return charged


def naive_per_incident(minutes: int, span: int, second: bool) -> int:
    charged = 1  # the charge made when the request was turned over
    for minute in range(minutes):
        if second and minute > 0 and minute % span == 0:
            charged += 1
    return charged


def naive_billed(minutes: int, step: int) -> int:
    billed = 0
    while billed < minutes:
        billed += step
    return billed


def naive_money(quantity: int, rate: Decimal) -> Decimal:
    exact = Fraction(quantity) * Fraction(rate)
    cents = exact * 100
    whole = int(cents)
    if cents - whole >= Fraction(1, 2):
        whole += 1
    return Decimal(whole) / 100


@given(MINUTES)
def test_appointments_against_the_minute_by_minute_count(minutes: int) -> None:
    assert appointment_incidents(minutes) == naive_appointment(minutes)


@given(MINUTES, st.sampled_from([30, 60, 120, 240]), st.booleans())
def test_per_incident_charges_against_the_count(minutes: int, span: int, second: bool) -> None:
    assert per_incident_charges(minutes, span, second) == naive_per_incident(minutes, span, second)


@given(MINUTES, st.sampled_from([1, 5, 6, 10, 15, 30, 60]))
def test_prepaid_rounding_against_the_count(minutes: int, step: int) -> None:
    assert billed_minutes(minutes, step) == naive_billed(minutes, step)


@given(st.lists(MINUTES, min_size=1, max_size=5))
def test_agent_minutes_add_every_agent(per_agent: list[int]) -> None:
    assert agent_minutes(per_agent) == sum(per_agent)


@given(
    st.integers(min_value=0, max_value=10_000),
    st.decimals(min_value=Decimal("0.001"), max_value=Decimal("999"), places=3),
)
def test_money_rounds_half_up_to_the_cent(quantity: int, rate: Decimal) -> None:
    assert money(quantity, rate) == naive_money(quantity, rate)


@given(st.integers(min_value=0, max_value=23), st.integers(min_value=0, max_value=59))
def test_durations_as_people_write_them(hours: int, minutes: int) -> None:
    total = hours * 60 + minutes
    if total == 0:
        with pytest.raises(DurationError, match="is zero"):
            parse_minutes(f"{hours}h{minutes}m")
        return
    for text in (f"{hours}h{minutes}m", f"{hours}h {minutes}m", f"{total}m", f"{total} min"):
        assert parse_minutes(text) == total


@given(st.floats(min_value=0, max_value=86_400, allow_nan=False))
def test_a_timer_bills_started_minutes(seconds: float) -> None:
    expected = max(1, naive_billed(int(-(-seconds // 1)), 60) // 60)
    assert seconds_to_minutes(seconds) == expected


# The README's worked examples, exactly.
def test_the_worked_examples() -> None:
    assert [appointment_incidents(m) for m in (20, 60, 61, 90, 91, 160, 180)] == [
        2, 2, 3, 3, 4, 6, 6,
    ]  # fmt: skip
    assert per_incident_charges(150, 120, False) == 1
    assert per_incident_charges(150, 120, True) == 2
    assert agent_minutes([25, 18]) == 43 and money(43, Decimal("2.50")) == Decimal("107.50")
    assert billed_minutes(50, 15) == 60 and billed_minutes(45, 15) == 45
    assert hourly_rate(Decimal("20000.00"), Decimal(260)) == Decimal("76.92")
    assert money(Decimal("1.25"), Decimal("76.92")) == Decimal("96.15")
    assert seconds_to_minutes(61) == 2 and seconds_to_minutes(5) == 1
    assert hours_text(160) == "2 h 40 min" and hours_text(150) == "2.5 h"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("-45m", "is negative"),
        ("0m", "is zero"),
        ("0h0m", "is zero"),
        ("45", "cannot read"),
        ("45s", "unknown unit `s`"),
        ("1d", "unknown unit `d`"),
        ("0.01h", "not a whole number of minutes"),
        ("25h", "more than 24 h"),
        ("", "cannot read"),
        ("abc", "cannot read"),
    ],
)
def test_bad_durations_are_refused_with_what_to_write(text: str, said: str) -> None:
    with pytest.raises(DurationError, match=said):
        parse_minutes(text)


@pytest.mark.parametrize("rule", [appointment_incidents, lambda m: billed_minutes(m, 15)])
@pytest.mark.parametrize("minutes", [0, -5])
def test_zero_and_negative_work_is_refused_by_every_rule(rule: object, minutes: int) -> None:
    with pytest.raises(DurationError, match="more than zero"):
        rule(minutes)  # type: ignore[operator]
    with pytest.raises(DurationError, match="more than zero"):
        agent_minutes([10, minutes])


def test_an_estimate_may_run_past_a_day_but_not_past_a_working_year() -> None:
    # KMSI sells 260 h at a time: a 40 h task was refused as "more than 24 h; log each
    # day's work on its own", advice that fits a time log, not an estimate.
    assert parse_minutes("40h", estimate=True) == 2400
    assert parse_minutes("2000h", estimate=True) == 120_000
    with pytest.raises(DurationError, match="more than 2000 h; estimate the task in parts"):
        parse_minutes("99999h", estimate=True)
    with pytest.raises(DurationError, match="more than 24 h"):
        parse_minutes("40h")
    parsed = parse_incident_command("estimate INC-7 40h reindex every shard")
    assert (parsed.minutes, parsed.summary) == (2400, "reindex every shard")
    with pytest.raises(CommandError, match="more than 24 h"):
        parse_incident_command("time INC-7 40h")


@pytest.mark.parametrize(
    ("text", "minutes", "note"),
    [
        ("1h 30m fixed the index", 90, "fixed the index"),  # was 60 min, note "30m fixed…"
        ("2h\t40m", 160, ""),
        ("45m 2nd attempt", 45, "2nd attempt"),  # "2nd" is no unit: the note
        ("45m", 45, ""),
        ("1.5h   checked   logs", 90, "checked   logs"),
    ],
)
def test_a_duration_written_with_spaces_is_read_whole(text: str, minutes: int, note: str) -> None:
    """The Log time form reads "1h 30m" as 90 min; the command logged 60 with the note "30m"."""
    parsed = parse_incident_command(f"time INC-7 {text}")
    assert (parsed.minutes, parsed.summary) == (minutes, note)
    assert split_duration("45x 30m") == ("45x 30m", "")  # still reported as a mistake
    with pytest.raises(CommandError, match="unknown unit `x`"):
        parse_incident_command("time INC-7 45x 30m")


def test_approve_takes_nothing_more_than_the_id() -> None:
    assert parse_incident_command("approve INC-7").key == "INC-7"
    with pytest.raises(CommandError, match="needs an incident id and nothing more"):
        parse_incident_command("approve INC-7 INC-8")
