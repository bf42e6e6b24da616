"""The process's wiring: settings, database, Redis, queue, Slack client, clock and data files.

Built once per process (web, worker, CLI) and handed to services explicitly; jobs running in
the worker fetch it with :func:`get_runtime`. Contracts and triage rules are
:class:`~supportbot.livefiles.LiveFile` s: an edit on disk is loaded at the next use, and a
bad one leaves the copy in use (README, "Data files").
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from redis import Redis
from rq import Queue
from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from supportbot.clients import redis_conn
from supportbot.clients.pager import Sender, make_sender
from supportbot.clients.slack import LoggingWebClient, make_web_client
from supportbot.clock import Clock, get_clock
from supportbot.contracts.customers import Contracts, load_contracts
from supportbot.contracts.triage import TriageRules, load_triage_rules
from supportbot.db.engine import make_engine
from supportbot.delivery.dispatcher import Dispatcher
from supportbot.delivery.queues import make_queue
from supportbot.delivery.unit import unit_of_work
from supportbot.livefiles import LiveFile
from supportbot.settings import Settings, get_settings
from supportbot.staff import StaffDirectory

log = logging.getLogger(__name__)

# Seconds a request thread waits for Redis. The shared client waits for ever (RQ's blocking
# reads need it), so a Redis that accepts connections and never answers (a stopped process, a
# dead link) held every Slack click and every `/healthz` poll until it came back: Slack gave
# up after its 3 s, and the polls used up the web's threads. Past this, Redis counts as down.
REQUEST_REDIS_TIMEOUT = 1.0


_REQUEST_REDIS = "runtime.request_redis"  # rt.extras: the client of request_redis


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    redis: Redis
    queue: Queue
    urgent_queue: Queue
    slack: WebClient
    clock: Clock
    pager: Sender
    staff: StaffDirectory
    dispatcher: Dispatcher = field(init=False)
    contracts_source: LiveFile[Contracts] = field(init=False)
    triage_source: LiveFile[TriageRules] = field(init=False)
    extras: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.dispatcher = Dispatcher(self.queue, self.urgent_queue)
        # The paths are read from ``settings`` at each use, so a new path is a change too.
        contracts, triage = (
            (lambda: self.settings.contracts_file),
            (lambda: self.settings.triage_rules_file),
        )
        recheck = self.settings.data_files_recheck_seconds
        self.contracts_source = LiveFile(
            "contracts", contracts, load_contracts, Contracts(), missing_ok=True,
            recheck_seconds=recheck,
        )  # fmt: skip
        self.triage_source = LiveFile(
            "triage rules", triage, load_triage_rules, TriageRules(), missing_ok=True,
            recheck_seconds=recheck,
        )  # fmt: skip

    @property
    def contracts(self) -> Contracts:
        return self.contracts_source.get()

    @contracts.setter
    def contracts(self, value: Contracts) -> None:
        self.contracts_source.replace(value)

    @property
    def triage(self) -> TriageRules:
        return self.triage_source.get()

    @triage.setter
    def triage(self, value: TriageRules) -> None:
        self.triage_source.replace(value)

    def live_files(self) -> list[LiveFile[Any]]:
        """Every data file this process keeps loaded; rotations join at their first lookup
        (:func:`supportbot.oncall.lookup.resolver`)."""
        found: list[LiveFile[Any]] = [self.contracts_source, self.triage_source]
        return found + [value for value in self.extras.values() if isinstance(value, LiveFile)]

    @property
    def request_redis(self) -> Redis:
        """Redis for work done while someone waits (a Slack request, ``/healthz``): the
        server of :attr:`redis`, but a call that gets no answer within
        :data:`REQUEST_REDIS_TIMEOUT` raises a ``RedisError``."""
        found = self.extras.get(_REQUEST_REDIS)
        if isinstance(found, tuple) and found[0] is self.redis:
            return cast(Redis, found[1])
        client = redis_conn.bounded(self.redis, self.settings.redis_url, REQUEST_REDIS_TIMEOUT)
        self.extras[_REQUEST_REDIS] = (self.redis, client)  # made again if redis is replaced
        return client

    @property
    def queues(self) -> list[Queue]:
        """In the order workers take jobs: paging first."""
        return [self.urgent_queue, self.queue]

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction; the effects it recorded are dispatched after it commits."""
        with unit_of_work(self.sessions, self.dispatcher) as session:
            yield session

    def now(self) -> datetime:
        return self.clock.now()

    def reload_files(self) -> None:
        """Read contracts and triage rules now; a bad file raises (``DataFileError``) and its
        copy in use stays. A missing file at the first load means none."""
        self.contracts_source.reload()
        self.triage_source.reload()


def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    slack: WebClient | None = None,
    pager: Sender | None = None,
) -> Runtime:
    if settings.redis_url is None:
        raise RuntimeError("REDIS_URL is not set (supportbot run starts an embedded Redis)")
    engine = make_engine(settings.sqlalchemy_url)
    redis = redis_conn.connect(settings.redis_url)
    if slack is None:
        if settings.slack_bot_token is None:
            slack = LoggingWebClient()
        else:
            slack = make_web_client(
                settings.slack_bot_token.get_secret_value(), settings.slack_api_url
            )
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=sessionmaker(engine, expire_on_commit=False),
        redis=redis,
        queue=make_queue(redis, settings.queue_name),
        urgent_queue=make_queue(redis, f"{settings.queue_name}-urgent"),
        slack=slack,
        clock=clock or get_clock(),
        pager=pager or make_sender(settings),
        staff=StaffDirectory(slack, usergroup=settings.staff_usergroup),
    )
    runtime.reload_files()  # a bad file at start raises, as it always did
    return runtime


_runtime: Runtime | None = None


def set_runtime(runtime: Runtime | None) -> None:
    global _runtime
    _runtime = runtime


def get_runtime() -> Runtime:
    """The process runtime; the worker builds it from the environment on first use."""
    global _runtime
    if _runtime is None:
        _runtime = build_runtime(get_settings())
    return _runtime
