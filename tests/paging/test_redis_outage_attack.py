"""Redis stopped, hung or flushed while Severity 1 work is owed: the web still answers
Slack and ``/healthz``, and once Redis is back every page goes out once, none early.

Each test runs on a Redis of its own (never the machine's), which it stops, freezes
(SIGSTOP: a Redis that accepts connections and never answers, as behind a dead network
link or during a stalled fork) and restarts.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from supportbot.db.models import Incident
from supportbot.devtools.embedded_redis import EmbeddedRedis
from supportbot.slack import cards
from tests.paging.conftest import EMEA_L1, Pager, emea_l1_on

ACME = "C0ACMESHARED"


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(tmp_path / "own-redis")
    server.start()
    yield server
    if server.process is not None and server.process.poll() is None:
        os.kill(server.process.pid, signal.SIGCONT)
    server.stop()


@pytest.fixture
def redis_url(own_redis: EmbeddedRedis) -> str:
    return own_redis.url


@contextmanager
def frozen(server: EmbeddedRedis) -> Iterator[None]:
    """Redis stops answering (SIGSTOP) for the block: connections are still accepted."""
    assert server.process is not None
    os.kill(server.process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(server.process.pid, signal.SIGCONT)


def test_healthz_answers_503_naming_redis_while_redis_hangs(
    pager: Pager, own_redis: EmbeddedRedis
) -> None:
    """A Redis that takes connections and never answers is down: the monitor must be told
    so (503, ``redis``), not left waiting, and each poll must not hold a web thread."""
    desk = pager.desk
    with frozen(own_redis):
        started = time.monotonic()
        answer = requests.get(desk.url + "/healthz", timeout=8)
        took = time.monotonic() - started

    assert took < 3
    assert answer.status_code == 503
    body = answer.json()
    assert "redis" in body["down"]
    assert str(body["redis"]).startswith("down")


def test_a_card_button_is_answered_in_slacks_3_seconds_while_redis_hangs(
    pager: Pager, own_redis: EmbeddedRedis
) -> None:
    """Acknowledging a Sev1 from its card while Redis hangs: Slack gives up after 3 s and
    shows the person an error, so the click must be answered and the ack stored."""
    desk = pager.desk
    assert desk.slack.command("sev1 checkout down", channel=ACME).status_code == 200
    desk.drain()
    with frozen(own_redis):
        started = time.monotonic()
        answer = desk.slack.block_action(cards.ACTION_ACK, value="1", user="U0STAFF001")
        took = time.monotonic() - started

    assert took < 3
    assert answer.status_code == 200
    desk.settle()
    with desk.rt.session() as session:
        assert session.scalar(select(Incident.status).where(Incident.id == 1)) == "acknowledged"


def test_a_sev1_opened_while_redis_is_stopped_pages_once_when_it_is_back_empty(
    pager: Pager, own_redis: EmbeddedRedis
) -> None:
    """The web answers the opening, the incident is stored, ``/healthz`` says Redis is down,
    and once Redis is back (empty) L1 gets one SMS and one call, L1's secondary nothing
    before step 1's instant."""
    desk, twilio = pager.desk, pager.twilio
    primary, secondary = emea_l1_on(desk.rt.now().date())
    own_redis.stop()

    started = time.monotonic()
    answer = desk.slack.command("sev1 checkout down", channel=ACME)
    assert time.monotonic() - started < 3
    assert answer.status_code == 200 and "INC-1" in answer.text
    desk.settle()
    desk.rt.dispatcher.flush()
    health = requests.get(desk.url + "/healthz", timeout=5)
    assert health.status_code == 503 and "redis" in health.json()["down"]
    with desk.rt.session() as session:
        assert session.scalar(select(Incident.severity).where(Incident.id == 1)) == 1

    own_redis.start()  # the same port, nothing in it
    for _ in range(12):  # one minute, a reconciler pass every 5 s
        desk.travel(timedelta(seconds=5))

    assert len(twilio.messages(to=EMEA_L1[primary])) == 1
    assert len(twilio.voice_calls(to=EMEA_L1[primary])) == 1
    assert twilio.messages(to=EMEA_L1[secondary]) == []
