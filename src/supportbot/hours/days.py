"""Day names and time-zone names as people write them in data files, checked once.

Contracts, business hours and rotations all name zones and working days; one parser each
gives them the same spellings and the same helpful errors.
"""

from __future__ import annotations

import difflib
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

DAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_ALIASES = {
    **{name: name for name in DAY_NAMES},
    **{full: full[:3] for full in (
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"
    )},
    "tues": "tue", "thur": "thu", "thurs": "thu",
}  # fmt: skip


def check_zone(value: str) -> str:
    """An IANA zone name, or a ValueError that suggests the names it was probably meant to be."""
    name = value.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        close = difflib.get_close_matches(name, sorted(available_timezones()), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ValueError(
            f"unknown time zone {value!r}{hint}: use an IANA name such as Europe/Dublin, "
            "America/New_York or Asia/Singapore"
        ) from None
    return name


def parse_days(values: list[str]) -> list[str]:
    """Day names as people write them ("Monday", "tues") → mon…sun, in week order."""
    wanted: set[str] = set()
    for day in values:
        short = _DAY_ALIASES.get(str(day).strip().lower())
        if short is None:
            raise ValueError(f"unknown day {day!r}: use {', '.join(DAY_NAMES)}")
        wanted.add(short)
    if not wanted:
        raise ValueError("give at least one day, e.g. [mon, tue, wed, thu, fri]")
    return [name for name in DAY_NAMES if name in wanted]
