"""Parsing ``/incident maintenance|outage|waive credit|availability …``: pure, every mistake
one clear sentence.

- ``/incident maintenance <customer> <YYYY-MM-DD> <HH:MM> <duration> [reason]`` declares a
  window, the date and time read in the customer's own zone; ``maintenance list
  [customer]`` and ``maintenance cancel <id>``.
- ``/incident outage INC-n [off]`` marks a Severity 1 as site down (or not any more).
- ``/incident waive credit INC-n <reason>`` waives that incident's response credit;
  ``/incident waive availability <customer> <YYYY-MM> <reason>`` the month's availability
  credit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from supportbot.contracts.tiers import Span
from supportbot.incidents.find import IncidentError
from supportbot.wording import inert

USAGE = (
    "• `/incident maintenance acme 2026-12-05 02:00 2h database upgrade` declares a window "
    "(date and time in the customer's zone)\n"
    "• `/incident maintenance list [customer]` · `/incident maintenance cancel 12`\n"
    "• `/incident outage INC-42` marks a Sev1 as site down (`off` to undo)\n"
    "• `/incident waive credit INC-42 <reason>` · "
    "`/incident waive availability acme 2026-11 <reason>`"
)
MIN_WINDOW = timedelta(minutes=5)
MAX_WINDOW = timedelta(days=7)
MAX_REASON = 500
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{1,2}:\d{2}$")
_MONTH = re.compile(r"^\d{4}-\d{2}$")


@dataclass(frozen=True)
class NewWindow:
    customer: str
    day: date
    at: time
    length: timedelta
    reason: str


@dataclass(frozen=True)
class CreditCommand:
    kind: str  # maintenance | maintenance-list | maintenance-cancel | outage | waive | waive-month
    window: NewWindow | None = None
    customer: str | None = None
    key: str | None = None  # incident key, or the window id for a cancel
    on: bool = True
    month: str | None = None
    reason: str = ""


def _shown(text: str) -> str:
    return inert(text[:40])


def _reason(words: list[str], what: str) -> str:
    reason = " ".join(words).strip()
    if len(reason) > MAX_REASON:
        raise IncidentError(f"keep the reason under {MAX_REASON} characters")
    if not reason and what:
        raise IncidentError(f"{what} needs a reason, which is kept in the timeline")
    return reason


def _window(words: list[str]) -> NewWindow:
    if len(words) < 4:
        raise IncidentError(
            "`/incident maintenance` needs a customer, a date, a start time and a length, e.g. "
            "`/incident maintenance acme 2026-12-05 02:00 2h database upgrade`"
        )
    customer, day_text, time_text, length_text, *rest = words
    try:
        if not _DATE.match(day_text):
            raise ValueError
        day = date.fromisoformat(day_text)
    except ValueError:
        raise IncidentError(f"{_shown(day_text)!r} is not a date; write YYYY-MM-DD") from None
    try:
        if not _TIME.match(time_text):
            raise ValueError
        hour, minute = (int(part) for part in time_text.split(":"))
        at = time(hour, minute)
    except ValueError:
        raise IncidentError(f"{_shown(time_text)!r} is not a time; write HH:MM") from None
    try:
        span = Span.parse(length_text)
    except ValueError:
        raise IncidentError(
            f"{_shown(length_text)!r} is not a length; write e.g. 90m or 2h"
        ) from None
    if span.business_days or not MIN_WINDOW <= span.fixed <= MAX_WINDOW:
        raise IncidentError("a maintenance window lasts from 5 minutes to 7 days (e.g. 2h)")
    reason = _reason(rest, "") or "planned maintenance"
    return NewWindow(customer, day, at, span.fixed, reason)


def parse(kind: str, text: str) -> CreditCommand:
    """``kind`` is the word after ``/incident``; ``text`` the rest."""
    words = text.split()
    if kind == "maintenance":
        head = words[0].lower() if words else ""
        if head == "list":
            return CreditCommand("maintenance-list", customer=words[1] if len(words) > 1 else None)
        if head == "cancel":
            if len(words) != 2:
                raise IncidentError("`/incident maintenance cancel` needs the window's number")
            return CreditCommand("maintenance-cancel", key=words[1])
        return CreditCommand("maintenance", window=_window(words))
    if kind == "outage":
        if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() != "off"):
            raise IncidentError("write `/incident outage INC-42`, or `… INC-42 off` to undo")
        return CreditCommand("outage", key=words[0], on=len(words) == 1)
    if kind == "waive":
        if words and words[0].lower() == "availability":
            if len(words) < 3 or not _MONTH.match(words[2]):
                raise IncidentError("write `/incident waive availability acme 2026-11 <reason>`")
            reason = _reason(words[3:], "A waiver")
            return CreditCommand("waive-month", customer=words[1], month=words[2], reason=reason)
        if not words:
            raise IncidentError("write `/incident waive credit INC-42 <reason>`")
        return CreditCommand("waive", key=words[0], reason=_reason(words[1:], "A waiver"))
    raise IncidentError(f"I don't know `{_shown(kind)}`.\n{USAGE}")


FAR_AHEAD = "a maintenance window is declared at most a year ahead"
MOST_AHEAD = timedelta(days=366)


def local_start(window: NewWindow, zone: str) -> datetime:
    """The window's start in UTC; a local time skipped by a DST change is refused, and one
    that happens twice is its first occurrence."""
    tz = ZoneInfo(zone)
    local = datetime.combine(window.day, window.at, tz)
    try:
        start = local.astimezone(UTC)
    except OverflowError:  # 9999-12-31 23:00 in New York is in the year 10000 in UTC
        raise IncidentError(FAR_AHEAD) from None
    if start.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise IncidentError(
            f"{window.day} {window.at:%H:%M} does not exist in {zone} (the clocks skip it); "
            "pick another time"
        )
    return start
