"""One ISO 8601 instant parser behind ``supportbot oncall --at`` and ``supportbot sla deadline
--opened``: both accept and refuse the same texts, for the same reason; each caller words
the reason its own way (tests/oncall/test_cli.py, tests/sla/test_sla_cli.py)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta, timezone

import pytest

from supportbot.cli_commands.oncall import instant
from supportbot.instants import InstantError, parse_instant
from supportbot.sla.explain import DeadlineQueryError, parse_opened

GOOD = {
    "2026-03-10T10:00Z": datetime(2026, 3, 10, 10, tzinfo=UTC),
    " 2026-03-10T11:00+01:00 ": datetime(2026, 3, 10, 11, tzinfo=timezone(timedelta(hours=1))),
    "1970-01-01T00:30+05:00": datetime(1970, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=5))),
    "9998-12-31T23:59:59.999999-14:00": datetime(
        9998, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-14))
    ),
}
BAD = {
    "tomorrow": "malformed",
    "2026-13-01T10:00Z": "malformed",
    "2025-02-30T10:00Z": "malformed",
    "": "malformed",
    "2026-03-10T10:00": "naive",
    # A day alone is no instant, with or without an offset (Python reads "2026-03-10+01:00"
    # as the naive midnight, and the hint for a missing offset was "2026-03-10+01:00Z").
    "2026-03-10": "malformed",
    "2026-03-10Z": "malformed",
    "2026-03-10+01:00": "malformed",
    "9999-12-31T23:59:59Z": "range",
    "0001-01-01T00:00:00Z": "range",
    "1969-12-31T23:59:59Z": "range",
}


@pytest.mark.parametrize("text", GOOD)
def test_both_callers_read_an_instant_the_same_way(text: str) -> None:
    parsed = parse_instant(text)
    assert parsed == GOOD[text] and parsed.utcoffset() == GOOD[text].utcoffset()
    assert instant(text) == parsed and instant(text).utcoffset() == parsed.utcoffset()
    # --opened is stored and computed in UTC.
    opened = parse_opened(text)
    assert opened == parsed and opened.tzinfo is UTC


@pytest.mark.parametrize("text", BAD)
def test_both_callers_refuse_the_same_texts_for_the_same_reason(text: str) -> None:
    with pytest.raises(InstantError) as refused:
        parse_instant(text)
    assert refused.value.reason == BAD[text]
    with pytest.raises(argparse.ArgumentTypeError):
        instant(text)
    with pytest.raises(DeadlineQueryError):
        parse_opened(text)


def test_the_year_range_is_written_once() -> None:
    with pytest.raises(InstantError, match="the year must be from 1970 to 9998"):
        parse_instant("9999-01-01T00:00Z")


def test_a_day_alone_is_answered_with_a_time_to_write() -> None:
    with pytest.raises(InstantError) as refused:
        parse_instant("2026-12-25+01:00")
    assert "is a day, not an instant: write e.g. 2026-12-25T09:00:00Z" in str(refused.value)
    assert parse_instant("2026-12-25T09:00:00Z").hour == 9  # the hint itself is read
