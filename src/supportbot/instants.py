"""An instant someone typed: ISO 8601 with a UTC offset, within the years the product counts.

One parser for every command that takes an instant (``supportbot oncall --at``, ``supportbot
sla deadline --opened``), so they accept and refuse the same texts. It imports nothing of the
product's, so any layer may use it; each caller says why a text was refused in its own words,
from :attr:`InstantError.reason`.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

# The calendars' and rotations' range: beyond it their date arithmetic overflows (a
# traceback instead of an answer).
FIRST_YEAR, LAST_YEAR = 1970, 9998

Reason = Literal["malformed", "naive", "range"]

# A day alone, with or without an offset: no instant (Python reads "2026-12-25+01:00" as the
# naive midnight, so the hint for a missing offset was "2026-12-25+01:00Z").
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}(?:Z|[+-]\d{2}(?::?\d{2})?)?")


class InstantError(ValueError):
    """Why a text is not a usable instant: ``malformed`` (not ISO 8601), ``naive`` (no UTC
    offset, so any region's time) or ``range`` (a year outside FIRST_YEAR to LAST_YEAR)."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason


def parse_instant(text: str) -> datetime:
    """The instant ``text`` names, aware and with its offset as written (surrounding blanks
    ignored); a naive time is refused, since it would be a different instant in each zone."""
    raw = text.strip()
    if _DAY.fullmatch(raw):
        raise InstantError(
            "malformed", f"{raw!r} is a day, not an instant: write e.g. {raw[:10]}T09:00:00Z"
        )
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise InstantError("malformed", f"{raw!r} is not an ISO 8601 time") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise InstantError("naive", f"{raw!r} has no UTC offset")
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise InstantError("range", f"the year must be from {FIRST_YEAR} to {LAST_YEAR}")
    return value
