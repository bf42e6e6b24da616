"""Response time, MTTA and resolution time in business time, beside the wall-clock ones.

For an incident whose SLA clock runs on business hours (the contract's clock for its tier,
severity and coverage: ``IncidentRecord.response_basis`` is the customer's
``BusinessCalendar``), each duration is also measured as the business time between the same
two instants on that calendar, through :class:`supportbot.hours.open_time.OpenTime` (the
calendar's own windows, two binary searches per duration). A group's business means are
given only when its business-clock incidents all run on one calendar; see
``DEFINITIONS["business_time"]`` for why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import NamedTuple

from supportbot.hours.calendar import BusinessCalendar
from supportbot.hours.open_time import OpenTime
from supportbot.reports.records import IncidentRecord

MIXED = "mixed"  # what a group's calendar says when its incidents run on several


@dataclass(frozen=True)
class Durations:
    count: int
    mean: timedelta | None
    apart: int  # incidents without the end event (never acknowledged, still open, ...)


class Sum:
    """A running count, total and count apart of one duration: the mean is total / count,
    exactly as the mean of the list (timedeltas add up exactly, in microseconds)."""

    __slots__ = ("count", "total", "apart")

    def __init__(self) -> None:
        self.count, self.total, self.apart = 0, timedelta(0), 0

    def add(self, took: timedelta | None) -> None:
        if took is None:
            self.apart += 1
        else:
            self.count += 1
            self.total += took

    def result(self) -> Durations:
        return Durations(self.count, self.total / self.count if self.count else None, self.apart)


@dataclass(frozen=True)
class BusinessFigures:
    """A group's business-time means; each None when not given (see the module docstring)."""

    incidents: int = 0  # incidents opened in the period whose clock runs on business hours
    calendar: str | None = None  # the one calendar's description, MIXED, or None (no such)
    response: Durations | None = None
    acknowledge: Durations | None = None
    resolution: Durations | None = None


class Measured(NamedTuple):
    """One incident's durations in business time, on its own calendar."""

    calendar: BusinessCalendar
    response: timedelta | None
    acknowledge: timedelta | None
    resolution: timedelta | None


class BusinessClocks:
    """Measures incidents on their calendars; one table of open time per calendar per report."""

    def __init__(self) -> None:
        self._open: dict[BusinessCalendar, OpenTime] = {}

    def measure(self, incident: IncidentRecord) -> Measured | None:
        """None for an incident on the wall clock (24x7, internal, Sev1 on Premier/Standard)."""
        calendar = incident.response_basis
        if not isinstance(calendar, BusinessCalendar):
            return None
        table = self._open.get(calendar)
        if table is None:
            table = self._open[calendar] = OpenTime(calendar)
        opened, between = incident.opened_at, table.between
        response, ack, resolved = (
            incident.first_response_at, incident.acknowledged_at, incident.resolved_at
        )  # fmt: skip
        return Measured(
            calendar,
            None if response is None else between(opened, response),
            None if ack is None else between(opened, ack),
            None if resolved is None else between(opened, resolved),
        )


class BusinessTally:
    """The business means of one group, added up one incident at a time."""

    __slots__ = ("count", "calendar", "mixed", "response", "acknowledge", "resolution")

    def __init__(self) -> None:
        self.count = 0
        self.calendar: BusinessCalendar | None = None
        self.mixed = False
        self.response, self.acknowledge, self.resolution = Sum(), Sum(), Sum()

    def add(self, measured: Measured | None) -> None:
        if measured is None:
            return
        self.count += 1
        if self.calendar is None:
            self.calendar = measured.calendar
        elif not self.mixed and measured.calendar is not self.calendar:
            # Two customers with the same hours, zone and holidays share one clock.
            self.mixed = measured.calendar.hours != self.calendar.hours
        self.response.add(measured.response)
        self.acknowledge.add(measured.acknowledge)
        self.resolution.add(measured.resolution)

    def result(self) -> BusinessFigures:
        if self.calendar is None:
            return BusinessFigures()
        if self.mixed:
            return BusinessFigures(self.count, MIXED)
        return BusinessFigures(self.count, self.calendar.describe(), self.response.result(),
                               self.acknowledge.result(), self.resolution.result())  # fmt: skip
