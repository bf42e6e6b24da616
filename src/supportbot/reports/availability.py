"""Availability of one customer in one calendar month, and the credit it costs: pure.

- **Downtime** is the union of the open intervals (opened → resolved, or → the report's
  instant while still open) of the customer's Severity 1 incidents marked as an outage
  ("site down"), clipped to the calendar month in the customer's zone (local midnight of the
  1st to local midnight of the next 1st, so a DST month is 743 or 745 hours long), minus the
  union of the customer's declared maintenance windows.
- **Availability** = (month length − downtime) / month length, kept as an exact fraction;
  a band applies when availability is *strictly* below its threshold (99.9 % exactly owes
  nothing). The percentage shown is truncated, never rounded up, to three decimals, so the
  figure printed never looks better than the one that decided the band.
- **Credit** = the band's percentage of the monthly fee, to the cent, half up.
- A month not over yet is provisional: downtime can only grow, so its credit is a floor.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

from supportbot.contracts.credit_terms import AvailabilityBand, CreditTerms
from supportbot.reports.records import Period

Interval = tuple[datetime, datetime]
_US = timedelta(microseconds=1)


@dataclass(frozen=True)
class OutageRecord:
    """A Severity 1 incident marked as an outage: its open interval is downtime."""

    key: str
    customer: str
    opened_at: datetime
    resolved_at: datetime | None  # None: still open
    # Resolved, then reopened: the site was up in between, so those spans are not downtime.
    resolved_gaps: tuple[Interval, ...] = ()


@dataclass(frozen=True)
class WindowRecord:
    """A declared maintenance window: planned, so never downtime."""

    id: int
    customer: str
    starts_at: datetime
    ends_at: datetime
    reason: str


@dataclass(frozen=True)
class OutageSpan:
    """Evidence: one incident's part of the month's downtime, before maintenance is removed."""

    key: str
    start: datetime
    end: datetime
    still_open: bool


def union(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, merged, non-empty intervals (touching ones merged)."""
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def clip(intervals: Iterable[Interval], low: datetime, high: datetime) -> list[Interval]:
    return [(max(s, low), min(e, high)) for s, e in intervals if max(s, low) < min(e, high)]


def subtract(intervals: Sequence[Interval], holes: Sequence[Interval]) -> list[Interval]:
    """``intervals`` minus ``holes`` (both unions, sorted)."""
    out: list[Interval] = []
    for start, end in intervals:
        cursor = start
        for hole_start, hole_end in holes:
            if hole_end <= cursor or hole_start >= end:
                continue
            if hole_start > cursor:
                out.append((cursor, hole_start))
            cursor = max(cursor, hole_end)
            if cursor >= end:
                break
        if cursor < end:
            out.append((cursor, end))
    return out


def length(intervals: Iterable[Interval]) -> timedelta:
    return sum((end - start for start, end in intervals), timedelta(0))


@dataclass(frozen=True)
class Availability:
    customer: str
    period: Period
    start: datetime
    end: datetime
    as_of: datetime
    outages: tuple[OutageSpan, ...]
    maintenance: tuple[WindowRecord, ...]  # the windows that overlap the month
    downtime: tuple[Interval, ...]  # after maintenance

    @property
    def down(self) -> timedelta:
        return length(self.downtime)

    @property
    def fraction(self) -> Fraction:
        """Exact availability, 0..1."""
        total = (self.end - self.start) // _US
        return Fraction(total - self.down // _US, total)

    @property
    def percent(self) -> Decimal:
        """For display: truncated to three decimals (99.99999 → 99.999, never 100.000)."""
        exact = self.fraction * 100
        return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
            Decimal("0.001"), rounding=ROUND_DOWN
        )

    @property
    def final(self) -> bool:
        return self.as_of >= self.end


def availability(
    customer: str,
    zone: str,
    period: Period,
    outages: Iterable[OutageRecord],
    windows: Iterable[WindowRecord],
    as_of: datetime,
) -> Availability:
    """The month's availability for ``customer`` (only its own outages and windows count)."""
    start, end = period.bounds(zone)
    spans: list[OutageSpan] = []
    for outage in sorted(outages, key=lambda o: (o.opened_at, o.key)):
        if outage.customer != customer:
            continue
        stop = outage.resolved_at if outage.resolved_at is not None else as_of
        down = subtract([(outage.opened_at, stop)], union(outage.resolved_gaps))
        for s, e in clip(down, start, end):
            spans.append(OutageSpan(outage.key, s, e, outage.resolved_at is None))
    mine = [w for w in windows if w.customer == customer]
    overlapping = tuple(
        sorted(
            (w for w in mine if clip([(w.starts_at, w.ends_at)], start, end)),
            key=lambda w: (w.starts_at, w.id),
        )
    )
    holes = union((w.starts_at, w.ends_at) for w in overlapping)
    down = subtract(union((s.start, s.end) for s in spans), holes)
    return Availability(customer, period, start, end, as_of, tuple(spans), overlapping, tuple(down))


def band_for(fraction: Fraction, bands: Sequence[AvailabilityBand]) -> AvailabilityBand | None:
    """The costliest band whose threshold the availability is strictly below."""
    below = [b for b in bands if fraction * 100 < Fraction(b.below)]
    return max(below, key=lambda b: b.percent) if below else None


def met_target(result: Availability, terms: CreditTerms) -> bool:
    return result.fraction * 100 >= Fraction(terms.availability_target)
