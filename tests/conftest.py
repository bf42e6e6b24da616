"""Shared fixtures: real Redis, real databases, stand-ins and the live web app.

Redis is the one named by REDIS_URL (flushed per test), or an embedded server started for the
session. The database is a fresh SQLite file per test, or the PostgreSQL database named by
DATABASE_URL, emptied per test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from hypothesis import settings as hypothesis_settings
from redis import Redis
from slack_bolt import BoltResponse
from sqlalchemy import create_engine, text

from handlers._common import on_error
from supportbot.clock import TravelClock
from supportbot.devtools.embedded_redis import EmbeddedRedis
from supportbot.reconciler import reconcile_once
from supportbot.runtime import Runtime, build_runtime, set_runtime
from supportbot.settings import Settings
from supportbot.web import build_bolt_app, build_flask_app
from tests.standins import SLACK_TOKEN, SlackStandin
from tests.support.live import TrackingExecutor, drain, serve
from tests.support.slack_requests import TEAM_ID, TRIAGE, SlackInbound

# A gate must not fail at random: CI (.ci/run) replays the same generated examples on every
# run, while a developer's runs keep exploring new ones (a failure found there is kept as an
# ``@example``).
hypothesis_settings.register_profile("ci", derandomize=True)
if os.environ.get("SUPPORTBOT_HYPOTHESIS_PROFILE"):
    hypothesis_settings.load_profile(os.environ["SUPPORTBOT_HYPOTHESIS_PROFILE"])

REPO = Path(__file__).resolve().parent.parent
SIGNING_SECRET = "test-signing-secret-0123456789"


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if os.environ.get("REDIS_URL"):
        yield _per_worker(os.environ["REDIS_URL"])
        return
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    yield server.start()
    server.stop()


def _per_worker(url: str) -> str:
    """Under pytest-xdist each worker flushes a database of its own: the given one for the
    first worker, the next ones for the others (Redis has 16)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    offset = int(worker.removeprefix("gw") or 0)
    if offset == 0:
        return url
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(base + offset) % 16}"))


@pytest.fixture
def redis(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    url = os.environ.get("DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'supportbot.sqlite3'}"
        return
    # Each test run gets a schema of its own, emptied per test, so two runs sharing one
    # PostgreSQL database (a developer's and CI's) never drop each other's tables.
    url = Settings(database_url=url).sqlalchemy_url  # type: ignore[call-arg]
    schema = f"supportbot_test_{os.getpid()}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()


@pytest.fixture
def slack_api() -> Iterator[SlackStandin]:
    with SlackStandin(hang_seconds=1.0) as standin:
        yield standin


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(datetime.now(UTC), ticking=True)


def make_settings(
    tmp_path: Path, redis_url: str, database_url: str, slack_api_url: str, **overrides: object
) -> Settings:
    values: dict[str, object] = dict(
        slack_bot_token=SLACK_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack_api_url,
        redis_url=redis_url,
        database_url=database_url,
        triage_channel=TRIAGE,
        contracts_file=REPO / "contracts" / "customers.yaml",
        triage_rules_file=REPO / "contracts" / "triage.yaml",
        rotations_dir=REPO / "rotations",
        data_dir=tmp_path / "var",
        # Off unless a test is about them (tests/rota): shift DMs and user group calls would
        # otherwise depend on the real day and hour the suite runs at.
        rota_dms=False,
        rota_usergroups=False,
        # Monthly reports, usage summaries and weekly digests post on set days; only their own
        # tests want them.
        scheduled_reports=False,
        # Tests edit data files and use them at once; a running service looks once a second.
        data_files_recheck_seconds=0,
    )
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def settings(
    tmp_path: Path, redis: Redis, redis_url: str, database_url: str, slack_api: SlackStandin
) -> Settings:
    return make_settings(tmp_path, redis_url, database_url, slack_api.api_url)


@pytest.fixture
def rt(settings: Settings, clock: TravelClock) -> Iterator[Runtime]:
    from supportbot.db.migrate import upgrade

    runtime = build_runtime(settings, clock=clock)
    upgrade(runtime.engine)
    set_runtime(runtime)
    yield runtime
    set_runtime(None)
    runtime.engine.dispose()


@dataclass
class Desk:
    """The running product as a test drives it: signed requests in, stand-in records out."""

    rt: Runtime
    slack: SlackInbound
    api: SlackStandin
    url: str
    listeners: TrackingExecutor
    listener_errors: list[BaseException]

    def settle(self) -> None:
        """Wait until every Bolt listener started so far has finished; fail on its errors.

        Bolt answers Slack as soon as a listener acks and runs the rest afterwards, so a test
        waits here before it looks at the database or drains the queue.
        """
        self.listeners.wait_idle()
        if self.listener_errors:
            errors, self.listener_errors[:] = list(self.listener_errors), []
            raise AssertionError(f"a Bolt listener raised: {errors!r}") from errors[0]

    def drain(self) -> None:
        self.settle()
        drain(self.rt)

    def travel(self, delta: timedelta) -> None:
        """Time passes: the reconciler finds what came due (as after a long sleep), and the
        worker runs it."""
        assert isinstance(self.rt.clock, TravelClock)
        self.rt.clock.advance(delta)
        self.settle()
        self.rt.dispatcher.flush()
        reconcile_once(self.rt)
        drain(self.rt)


@pytest.fixture
def desk(rt: Runtime, slack_api: SlackStandin) -> Iterator[Desk]:
    bolt = build_bolt_app(rt, SIGNING_SECRET)
    # Track the listeners Bolt runs after acking, and surface their errors in the test
    # instead of only in Bolt's log.
    listeners = TrackingExecutor()
    bolt.listener_runner.listener_executor = listeners
    bolt.listener_runner.lazy_listener_runner.executor = listeners  # type: ignore[attr-defined]
    errors: list[BaseException] = []

    @bolt.error
    def _record(
        error: Exception, body: dict[str, Any], response: BoltResponse | None
    ) -> BoltResponse | None:
        errors.append(error)
        return on_error(error, body, response)  # what the product answers, as shipped

    with serve(build_flask_app(rt, bolt)) as url:
        inbound = SlackInbound(
            url + "/slack/events", SIGNING_SECRET, slack_api.response_url, team_id=TEAM_ID
        )
        yield Desk(rt, inbound, slack_api, url, listeners, errors)
        listeners.wait_idle()
        inbound.session.close()
    listeners.shutdown(wait=True)
