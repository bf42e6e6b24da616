"""The figures of docs/metrics.md over plain records: pure, no database, no clock.

Every figure of a group is computed over the incidents *opened* in the period (in each
incident's customer zone), except ``resolved`` and ``open_at_end``, which look at the period's
own instants. Incidents that cannot yet give a figure are counted apart, never dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from supportbot.reports.records import IncidentRecord, Period, within


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
class Durations:
    count: int
    mean: timedelta | None
    apart: int  # incidents without the end event (never acknowledged, still open, ...)


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


def _durations(pairs: Iterable[tuple[datetime, datetime | None]]) -> Durations:
    done: list[timedelta] = []
    apart = 0
    for start, end in pairs:
        if end is None:
            apart += 1
        else:
            done.append(end - start)
    mean = sum(done, timedelta(0)) / len(done) if done else None
    return Durations(len(done), mean, apart)


def compliance(incidents: Iterable[IncidentRecord], kind: str, as_of: datetime) -> Compliance:
    """Met, breached and pending targets of one kind; the clock's own due instant decides,
    so business hours and pauses count exactly as the clock counted them."""
    met = breached = pending = 0
    breaches: list[Breach] = []
    for incident in incidents:
        clock = incident.clock(kind)
        if clock is None:
            continue
        due, stopped = clock.due_at, clock.stopped_at
        if stopped is not None and due is not None and stopped <= due:
            met += 1
        elif due is not None and (stopped is not None or due <= as_of):
            breached += 1
            end = stopped if stopped is not None else as_of
            breaches.append(
                Breach(
                    incident.key,
                    incident.customer,
                    incident.severity,
                    kind,
                    due,
                    stopped,
                    end - due,
                )  # fmt: skip
            )
        else:
            pending += 1
    return Compliance(met, breached, pending, tuple(sorted(breaches, key=_breach_order)))


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


def figures(incidents: Sequence[IncidentRecord], period: Period, as_of: datetime) -> Figures:
    """All figures of one group of incidents for ``period``, judged at ``as_of``."""
    cohort = [i for i in incidents if within(i.opened_at, period.bounds(i.zone))]
    by_severity = {s: sum(1 for i in cohort if i.severity == s) for s in (1, 2, 3, 4)}
    resolved = [i for i in incidents if within(i.resolved_at, period.bounds(i.zone))]
    open_at_end = [
        i for i in incidents
        if i.opened_at < period.bounds(i.zone)[1]
        and (i.resolved_at is None or i.resolved_at >= period.bounds(i.zone)[1])
    ]  # fmt: skip
    return Figures(
        opened=len(cohort),
        resolved=len(resolved),
        open_at_end=len(open_at_end),
        opened_by_severity=by_severity,
        response=_durations((i.opened_at, i.first_response_at) for i in cohort),
        acknowledge=_durations((i.opened_at, i.acknowledged_at) for i in cohort),
        resolution=_durations((i.opened_at, i.resolved_at) for i in cohort),
        response_sla=compliance(cohort, "response", as_of),
        resolution_sla=compliance(cohort, "resolution", as_of),
        escalated=sum(1 for i in cohort if escalated(i)),
        escalated_by_breach=sum(1 for i in cohort if i.escalations_by_breach),
        escalated_by_policy=sum(1 for i in cohort if i.escalations_by_policy),
        escalated_by_hand=sum(1 for i in cohort if i.escalations_by_hand),
        first_contact_resolved=sum(1 for i in cohort if first_contact(i)),
        csat_scores=tuple(i.csat for i in cohort if i.csat is not None),
    )


GROUPINGS: dict[str, Callable[[IncidentRecord], str]] = {
    "customer": lambda i: i.customer or "internal",
    "tier": lambda i: i.tier,
    "severity": lambda i: f"sev{i.severity}",
}


def grouped(
    incidents: Sequence[IncidentRecord], period: Period, as_of: datetime
) -> dict[tuple[str, str], Figures]:
    """Figures overall, per customer, per tier and per severity: ``(grouping, name)`` keys."""
    out = {("overall", "all"): figures(incidents, period, as_of)}
    for grouping, key_of in GROUPINGS.items():
        names = sorted({key_of(i) for i in incidents})
        for name in names:
            members = [i for i in incidents if key_of(i) == name]
            out[(grouping, name)] = figures(members, period, as_of)
    return out
