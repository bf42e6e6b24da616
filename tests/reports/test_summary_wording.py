"""The short Slack summaries' wording for periods with nothing decided."""

from __future__ import annotations

from datetime import UTC, date, datetime

from supportbot.reports.figures import figures
from supportbot.reports.records import Period, PeriodKind
from supportbot.reports.summary import weekly_digest

WEEK = Period(PeriodKind.WEEK, date(2026, 11, 23))


def test_a_week_without_incidents_says_none_was_due_not_that_verdicts_are_pending() -> None:
    """ "No target decided yet" for a week with no incidents read as if some were pending."""
    text = weekly_digest("Week 48", figures([], WEEK, datetime(2026, 11, 30, tzinfo=UTC)), 0)
    assert "First response within target: none due; resolution within target: none due" in text
    assert "decided yet" not in text
