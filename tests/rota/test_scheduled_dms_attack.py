"""The rota's scheduled DMs after the worker was down: late, but never stale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import Desk
from tests.rota.test_reminders import BRAM, dms, rows, step


def test_a_weekly_summary_owed_before_an_outage_of_days_is_not_sent_days_late(
    desk: Desk,
) -> None:
    """Planned at 16:00 for Sunday 17:00, its job lost with the worker until Wednesday: sent
    then, "the coming week" would list Monday's and Tuesday's shifts, long past. Up to 12 h
    late it is still sent (reminders.py); older, it is dropped with the reason kept."""
    sunday = datetime(2026, 3, 8, tzinfo=UTC)
    step(desk, sunday + timedelta(hours=16))
    assert any(r.kind == "weekly" and r.person == "bram" for r in rows(desk))
    desk.rt.redis.flushdb()  # the worker and its scheduled jobs are gone
    step(desk, sunday + timedelta(days=3, hours=10))  # back on Wednesday
    assert dms(desk.api, BRAM) == []
    [row] = [r for r in rows(desk) if r.kind == "weekly" and r.person == "bram"]
    assert row.sent_at is None and row.dropped_reason is not None
    assert "late" in row.dropped_reason


def test_a_weekly_summary_a_few_hours_late_is_still_sent(desk: Desk) -> None:
    sunday = datetime(2026, 3, 8, tzinfo=UTC)
    step(desk, sunday + timedelta(hours=16))
    desk.rt.redis.flushdb()
    step(desk, sunday + timedelta(hours=23))  # six hours late: within the catch-up
    [summary] = dms(desk.api, BRAM)
    assert summary.startswith(":calendar: Your on-call shifts in the week from Sun 08 Mar")
