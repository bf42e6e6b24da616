"""The charging and rounding rules, pure: durations in, units and money out.

Every rule counts *started* units, from the seeds: a request turned over to the support team
is one incident; an appointment is two incidents for its first (started) hour, then one per
started 30 minutes beyond it; per-minute support counts agent-minutes (every agent on the
call, each started minute); one per-incident charge covers its span (2 h) and more time opens
another charge only when the contract says so; prepaid hours are billed in started steps of
the plan's ``round_to`` (15 min). Money is Decimal, rounded to the cent, half up, per line.
Worked examples are in the README ("Plans and the ledger").
"""

from __future__ import annotations

import re
from decimal import Decimal

from supportbot.contracts.currency import rounded

MAX_LOG_MINUTES = 24 * 60  # one log of more than a day is a typo, not a day's work
# A task's estimate may run for weeks (KMSI sells 260 h at a time); a working year is a typo.
MAX_ESTIMATE_MINUTES = 2000 * 60

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")
_DURATION = re.compile(r"(?:\s*\d+(?:\.\d+)?\s*[a-z]+)+\s*")
_UNITS = {
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 1),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 60),
}
HINT = "write a duration such as 45m, 2h or 2h40m"


class DurationError(ValueError):
    pass


def parse_minutes(text: str, *, estimate: bool = False) -> int:
    """ "45m", "2h40m", "1.5h" → whole minutes; zero, negative, odd units and more than
    a day (an estimate: more than MAX_ESTIMATE_MINUTES) are refused with what to write
    instead."""
    raw = str(text).strip().lower()
    if raw.startswith("-"):
        raise DurationError(f"`{text}` is negative; {HINT}")
    if not raw or not _DURATION.fullmatch(raw):
        raise DurationError(f"cannot read `{text}` as a duration; {HINT}")
    total = Decimal(0)
    for amount, unit in _PART.findall(raw):
        factor = _UNITS.get(unit)
        if factor is None:
            raise DurationError(f"`{text}`: unknown unit `{unit}`; {HINT}")
        total += Decimal(amount) * factor
    if total != total.to_integral_value():
        raise DurationError(f"`{text}` is not a whole number of minutes; {HINT}")
    minutes = int(total)
    if minutes <= 0:
        raise DurationError(f"`{text}` is zero; {HINT}")
    if estimate and minutes > MAX_ESTIMATE_MINUTES:
        most = MAX_ESTIMATE_MINUTES // 60
        raise DurationError(f"`{text}` is more than {most} h; estimate the task in parts")
    if not estimate and minutes > MAX_LOG_MINUTES:
        raise DurationError(f"`{text}` is more than 24 h; log each day's work on its own")
    return minutes


def split_duration(text: str) -> tuple[str, str]:
    """A command's duration and the note after it: ``"1h 30m checked logs"`` →
    ``("1h 30m", "checked logs")``. The first word is the duration, whatever it is (so a
    mistake is reported); the words after it that are a number and a known unit belong to it,
    as the Log time form reads them, rather than silently becoming the note."""
    first, *more = text.split(None, 1) or [""]
    rest = more[0] if more else ""
    taken = [first]
    while rest:
        word, *after = rest.split(None, 1)
        part = _PART.fullmatch(word.lower())
        if part is None or part.group(2) not in _UNITS:
            break
        taken.append(word)
        rest = after[0] if after else ""
    return " ".join(taken), rest.strip()


def started(amount: int, step: int) -> int:
    """How many ``step``s ``amount`` starts: 0 → 0, 1 → 1, step → 1, step + 1 → 2."""
    if amount < 0 or step <= 0:
        raise ValueError(f"started({amount}, {step}): amount ≥ 0 and step > 0 only")
    return -(-amount // step)


def seconds_to_minutes(seconds: float) -> int:
    """A timer's running time as started minutes (at least one: it was started)."""
    if seconds < 0:
        raise ValueError(f"a timer cannot run {seconds} s")
    return max(1, started(int(-(-seconds // 1)), 60))


def appointment_incidents(minutes: int) -> int:
    """Two incidents for the first started hour, then one per started 30 minutes beyond."""
    _positive(minutes)
    return 2 + started(max(0, minutes - 60), 30)


def per_incident_charges(total_minutes: int, span_minutes: int, second_charge: bool) -> int:
    """Charges owed by an incident with ``total_minutes`` of work: one covers ``span``; more
    time opens another per started span only when the contract says so."""
    if total_minutes < 0:
        raise ValueError("work time cannot be negative")
    if not second_charge:
        return 1
    return max(1, started(total_minutes, span_minutes))


def agent_minutes(per_agent: list[int]) -> int:
    """A per-minute call: every agent's minutes count (two agents for 10 min are 20)."""
    for minutes in per_agent:
        _positive(minutes)
    return sum(per_agent)


def billed_minutes(minutes: int, round_to: int) -> int:
    """Prepaid hours: a log is billed in started steps of ``round_to`` minutes."""
    _positive(minutes)
    return started(minutes, round_to) * round_to


def money(quantity: Decimal | int, rate: Decimal, currency: str | None = None) -> Decimal:
    """One line's amount, rounded to the currency's unit (the cent; the yen), half up
    (lines are summed after rounding)."""
    return rounded(Decimal(quantity) * rate, currency)


def hourly_rate(price: Decimal, hours: Decimal, currency: str | None = None) -> Decimal:
    """The prepaid rate: 20,000.00 for 260 h is 76.92 an hour (to the cent, half up)."""
    return rounded(price / hours, currency)


def hours_text(minutes: int) -> str:
    """Minutes as hours for people: 150 → "2.5 h", 160 → "2 h 40 min"."""
    hours, rest = divmod(abs(minutes), 60)
    sign = "-" if minutes < 0 else ""
    if rest == 0:
        return f"{sign}{hours} h"
    if rest == 30:
        return f"{sign}{hours}.5 h"
    return f"{sign}{hours} h {rest} min" if hours else f"{sign}{rest} min"


def _positive(minutes: int) -> None:
    if minutes <= 0:
        raise DurationError(f"{minutes} min: a duration must be more than zero")
