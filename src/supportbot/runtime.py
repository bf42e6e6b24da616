"""The process's wiring: settings, database, Redis, queue, Slack client, clock and data files.

Built once per process (web, worker, CLI) and handed to services explicitly; jobs running in
the worker fetch it with :func:`get_runtime`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from redis import Redis
from rq import Queue
from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from supportbot.clients.pager import Sender, make_sender
from supportbot.clients.slack import LoggingWebClient, make_web_client
from supportbot.clock import Clock, get_clock
from supportbot.contracts.customers import Contracts, load_contracts
from supportbot.contracts.triage import TriageRules, load_triage_rules
from supportbot.db.engine import make_engine
from supportbot.delivery.dispatcher import Dispatcher
from supportbot.delivery.queues import make_queue
from supportbot.delivery.unit import unit_of_work
from supportbot.settings import Settings, get_settings
from supportbot.staff import StaffDirectory

log = logging.getLogger(__name__)

T = TypeVar("T")


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
    contracts: Contracts
    triage: TriageRules
    pager: Sender
    staff: StaffDirectory
    dispatcher: Dispatcher = field(init=False)
    extras: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.dispatcher = Dispatcher(self.queue, self.urgent_queue)

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
        """Re-read contracts and triage rules; a bad file raises and the old copy stays."""
        contracts = load_contracts(self.settings.contracts_file)
        triage = load_triage_rules(self.settings.triage_rules_file)
        self.contracts, self.triage = contracts, triage


def _load_or_empty(path: Path, loader: Callable[[Path], T], empty: T) -> T:
    if not path.exists():
        log.warning("%s not found; starting with none (see README)", path)
        return empty
    return loader(path)


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
    redis = Redis.from_url(settings.redis_url)
    if slack is None:
        if settings.slack_bot_token is None:
            slack = LoggingWebClient()
        else:
            slack = make_web_client(
                settings.slack_bot_token.get_secret_value(), settings.slack_api_url
            )
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=sessionmaker(engine, expire_on_commit=False),
        redis=redis,
        queue=make_queue(redis, settings.queue_name),
        urgent_queue=make_queue(redis, f"{settings.queue_name}-urgent"),
        slack=slack,
        clock=clock or get_clock(),
        contracts=_load_or_empty(settings.contracts_file, load_contracts, Contracts()),
        triage=_load_or_empty(settings.triage_rules_file, load_triage_rules, TriageRules()),
        pager=pager or make_sender(settings),
        staff=StaffDirectory(slack, usergroup=settings.staff_usergroup),
    )


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
