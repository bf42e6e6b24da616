"""On-call load: the hour buckets against a minute-by-minute count of every local day across
zones and DST changes; pages and interruptions counted as defined; `supportbot report oncall`
and `report trend` end to end on a real database."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from supportbot.clock import TravelClock
from supportbot.db.models import Escalation, Page
from supportbot.desk import actions, intake
from supportbot.incidents.access import Actor
from supportbot.reports.utilisation import PageRecord, bucket, utilisation
from tests.conftest import Desk
from tests.reports.test_report_cli import report

ZONES = ("America/Chicago", "Europe/Dublin", "Asia/Singapore", "Australia/Lord_Howe", "UTC")
STAFF = Actor.staff_member("U0STAFF001")


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(datetime(2026, 3, 10, 14, 0, tzinfo=UTC))


@pytest.mark.parametrize("zone", ZONES)
def test_buckets_match_a_minute_by_minute_count_of_each_local_day(zone: str) -> None:
    """Every minute of 2026 (plus a leap day of 2028): weekdays hold 8 business hours, every
    day holds 10 sleep hours unless the clocks change in them, and each day's minutes add up
    to its own length."""
    tz = ZoneInfo(zone)
    for start, days in ((date(2026, 1, 1), 365), (date(2028, 2, 28), 3)):
        instant = datetime.combine(start, datetime.min.time(), tz).astimezone(UTC)
        stop = datetime.combine(start + timedelta(days=days), datetime.min.time(), tz)
        per_day: dict[date, Counter[str]] = {}
        while instant < stop:
            # The reference reads the local time through fromtimestamp, not astimezone.
            local = datetime.fromtimestamp(instant.timestamp(), tz)
            per_day.setdefault(local.date(), Counter())[bucket(instant, zone)] += 1
            instant += timedelta(minutes=1)
        for day, counts in per_day.items():
            # Aware datetimes of one zone subtract as wall times: go through UTC.
            length = (datetime.combine(day + timedelta(days=1), datetime.min.time(), tz)
                      .astimezone(UTC)
                      - datetime.combine(day, datetime.min.time(), tz).astimezone(UTC))  # fmt: skip
            assert sum(counts.values()) == length // timedelta(minutes=1), (zone, day)
            assert counts["business"] == (480 if day.weekday() < 5 else 0), (zone, day)
            if length == timedelta(days=1):
                assert counts["sleep"] == 600, (zone, day)


def test_pages_and_interruptions() -> None:
    """Ana (Chicago) is paged three times for INC-1 at 03:00 local (one interruption, three
    pages, all sleep hours) and once for INC-2 on a Tuesday at 10:00 (business)."""
    night = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # 04:00 CDT: sleep hours
    day = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # Tuesday 10:00 CDT: business
    pages = [
        PageRecord("ana", "INC-1", "Americas", night),
        PageRecord("ana", "INC-1", "Americas", night + timedelta(minutes=5)),
        PageRecord("ana", "INC-1", None, night + timedelta(minutes=10)),
        PageRecord("ana", "INC-2", "Americas", day),
        PageRecord("aoife", "INC-2", "EMEA", day),  # 15:00 Dublin, a Tuesday: business
        PageRecord("ana", "INC-3", "Americas", datetime(2026, 4, 1, 1, tzinfo=UTC)),  # April
    ]
    month = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
    zones = {"ana": "America/Chicago", "aoife": "Europe/Dublin"}
    got = {key: load.row(*key) for key, load in utilisation(pages, zones, month).items()}
    ana = got[("person", "ana")]
    assert (ana["pages"], ana["pages_sleep"], ana["pages_business"]) == (4, 3, 1)
    assert (ana["interruptions"], ana["interruptions_sleep"]) == (2, 1)
    assert got[("region", "fallback")]["pages"] == 1
    assert got[("region", "fallback")]["interruptions"] == 0  # INC-1 first paged via Americas
    assert got[("region", "Americas")]["pages"] == 3
    assert got[("person", "aoife")]["pages_business"] == 1


def test_report_oncall_and_trend_end_to_end(desk: Desk, database_url: str, tmp_path: Path) -> None:
    rt = desk.rt
    acme = rt.contracts.by_key("acme")
    assert acme is not None
    opened = intake.open_incident(rt, title="down", severity=2, reporter="U0STAFF001",
                                  customer=acme)  # fmt: skip
    actions.acknowledge(rt, opened.id, STAFF)
    at = datetime(2026, 3, 11, 3, 30, tzinfo=UTC)  # 04:30 Dublin, 22:30 Chicago
    with rt.session() as session:
        esc = Escalation(incident_id=opened.id, policy="{}", started_at=at, ack_code="7QX",
                         region="EMEA")  # fmt: skip
        session.add(esc)
        session.flush()
        for person, minutes in (("aoife", 0), ("aoife", 5), ("ana", 10)):
            sent = at + timedelta(minutes=minutes)
            session.add(Page(escalation_id=esc.id, incident_id=opened.id, person=person,
                             to_number="+35385550101", channel="sms", body="x", state="sent",
                             next_attempt_at=sent, created_at=sent, sent_at=sent,
                             updated_at=sent))  # fmt: skip
    done = report(database_url, tmp_path, "oncall", "--month", "2026-03", "--format", "json")
    assert done.returncode == 0, done.stderr
    rows = {(r["grouping"], r["name"]): r for r in json.loads(done.stdout)["rows"]}
    assert rows[("person", "aoife")]["pages_sleep"] == 2
    assert rows[("person", "aoife")]["interruptions"] == 1
    assert rows[("person", "ana")]["pages_sleep"] == 1  # 22:40 in Chicago
    assert rows[("region", "EMEA")]["pages"] == 3
    csv = report(database_url, tmp_path, "oncall", "--month", "2026-03", "--format", "csv")
    assert csv.stdout.startswith("# supportbot on-call load 2026-03") and "# utilisation:" in (
        csv.stdout
    )

    trend = report(database_url, tmp_path, "trend", "--month", "2026-03", "--format", "json")
    assert trend.returncode == 0, trend.stderr
    months = json.loads(trend.stdout)["rows"]
    assert [m["period"] for m in months][:2] == ["2025-04", "2025-05"] and len(months) == 12
    assert months[-1]["period"] == "2026-03" and months[-1]["opened"] == 1
    assert all(m["opened"] == 0 for m in months[:-1])
    bad = report(database_url, tmp_path, "trend", "--month", "March")
    assert bad.returncode == 2 and "argument --month: 'March' is not a month" in bad.stderr
