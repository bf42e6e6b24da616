"""Delays written in the rotation files: ``5m``, ``90s``, ``1h30m`` (or ISO 8601, as
``model_dump(mode="json")`` writes them), whole and bounded."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

_DURATION = re.compile(r"(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?")


def span_text(span: timedelta) -> str:
    minutes = int(span.total_seconds()) // 60
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def _duration(value: Any) -> Any:
    if isinstance(value, bool | int | float | Decimal):
        raise ValueError(f"duration {value!r} has no unit: write e.g. '5m', '90s' or '1h'")
    if isinstance(value, str) and not value.upper().startswith("P"):
        match = _DURATION.fullmatch(value.strip())
        if not match or not any(match.groups()):
            raise ValueError(f"invalid duration {value!r}: write e.g. '5m', '90s' or '1h30m'")
        hours, minutes, seconds = (int(part or 0) for part in match.groups())
        try:
            return timedelta(hours=hours, minutes=minutes, seconds=seconds)
        except OverflowError:
            raise ValueError(_too_long(repr(value))) from None
    return value  # a timedelta or ISO 8601 ("PT5M", as model_dump(mode="json") writes it)


MAX_DURATION = timedelta(days=7)


def _too_long(value: str) -> str:
    return (
        f"duration {value} is longer than {MAX_DURATION.days} days: a delay that long "
        "never pages in time (and paging cannot schedule it); write e.g. '5m' or '2h'"
    )


def _bounded(value: timedelta) -> timedelta:
    # A page or step is scheduled at "now + delay": an absurd delay overflowed there and
    # failed the whole step, so a Severity 1 paged nobody.
    if value > MAX_DURATION:
        raise ValueError(_too_long(span_text(value)))
    return value


Duration = Annotated[timedelta, BeforeValidator(_duration), AfterValidator(_bounded)]
