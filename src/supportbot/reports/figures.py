"""The figures of docs/metrics.md over plain records: pure, no database, no clock.

Every figure of a group is computed over the incidents *opened* in the period (in each
incident's customer zone), except ``resolved`` and ``open_at_end``, which look at the period's
own instants. Incidents that cannot yet give a figure are counted apart, never dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from supportbot.reports.business import (
    BusinessClocks,
    BusinessFigures,
    BusinessTally,
    Durations,
    Measured,
    Sum,
)
from supportbot.reports.records import IncidentRecord, Period, within
from supportbot.sla.deadlines import is_late


@dataclass(frozen=True)
class Breach:
    key: str
    customer: str | None
    severity: int
    target: str  # response | resolution
    due_at: datetime
    actual_at: datetime | None  # None: not stopped yet, still counting
    late_by: timedelta


@dataclass(frozen=True)
class Compliance:
    met: int
    breached: int
    pending: int  # still running (or paused) and not yet due: no verdict yet
    breaches: tuple[Breach, ...]

    @property
    def share(self) -> float | None:
        decided = self.met + self.breached
        return None if decided == 0 else self.met / decided


@dataclass(frozen=True)
class Figures:
    opened: int
    resolved: int
    open_at_end: int
    opened_by_severity: dict[int, int]
    response: Durations
    acknowledge: Durations  # MTTA
    resolution: Durations  # MTTR
    response_sla: Compliance
    resolution_sla: Compliance
    escalated: int
    escalated_by_breach: int
    escalated_by_policy: int
    escalated_by_hand: int
    first_contact_resolved: int
    csat_scores: tuple[int, ...] = ()  # ratings of the incidents opened in the period
    business: BusinessFigures = BusinessFigures()  # the durations in business time
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def csat_mean(self) -> float | None:
        scores = self.csat_scores
        return None if not scores else sum(scores) / len(scores)

    @property
    def csat_top_share(self) -> float | None:
        """The share of ratings that are 4 or 5."""
        scores = self.csat_scores
        return None if not scores else sum(1 for s in scores if s >= 4) / len(scores)

    @property
    def escalation_rate(self) -> float | None:
        return None if self.opened == 0 else self.escalated / self.opened

    @property
    def first_contact_rate(self) -> float | None:
        done = self.resolution.count
        return None if done == 0 else self.first_contact_resolved / done


MET, PENDING = "met", "pending"
Verdict = str | Breach | None  # met, pending, the breach, or None without such a clock


def verdict(incident: IncidentRecord, kind: str, as_of: datetime) -> Verdict:
    """One target of one incident; the clock's own due instant decides, so business hours
    and pauses count exactly as the clock counted them."""
    clock = incident.clock(kind)
    if clock is None:
        return None
    due, stopped = clock.due_at, clock.stopped_at
    if due is None:
        return PENDING
    if stopped is not None and not is_late(due, stopped):
        return MET
    if stopped is not None or is_late(due, as_of):
        end = stopped if stopped is not None else as_of
        return Breach(incident.key, incident.customer, incident.severity, kind, due, stopped,
                      end - due)  # fmt: skip
    return PENDING


class _Verdicts:
    __slots__ = ("met", "pending", "breaches")

    def __init__(self) -> None:
        self.met, self.pending, self.breaches = 0, 0, list[Breach]()

    def add(self, one: Verdict) -> None:
        if isinstance(one, Breach):
            self.breaches.append(one)
        elif one == MET:
            self.met += 1
        elif one == PENDING:
            self.pending += 1

    def result(self) -> Compliance:
        breaches = tuple(sorted(self.breaches, key=_breach_order))
        return Compliance(self.met, len(breaches), self.pending, breaches)


def _breach_order(breach: Breach) -> tuple[datetime, str]:
    return breach.due_at, breach.key


def escalated(incident: IncidentRecord) -> bool:
    return (
        incident.escalations_by_breach + incident.escalations_by_policy
        + incident.escalations_by_hand > 0 or incident.level != "L1"
    )  # fmt: skip


def first_contact(incident: IncidentRecord) -> bool:
    """Resolved at L1, never escalated, at most one staff reply to the customer."""
    return (
        incident.resolved_at is not None and not escalated(incident) and incident.staff_replies <= 1
    )


class _Share(NamedTuple):
    """What one incident adds to the figures of every group it is in: worked out once per
    incident, then added to its overall, customer, tier and severity groups."""

    opened: bool  # in the cohort: the rest of the fields count only then
    resolved: bool
    open_at_end: bool
    severity: int = 0
    response: timedelta | None = None
    acknowledge: timedelta | None = None
    resolution: timedelta | None = None
    response_sla: Verdict = None
    resolution_sla: Verdict = None
    by_breach: bool = False
    by_policy: bool = False
    by_hand: bool = False
    escalated: bool = False
    first_contact: bool = False
    csat: int | None = None
    business: Measured | None = None  # None: on the wall clock


def _took(start: datetime, end: datetime | None) -> timedelta | None:
    return None if end is None else end - start


def _share(i: IncidentRecord, period: Period, as_of: datetime, clocks: BusinessClocks) -> _Share:
    start, end = period.bounds(i.zone)
    resolved = within(i.resolved_at, (start, end))
    open_at_end = i.opened_at < end and (i.resolved_at is None or i.resolved_at >= end)
    if not start <= i.opened_at < end:
        return _Share(False, resolved, open_at_end)
    return _Share(
        True, resolved, open_at_end, i.severity,
        _took(i.opened_at, i.first_response_at), _took(i.opened_at, i.acknowledged_at),
        _took(i.opened_at, i.resolved_at),
        verdict(i, "response", as_of), verdict(i, "resolution", as_of),
        bool(i.escalations_by_breach), bool(i.escalations_by_policy),
        bool(i.escalations_by_hand), escalated(i), first_contact(i), i.csat, clocks.measure(i),
    )  # fmt: skip


class _Tally:
    """The figures of one group, added up one incident's share at a time."""

    def __init__(self) -> None:
        self.opened = self.resolved = self.open_at_end = 0
        self.by_severity = {s: 0 for s in (1, 2, 3, 4)}
        self.response, self.acknowledge, self.resolution = Sum(), Sum(), Sum()
        self.business = BusinessTally()
        self.response_sla, self.resolution_sla = _Verdicts(), _Verdicts()
        self.escalated = self.by_breach = self.by_policy = self.by_hand = self.fcr = 0
        self.csat: list[int] = []

    def add(self, share: _Share) -> None:
        self.resolved += share.resolved
        self.open_at_end += share.open_at_end
        if not share.opened:
            return
        self.opened += 1
        if share.severity in self.by_severity:
            self.by_severity[share.severity] += 1
        self.response.add(share.response)
        self.acknowledge.add(share.acknowledge)
        self.resolution.add(share.resolution)
        self.response_sla.add(share.response_sla)
        self.resolution_sla.add(share.resolution_sla)
        self.escalated += share.escalated
        self.by_breach += share.by_breach
        self.by_policy += share.by_policy
        self.by_hand += share.by_hand
        self.fcr += share.first_contact
        if share.csat is not None:
            self.csat.append(share.csat)
        self.business.add(share.business)

    def result(self) -> Figures:
        return Figures(
            opened=self.opened, resolved=self.resolved, open_at_end=self.open_at_end,
            opened_by_severity=self.by_severity, response=self.response.result(),
            acknowledge=self.acknowledge.result(), resolution=self.resolution.result(),
            response_sla=self.response_sla.result(),
            resolution_sla=self.resolution_sla.result(), escalated=self.escalated,
            escalated_by_breach=self.by_breach, escalated_by_policy=self.by_policy,
            escalated_by_hand=self.by_hand, first_contact_resolved=self.fcr,
            csat_scores=tuple(self.csat), business=self.business.result(),
        )  # fmt: skip


def figures(incidents: Sequence[IncidentRecord], period: Period, as_of: datetime) -> Figures:
    """All figures of one group of incidents for ``period``, judged at ``as_of``."""
    tally, clocks = _Tally(), BusinessClocks()
    for incident in incidents:
        tally.add(_share(incident, period, as_of, clocks))
    return tally.result()


GROUPINGS: dict[str, Callable[[IncidentRecord], str]] = {
    "customer": lambda i: i.customer or "internal",
    "tier": lambda i: i.tier,
    "severity": lambda i: f"sev{i.severity}",
}


def grouped(
    incidents: Sequence[IncidentRecord], period: Period, as_of: datetime
) -> dict[tuple[str, str], Figures]:
    """Figures overall, per customer, per tier and per severity: ``(grouping, name)`` keys.

    One pass: each incident's share is worked out once and added to its four groups (the
    same figures as :func:`figures` over each group's members, tested)."""
    overall, clocks = _Tally(), BusinessClocks()
    tallies: dict[tuple[str, str], _Tally] = {}
    for incident in incidents:
        share = _share(incident, period, as_of, clocks)
        overall.add(share)
        for grouping, key_of in GROUPINGS.items():
            key = (grouping, key_of(incident))
            tally = tallies.get(key)
            if tally is None:
                tally = tallies[key] = _Tally()
            tally.add(share)
    out = {("overall", "all"): overall.result()}
    for grouping in GROUPINGS:
        for key in sorted(k for k in tallies if k[0] == grouping):
            out[key] = tallies[key].result()
    return out
