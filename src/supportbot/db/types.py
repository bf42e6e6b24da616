"""Column types shared by the models."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from supportbot.clock import as_utc, require_aware


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC in, aware UTC out, on every backend.

    SQLite drops the offset, so values are normalised to UTC on the way in and re-tagged on
    the way out; a naive value is refused rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return as_utc(require_aware(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


# The largest id an INTEGER primary key holds on PostgreSQL (and the most SQLite is asked
# for): a larger number someone typed is refused before it reaches the database.
ROW_ID_MAX = 2**31 - 1
_ROW_ID = re.compile(r"[0-9]{1,10}")


def row_id(text: str) -> int | None:
    """An id as people and webhooks send it: ASCII digits within range, else None."""
    raw = text.strip()
    if not _ROW_ID.fullmatch(raw):
        return None
    number = int(raw)
    return number if 0 < number <= ROW_ID_MAX else None
