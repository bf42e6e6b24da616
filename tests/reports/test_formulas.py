"""The report formulas against a naive reference, over random incident sets across zones,
DST changes and month boundaries (seeded, so a failure replays)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from supportbot.reports.credits import credits
from supportbot.reports.figures import escalated, figures, grouped
from supportbot.reports.records import (
    ClockRecord,
    IncidentRecord,
    Period,
    PeriodKind,
    parse_month,
    period_of,
)

ZONES = ("UTC", "America/New_York", "Europe/Berlin", "Asia/Singapore", "Pacific/Auckland",
         "America/Los_Angeles")  # fmt: skip
TIERS = {"UTC": "internal", "America/New_York": "Premier", "Europe/Berlin": "Standard",
         "Asia/Singapore": "Basic", "Pacific/Auckland": "Premier",
         "America/Los_Angeles": "Standard"}  # fmt: skip
MONTHS = ("2026-03", "2026-10", "2026-11", "2026-12", "2027-01")  # DST changes, year end


def _maybe(rng: random.Random, start: datetime, hours: float) -> datetime | None:
    if rng.random() < 0.25:
        return None
    return start + timedelta(seconds=rng.randint(0, int(hours * 3600)))


def _clock(rng: random.Random, kind: str, opened: datetime, stop: datetime | None) -> ClockRecord:
    due = None if rng.random() < 0.1 else opened + timedelta(minutes=rng.randint(10, 3000))
    state = "paused" if due is None else ("running" if stop is None else "met")
    return ClockRecord(kind, 3600, due, stop, state)


def random_incident(rng: random.Random, n: int, around: datetime) -> IncidentRecord:
    zone = rng.choice(ZONES)
    opened = around + timedelta(seconds=rng.randint(-40 * 86400, 40 * 86400))
    response = _maybe(rng, opened, 8)
    resolved = _maybe(rng, max(opened, response or opened), 100) if response else None
    return IncidentRecord(
        key=f"INC-{n}",
        customer=None if zone == "UTC" else zone.split("/")[1].lower(),
        tier=TIERS[zone],
        zone=zone,
        severity=rng.randint(1, 4),
        opened_at=opened,
        first_response_at=response,
        acknowledged_at=_maybe(rng, opened, 6),
        resolved_at=resolved,
        level=rng.choice(("L1", "L1", "L1", "L2", "L3")),
        escalations_by_breach=rng.choice((0, 0, 1)),
        escalations_by_policy=rng.choice((0, 0, 0, 1)),
        escalations_by_hand=rng.choice((0, 0, 1, 2)),
        staff_replies=rng.randint(0, 3),
        clocks=(
            _clock(rng, "resolution", opened, resolved),
            _clock(rng, "response", opened, response),
        ),
        csat=rng.randint(1, 5) if resolved and rng.random() < 0.6 else None,
    )


def in_local(kind: PeriodKind, first: date, instant: datetime | None, zone: str) -> bool:
    """Naive membership: the local calendar date of the instant, compared field by field."""
    if instant is None:
        return False
    local = instant.astimezone(ZoneInfo(zone)).date()
    if kind is PeriodKind.MONTH:
        return (local.year, local.month) == (first.year, first.month)
    if kind is PeriodKind.WEEK:
        return local.isocalendar()[:2] == first.isocalendar()[:2]
    return local == first


def naive_mean(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    micro = sum(v // timedelta(microseconds=1) for v in values)
    return timedelta(microseconds=micro / len(values))


def reference(incidents: list[IncidentRecord], period: Period, as_of: datetime) -> dict:
    kind, first = period.kind, period.first_day
    cohort = [i for i in incidents if in_local(kind, first, i.opened_at, i.zone)]
    out: dict = {"opened": len(cohort)}
    out["resolved"] = sum(in_local(kind, first, i.resolved_at, i.zone) for i in incidents)
    ended = [
        i for i in incidents
        if (i.opened_at.astimezone(ZoneInfo(i.zone)).date() < period.next_first_day())
        and not (i.resolved_at and i.resolved_at.astimezone(ZoneInfo(i.zone)).date()
                 < period.next_first_day())
    ]  # fmt: skip
    out["open_at_end"] = len(ended)
    for name, attr in (("response", "first_response_at"), ("ack", "acknowledged_at"),
                       ("resolution", "resolved_at")):  # fmt: skip
        got = [getattr(i, attr) - i.opened_at for i in cohort if getattr(i, attr)]
        out[name] = (len(got), naive_mean(got), len(cohort) - len(got))
    for kind_ in ("response", "resolution"):
        met = breached = pending = 0
        for i in cohort:
            c = next(c for c in i.clocks if c.kind == kind_)
            if c.due_at is None:
                pending += 1
            elif c.stopped_at is not None:
                met, breached = (met + 1, breached) if c.stopped_at <= c.due_at else (
                    met, breached + 1)  # fmt: skip
            else:
                breached, pending = (breached + 1, pending) if as_of > c.due_at else (
                    breached, pending + 1)  # fmt: skip
        out[kind_ + "_sla"] = (met, breached, pending)
    out["escalated"] = sum(
        1 for i in cohort
        if i.level != "L1" or i.escalations_by_breach or i.escalations_by_hand
        or i.escalations_by_policy
    )  # fmt: skip
    out["fcr"] = sum(
        1 for i in cohort if i.resolved_at and i.staff_replies < 2 and not escalated(i)
    )
    rated = [i.csat for i in cohort if i.csat]
    out["csat"] = (
        len(rated),
        Fraction(sum(rated), len(rated)) if rated else None,
        Fraction(len([r for r in rated if r in (4, 5)]), len(rated)) if rated else None,
    )
    return out


def actual(f) -> dict:  # type: ignore[no-untyped-def]
    return {
        "opened": f.opened, "resolved": f.resolved, "open_at_end": f.open_at_end,
        "response": (f.response.count, f.response.mean, f.response.apart),
        "ack": (f.acknowledge.count, f.acknowledge.mean, f.acknowledge.apart),
        "resolution": (f.resolution.count, f.resolution.mean, f.resolution.apart),
        "response_sla": (f.response_sla.met, f.response_sla.breached, f.response_sla.pending),
        "resolution_sla": (
            f.resolution_sla.met, f.resolution_sla.breached, f.resolution_sla.pending),
        "escalated": f.escalated, "fcr": f.first_contact_resolved,
        "csat": (len(f.csat_scores),
                 None if f.csat_mean is None else Fraction(f.csat_mean).limit_denominator(1000),
                 None if f.csat_top_share is None
                 else Fraction(f.csat_top_share).limit_denominator(1000)),
    }  # fmt: skip


def _close(a: dict, b: dict) -> bool:
    """Equal, with means allowed one microsecond apart (timedelta division rounds)."""
    for key in a:
        x, y = a[key], b[key]
        if isinstance(x, tuple) and x and isinstance(x[1], timedelta):
            if x[0] != y[0] or x[2] != y[2] or abs(x[1] - y[1]) > timedelta(microseconds=1):
                return False
        elif key == "csat":
            if x != y:
                return False
        elif isinstance(x, tuple) and x and x[1] is None:
            if x != y:
                return False
        elif x != y:
            return False
    return True


@pytest.mark.parametrize("seed", range(40))
def test_figures_match_a_naive_reference(seed: int) -> None:
    rng = random.Random(seed)
    period = parse_month(MONTHS[seed % len(MONTHS)])
    around = datetime(period.first_day.year, period.first_day.month, 1, tzinfo=UTC)
    incidents = [random_incident(rng, n, around) for n in range(rng.randint(0, 120))]
    as_of = around + timedelta(days=rng.randint(-5, 45))
    groups = grouped(incidents, period, as_of)
    assert _close(reference(incidents, period, as_of), actual(groups[("overall", "all")]))
    for (grouping, name), got in groups.items():
        if grouping == "customer":
            members = [i for i in incidents if (i.customer or "internal") == name]
        elif grouping == "severity":
            members = [i for i in incidents if f"sev{i.severity}" == name]
        elif grouping == "tier":
            members = [i for i in incidents if i.tier == name]
        else:
            continue
        assert _close(reference(members, period, as_of), actual(got)), (grouping, name)


@pytest.mark.parametrize("kind", list(PeriodKind))
@pytest.mark.parametrize("seed", range(10))
def test_days_and_weeks_match_the_local_calendar(kind: PeriodKind, seed: int) -> None:
    rng = random.Random(1000 + seed)
    around = datetime(2026, 3, 29, 1, tzinfo=UTC)  # Europe's DST change, a Sunday
    incidents = [random_incident(rng, n, around) for n in range(80)]
    zone = rng.choice(ZONES)
    period = period_of(kind, around + timedelta(hours=rng.randint(-30, 30)), zone)
    as_of = around + timedelta(days=50)
    assert _close(reference(incidents, period, as_of), actual(figures(incidents, period, as_of)))


def naive_credit(i: IncidentRecord, as_of: datetime) -> Decimal | None:
    limit = {1: timedelta(hours=1), 2: timedelta(hours=4)}.get(i.severity)
    if limit is None or i.customer is None:
        return None
    took = (i.first_response_at or as_of) - i.opened_at
    return {1: Decimal(5000), 2: Decimal(2500)}[i.severity] if took > limit else None


@pytest.mark.parametrize("seed", range(40))
def test_credits_match_a_naive_reference_to_the_cent(seed: int) -> None:
    rng = random.Random(5000 + seed)
    period = parse_month(MONTHS[seed % len(MONTHS)])
    around = datetime(period.first_day.year, period.first_day.month, 1, tzinfo=UTC)
    incidents = [random_incident(rng, n, around) for n in range(rng.randint(0, 150))]
    as_of = around + timedelta(days=rng.randint(0, 45))
    customer = rng.choice((None, "new_york", "berlin", "auckland"))
    got = credits(incidents, period, as_of, customer)
    expected = {
        i.key: naive_credit(i, as_of)
        for i in incidents
        if in_local(PeriodKind.MONTH, period.first_day, i.opened_at, i.zone)
        and customer in (None, i.customer)
    }
    owed = {k: v for k, v in expected.items() if v is not None}
    assert {line.key: line.amount for line in got.lines} == owed
    assert got.total == sum(owed.values(), Decimal(0))
    assert str(got.total).endswith(".00")
    for line in got.lines:
        assert line.late_by > timedelta(0)
        assert line.due_at == line.opened_at + (timedelta(hours=1 if line.severity == 1 else 4))
