"""Personal rules, as pure arithmetic: quiet hours and contact methods (issue 13).

Quiet hours follow the person's own wall clock: an instant is quiet when the local time read
on that clock falls inside the window (``[start, end)``, crossing midnight when the end is
not after the start). Across DST that is what the person lives by: on the spring change the
window ends early when the clock jumps past its end; on the autumn change a wall time that
happens twice is read twice, so a window ending at 01:30 on that night is quiet again for
the repeated half hour. :func:`quiet_end` finds the first instant that is not quiet.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from supportbot.oncall.model import ContactMethod, Person, QuietHours

DEFAULT_CONTACT = (ContactMethod(method="sms"), ContactMethod(method="voice"))


def in_window(window: QuietHours, local: time) -> bool:
    if window.start < window.end:
        return window.start <= local < window.end
    return local >= window.start or local < window.end


def is_quiet(person: Person, at: datetime) -> bool:
    if person.quiet_hours is None or person.time_zone is None:
        return False
    local = at.astimezone(ZoneInfo(person.time_zone)).time().replace(tzinfo=None)
    return in_window(person.quiet_hours, local)


def quiet_end(person: Person, at: datetime) -> datetime:
    """The first instant at or after ``at`` that is not quiet (``at`` itself if awake).

    Either the clock reads the window's end, or a change of the zone's offset moves the
    reading out of the window before that (forward over the end, or back before the start).
    """
    if not is_quiet(person, at):
        return at
    assert person.quiet_hours is not None and person.time_zone is not None
    zone = ZoneInfo(person.time_zone)
    candidate = _reads_end(person, zone, at)
    t = at
    while t < candidate:
        step = min(t + timedelta(hours=1), candidate)
        if _offset(zone, t) != _offset(zone, step):
            change = _change(zone, t, step)
            if change > at and not is_quiet(person, change):
                return change
        t = step
    return candidate


def _reads_end(person: Person, zone: ZoneInfo, at: datetime) -> datetime:
    """The first instant after ``at`` at which the clock reads the end of the window (the
    earlier one of a wall time that happens twice; for one the clock jumps over, the instant
    just past the jump, which :func:`quiet_end` then narrows to the jump itself)."""
    assert person.quiet_hours is not None
    end = person.quiet_hours.end
    local = at.astimezone(zone)
    day = local.date()
    if local.time().replace(tzinfo=None) >= end:  # in the part before midnight
        day += timedelta(days=1)
    wall = datetime.combine(day, end)
    instants = sorted({wall.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)})
    awake = [i for i in instants if i > at and not is_quiet(person, i)]
    return awake[0] if awake else instants[-1] + timedelta(days=1)


def _offset(zone: ZoneInfo, at: datetime) -> timedelta | None:
    return at.astimezone(zone).utcoffset()


def _change(zone: ZoneInfo, low: datetime, high: datetime) -> datetime:
    """The instant in ``(low, high]`` from which the zone's offset is ``high``'s, to the
    second (zone transitions fall on whole seconds)."""
    after = _offset(zone, high)
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if _offset(zone, middle) == after:
            high = middle
        else:
            low = middle
    whole = high.replace(microsecond=0)
    return whole if whole > low and _offset(zone, whole) == after else high


def contact_plan(person: Person) -> list[tuple[str, str, timedelta]]:
    """(channel, number, delay after the page) for each contact method, in order."""
    methods = person.contact or DEFAULT_CONTACT
    plan: list[tuple[str, str, timedelta]] = []
    for method in methods:
        number = person.second_phone if method.phone == "second" else person.phone
        assert number is not None  # the model refuses a second phone that is not set
        plan.append((method.method, number, method.after))
    return plan
