"""SLA credits: the worked examples of README "Reports" and docs/metrics.md, exactly."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from supportbot.contracts.customers import load_contracts
from supportbot.hours.calendar import BusinessCalendar
from supportbot.reports.credits import credits, money, percent_of
from supportbot.reports.records import IncidentRecord, parse_month

REPO = Path(__file__).resolve().parents[2]
MARCH = parse_month("2026-03")


def incident(
    severity: int, opened: datetime, response: datetime | None, **kw: object
) -> IncidentRecord:
    values: dict[str, object] = dict(
        key=f"INC-{opened.day}{severity}", customer="acme", tier="Premier",
        zone="America/New_York", severity=severity, opened_at=opened,
        first_response_at=response,
    )  # fmt: skip
    values.update(kw)
    return IncidentRecord(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fee", "percent", "credit"),
    [
        ("1234.55", "10", "123.46"),  # 123.455: half up
        ("1234.54", "10", "123.45"),  # 123.454: down
        ("999.99", "25", "250.00"),  # 249.9975
        ("0.01", "50", "0.01"),  # 0.005: half up
        ("20000.00", "100", "20000.00"),
    ],
)
def test_percent_of_a_fee_rounds_half_up_to_the_cent(fee: str, percent: str, credit: str) -> None:
    assert percent_of(Decimal(fee), Decimal(percent)) == Decimal(credit)
    assert str(percent_of(Decimal(fee), Decimal(percent))) == credit


def test_money_quantises_to_the_cent() -> None:
    assert str(money(Decimal("5000"))) == "5000.00"
    assert str(money(Decimal("2.675"))) == "2.68"  # Decimal, so no binary 2.67499...


def test_sev1_and_sev2_credits_with_their_evidence() -> None:
    opened = datetime(2026, 3, 10, 14, tzinfo=UTC)
    rows = [
        incident(1, opened, opened + timedelta(minutes=60)),  # exactly 1 h: no credit
        incident(1, opened + timedelta(days=1), opened + timedelta(days=1, minutes=61)),
        incident(2, opened + timedelta(days=2), opened + timedelta(days=2, hours=4, seconds=1)),
        incident(3, opened + timedelta(days=3), opened + timedelta(days=9)),  # Sev3: none
        incident(2, opened + timedelta(days=4), None, customer=None),  # internal: none
    ]
    got = credits(rows, MARCH, datetime(2026, 4, 1, tzinfo=UTC), None)
    assert [(line.key, line.amount, line.late_by) for line in got.lines] == [
        ("INC-111", Decimal("5000.00"), timedelta(minutes=1)),
        ("INC-122", Decimal("2500.00"), timedelta(seconds=1)),
    ]
    assert got.lines[0].due_at == datetime(2026, 3, 11, 15, tzinfo=UTC)
    assert got.total == Decimal("7500.00") and str(got.total) == "7500.00"


def test_no_response_yet_is_undecided_until_late_then_owed() -> None:
    opened = datetime(2026, 3, 31, 23, tzinfo=UTC)  # 19:00 New York, 31 March
    row = incident(1, opened, None)
    early = credits([row], MARCH, opened + timedelta(minutes=30), "acme")
    assert early.lines == () and early.undecided == (row.key,)
    later = credits([row], MARCH, opened + timedelta(hours=3), "acme")
    assert later.undecided == ()
    (line,) = later.lines
    assert line.actual_at is None and line.late_by == timedelta(hours=2)


def test_a_business_hours_target_counts_business_time() -> None:
    contracts = load_contracts(REPO / "contracts" / "customers.yaml")
    globex = contracts.by_key("globex")
    assert globex is not None
    calendar = globex.calendar()  # 08:00-18:00 Berlin, Monday to Friday
    friday_evening = datetime(2026, 3, 13, 16, tzinfo=UTC)  # 17:00 Berlin
    monday = datetime(2026, 3, 16, 9, 59, tzinfo=UTC)  # 10:59 Berlin: 1 h + 2 h 59 min
    row = incident(2, friday_evening, monday, customer="globex", zone="Europe/Berlin",
                   response_basis=calendar)  # fmt: skip
    assert credits([row], MARCH, monday, None).lines == ()
    late = incident(2, friday_evening, monday + timedelta(minutes=2), customer="globex",
                    zone="Europe/Berlin", response_basis=calendar)  # fmt: skip
    (line,) = credits([late], MARCH, monday, None).lines
    assert line.due_at == datetime(2026, 3, 16, 10, tzinfo=UTC)  # Monday 11:00 Berlin
    assert line.late_by == timedelta(minutes=1) and line.amount == Decimal("2500.00")


def naive_business_due(calendar: BusinessCalendar, opened: datetime, hours: int) -> datetime:
    """Minute by minute: the instant ``hours`` of open minutes after ``opened``."""
    counted, t = 0, opened
    while counted < hours * 60:
        if calendar.is_open(t):
            counted += 1
        t += timedelta(minutes=1)
    return t


@pytest.mark.parametrize("seed", range(12))
def test_business_hours_credit_lines_match_a_minute_by_minute_count(seed: int) -> None:
    rng = random.Random(seed)
    contracts = load_contracts(REPO / "contracts" / "customers.yaml")
    key = rng.choice(("globex", "initech"))
    customer = contracts.by_key(key)
    assert customer is not None
    calendar = customer.calendar()
    start = datetime(2026, 3, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 40 * 1440))
    opened = start.replace(second=0, microsecond=0)
    severity = rng.choice((1, 2))
    due = naive_business_due(calendar, opened, 1 if severity == 1 else 4)
    for offset, owed in ((timedelta(0), False), (timedelta(minutes=1), True)):
        row = incident(severity, opened, due + offset, customer=key, zone=customer.timezone,
                       response_basis=calendar)  # fmt: skip
        month = parse_month(opened.astimezone(ZoneInfo(customer.timezone)).strftime("%Y-%m"))
        got = credits([row], month, due + timedelta(days=1), key)
        assert bool(got.lines) is owed, (key, opened, due)
        if owed:
            assert got.lines[0].due_at == due and got.lines[0].late_by == offset
