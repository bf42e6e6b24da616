"""``/healthz`` of the running web app: each part, 503 when paging is impossible."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
from sqlalchemy import select

from supportbot import health
from supportbot.clock import TravelClock
from supportbot.db.migrate import upgrade
from supportbot.db.models import SlaTimer
from supportbot.reconciler import reconcile_once
from supportbot.runtime import Runtime, build_runtime
from supportbot.settings import Settings
from supportbot.web import build_bolt_app, build_flask_app
from supportbot.worker import run_worker
from tests.conftest import SIGNING_SECRET, Desk, make_settings
from tests.standins import SlackStandin
from tests.standins.slack_api import SlackError
from tests.support.live import drain, serve
from tests.support.records import ACME_CHANNEL

# One region, 08:00-20:00 Dublin on weekdays, and no fallback roster: L1 has gaps.
WEEKDAYS_ONLY = """\
people:
  una: {name: Una Ruane, slack: U0SMALL001, phone: "+353 85 555 0201"}
  uli: {name: Uli Berg,  slack: U0SMALL002, phone: "+353 85 555 0202"}
regions:
  - name: Solo
    time_zone: Europe/Dublin
    shift: {start: "08:00", end: "20:00"}
    working_days: [mon, tue, wed, thu, fri]
    rosters:
      L1: {rotation: daily, handoff_time: "08:00", start: 2025-01-06, primary: [una, uli]}
management: [una]
"""
FRIDAY_10_DUBLIN = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)  # Dublin is UTC in winter
SATURDAY_10_DUBLIN = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


@contextmanager
def _web(
    settings: Settings, *, clock: TravelClock | None = None, beat: bool = True, migrate: bool = True
) -> Iterator[str]:
    """The web app on its own runtime, as ``supportbot web`` starts it (migrations first);
    ``beat``: a worker has written its heartbeat."""
    rt = build_runtime(settings, clock=clock)
    if migrate:
        upgrade(rt.engine)
    if beat:
        health.beat(rt)
    try:
        with serve(build_flask_app(rt, build_bolt_app(rt, SIGNING_SECRET))) as url:
            yield url
    finally:
        rt.engine.dispose()


def _health(url: str) -> tuple[int, dict[str, object]]:
    response = requests.get(url + "/healthz", timeout=10)
    return response.status_code, response.json()


def _rotations(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "rotations"
    folder.mkdir(exist_ok=True)
    (folder / "team.yaml").write_text(text)
    return folder


def test_healthz_is_200_with_every_part_ok_once_the_worker_has_run(desk: Desk) -> None:
    run_worker(desk.rt, burst=True)  # the real worker, which writes its heartbeat

    status, body = _health(desk.url)

    assert status == 200
    assert body == {
        "status": "ok",
        "database": "ok",
        "redis": "ok",
        "slack": "ok",
        "staff": "ok",
        "rotations": "ok",
        "worker": "ok",
        "overdue": "none",
        "data_files": "ok",
        "down": [],
        "degraded": [],
    }


def test_without_a_worker_heartbeat_healthz_is_503_naming_the_worker(desk: Desk) -> None:
    status, body = _health(desk.url)

    assert status == 503
    assert body["status"] == "unavailable" and body["down"] == ["worker"]
    assert str(body["worker"]).startswith("down: no heartbeat in the last 60 s")


def test_a_heartbeat_lasts_a_minute_and_one_that_expired_is_none(desk: Desk) -> None:
    health.beat(desk.rt)
    assert 0 < desk.rt.redis.ttl(health.heartbeat_key(desk.rt)) <= 60
    assert _health(desk.url)[0] == 200
    # Redis expires the key a minute after the last beat; here the minute is over at once.
    desk.rt.redis.pexpire(health.heartbeat_key(desk.rt), 1)
    while desk.rt.redis.exists(health.heartbeat_key(desk.rt)):
        pass

    status, body = _health(desk.url)

    assert status == 503 and body["down"] == ["worker"]


def test_healthz_never_asks_slack_itself(desk: Desk) -> None:
    health.beat(desk.rt)
    before = len(desk.api.calls("auth.test"))

    answers = [_health(desk.url)[0] for _ in range(5)]

    assert answers == [200] * 5
    assert len(desk.api.calls("auth.test")) == before


def test_healthz_is_503_naming_redis_when_redis_is_unreachable(
    tmp_path: Path, database_url: str, slack_api: SlackStandin
) -> None:
    settings = make_settings(tmp_path, "redis://127.0.0.1:1/0", database_url, slack_api.api_url)

    with _web(settings, beat=False) as url:
        status, body = _health(url)

    assert status == 503
    assert body["status"] == "unavailable"
    assert str(body["redis"]).startswith("down: ")
    assert body["database"] == "ok"
    assert body["worker"] == "unknown: Redis is down"
    assert body["down"] == ["redis", "worker"]


def test_healthz_is_503_naming_the_database_when_it_is_unreachable(
    tmp_path: Path, redis_url: str, slack_api: SlackStandin
) -> None:
    unreachable = "postgresql+psycopg://nobody@127.0.0.1:1/nothing?connect_timeout=2"
    settings = make_settings(tmp_path, redis_url, unreachable, slack_api.api_url)

    with _web(settings, migrate=False) as url:
        status, body = _health(url)

    assert status == 503
    assert str(body["database"]).startswith("down: ") and body["redis"] == "ok"
    assert body["down"] == ["database"]
    assert body["overdue"] == "unknown: the database is down"
    assert body["rotations"] == "ok"  # the files alone, without the overrides


def test_a_broken_rotations_dir_is_503_naming_rotations_file_and_line(
    tmp_path: Path, redis_url: str, database_url: str, slack_api: SlackStandin
) -> None:
    broken = WEEKDAYS_ONLY.replace('start: "08:00", end', 'start: "8 o\'clock", end')
    folder = _rotations(tmp_path, broken)
    settings = make_settings(
        tmp_path, redis_url, database_url, slack_api.api_url, rotations_dir=folder
    )

    with _web(settings) as url:
        status, body = _health(url)

    assert status == 503
    assert body["down"] == ["rotations"]
    shown = str(body["rotations"])
    assert shown.startswith("down: not loaded, nobody can be paged: ")
    assert f"{folder / 'team.yaml'}:7: regions[0].shift.start:" in shown  # the shift's line
    why = shown.removeprefix("down: not loaded, nobody can be paged: ")
    assert body["data_files"] == f"degraded: rotations ({folder}): none in use: {why}"


def test_a_missing_rotations_dir_is_503_naming_rotations(
    tmp_path: Path, redis_url: str, database_url: str, slack_api: SlackStandin
) -> None:
    folder = tmp_path / "no-such-dir"
    settings = make_settings(
        tmp_path, redis_url, database_url, slack_api.api_url, rotations_dir=folder
    )

    with _web(settings) as url:
        status, body = _health(url)

    assert status == 503 and body["down"] == ["rotations"]
    assert f"{folder}: rotations directory not found" in str(body["rotations"])


def test_nobody_on_call_for_l1_now_is_503(
    tmp_path: Path, redis_url: str, database_url: str, slack_api: SlackStandin
) -> None:
    folder = _rotations(tmp_path, WEEKDAYS_ONLY)
    settings = make_settings(
        tmp_path, redis_url, database_url, slack_api.api_url, rotations_dir=folder
    )

    with _web(settings, clock=TravelClock(SATURDAY_10_DUBLIN)) as url:
        status, body = _health(url)

    assert status == 503 and body["down"] == ["rotations"]
    assert str(body["rotations"]).startswith("down: nobody is on call for L1 now (")


def test_an_l1_gap_later_in_the_next_24_hours_is_degraded_not_503(
    tmp_path: Path, redis_url: str, database_url: str, slack_api: SlackStandin
) -> None:
    folder = _rotations(tmp_path, WEEKDAYS_ONLY)
    settings = make_settings(
        tmp_path, redis_url, database_url, slack_api.api_url, rotations_dir=folder
    )

    with _web(settings, clock=TravelClock(FRIDAY_10_DUBLIN)) as url:
        status, body = _health(url)

    assert status == 200
    assert body["status"] == "degraded" and body["down"] == []
    assert body["degraded"] == ["rotations"]
    assert str(body["rotations"]).startswith(
        "degraded: nobody on call for L1 from 2026-11-27 20:00:00 UTC to 2026-11-28 10:00:00 UTC"
    )


def test_slack_auth_test_failing_is_degraded_not_503(desk: Desk) -> None:
    health.beat(desk.rt)
    assert _health(desk.url)[1]["slack"] == "ok"

    def refuse(params: dict[str, object]) -> dict[str, object]:
        raise SlackError("invalid_auth")

    desk.api.on("auth.test", refuse)
    desk.rt.staff.load()  # the staff directory's next refresh, as its background thread runs it
    status, body = _health(desk.url)

    assert status == 200
    assert body["status"] == "degraded" and body["down"] == []
    assert body["slack"] == "unreachable: auth.test failed: SlackApiError: invalid_auth"
    assert str(body["staff"]).startswith("stale: ")  # the home team learnt earlier still holds
    assert body["degraded"] == ["slack", "staff"]


def test_a_database_whose_tables_cannot_be_read_is_503_naming_the_database(
    tmp_path: Path, redis_url: str, database_url: str, slack_api: SlackStandin
) -> None:
    settings = make_settings(tmp_path, redis_url, database_url, slack_api.api_url)

    with _web(settings, migrate=False) as url:
        status, body = _health(url)

    assert status == 503 and body["down"] == ["database"]
    assert str(body["database"]).startswith("down: its tables cannot be read (")
    assert body["overdue"] == "unknown: the database is down"


def _open_and_find_first_timer(desk: Desk) -> SlaTimer:
    desk.slack.command("sev2 invoices are wrong", channel=ACME_CHANNEL)
    desk.drain()
    with desk.rt.sessions() as session:
        timer = session.scalars(
            select(SlaTimer).where(SlaTimer.state == "pending").order_by(SlaTimer.due_at)
        ).first()
    assert timer is not None
    return timer


def test_an_overdue_sla_timer_shows_in_the_report_until_the_worker_runs_it(desk: Desk) -> None:
    rt: Runtime = desk.rt
    health.beat(rt)
    timer = _open_and_find_first_timer(desk)
    assert _health(desk.url)[1]["overdue"] == "none"
    assert isinstance(rt.clock, TravelClock)

    # The worker is gone past the timer's instant plus the grace: nobody fired it.
    rt.clock.set(timer.due_at + health.overdue_grace(rt) + timedelta(seconds=30))
    status, body = _health(desk.url)

    assert status == 200 and body["degraded"] == ["overdue"]
    assert body["overdue"] == (
        f"degraded: oldest overdue: SLA timer INC-{timer.incident_id} {timer.clock} "
        f"{timer.threshold}%, due {timer.due_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
    )

    reconcile_once(rt)  # the worker is back: its reconciler re-drives the lost job
    drain(rt)
    assert _health(desk.url)[1]["overdue"] == "none"


def test_work_due_only_within_the_grace_is_not_overdue(desk: Desk) -> None:
    rt: Runtime = desk.rt
    health.beat(rt)
    timer = _open_and_find_first_timer(desk)
    assert isinstance(rt.clock, TravelClock)

    rt.clock.set(timer.due_at + health.overdue_grace(rt) - timedelta(seconds=5))

    assert _health(desk.url)[1]["overdue"] == "none"
