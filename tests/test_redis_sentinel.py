"""REDIS_URL may name a Redis Sentinel group; a failover is followed without a restart.

A real master, a replica and a sentinel (``redis-server --sentinel``) on 127.0.0.1, started by
the test. An incident opened through the product reaches Slack through RQ on the master the
sentinel names; the sentinel fails over to the replica; the next incident goes through the
new master, with the same runtime.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import RedisError

from supportbot.check import redis_url_problem
from supportbot.clients import redis_conn
from supportbot.db.migrate import upgrade
from supportbot.desk import intake
from supportbot.runtime import build_runtime, set_runtime
from tests.conftest import make_settings
from tests.standins import SlackStandin
from tests.support.live import drain
from tests.support.processes import free_port, wait_until
from tests.support.slack_requests import TRIAGE

SERVICE = "supportbot-test"


def answers(port: int) -> bool:
    try:
        return bool(Redis(port=port, socket_connect_timeout=0.2).ping())
    except (OSError, RedisError):  # not listening yet, or still loading
        return False


@pytest.fixture
def group(tmp_path: Path) -> Iterator[tuple[str, int, int, Redis]]:
    """A master, its replica and one sentinel watching them; yields the sentinel URL, the two
    ports and a client of the sentinel."""
    server = shutil.which("redis-server")
    assert server, "redis-server is needed (Debian's redis-server package)"
    master, replica, sentinel = free_port(), free_port(), free_port()
    common = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    conf = tmp_path / "sentinel.conf"
    conf.write_text(
        f"port {sentinel}\nbind 127.0.0.1\ndir {tmp_path}\n"
        f"sentinel monitor {SERVICE} 127.0.0.1 {master} 1\n"
        f"sentinel down-after-milliseconds {SERVICE} 5000\n"
        f"sentinel failover-timeout {SERVICE} 5000\n"
    )
    procs = [
        subprocess.Popen([server, "--port", str(master), "--dir", str(tmp_path), *common]),
        subprocess.Popen(
            [
                server,
                "--port",
                str(replica),
                "--dir",
                str(tmp_path),
                *common,
                "--replicaof",
                "127.0.0.1",
                str(master),
            ]  # fmt: skip
        ),
    ]
    try:
        wait_until(lambda: answers(master) and answers(replica), "the servers answer")
        procs.append(subprocess.Popen([server, str(conf), "--sentinel"]))
        wait_until(lambda: answers(sentinel), "the sentinel answers")
        watcher = Redis(port=sentinel, decode_responses=True)
        wait_until(
            lambda: watcher.execute_command("SENTINEL", "REPLICAS", SERVICE),
            "the sentinel knows the replica",
        )
        yield f"redis+sentinel://127.0.0.1:{sentinel}/{SERVICE}/0", master, replica, watcher
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(10)


def test_sentinel_urls_are_checked_with_a_clear_error() -> None:
    good = redis_conn.parse_sentinel("redis+sentinel://:s3cret@10.0.0.1:26379,h2:26380/main/3")
    assert good.sentinels == [("10.0.0.1", 26379), ("h2", 26380)]
    assert (good.service, good.db, good.password) == ("main", 3, "s3cret")
    assert redis_conn.parse_sentinel("redis+sentinel://h:1/main").db == 0
    for bad, says in [
        ("redis+sentinel://h:26379", "name the master's service"),
        ("redis+sentinel://h:26379/main/x", "database after the service is a number"),
        ("redis+sentinel://h/main", "each sentinel is host:port"),
        ("redis+sentinel://h:99999/main", "each sentinel is host:port"),
        ("redis+sentinel://h:1/a/2/3", "name the master's service"),
    ]:
        problem = redis_url_problem(bad)
        assert problem is not None and says in problem and "redis+sentinel://" in problem, bad
    assert redis_url_problem("redis+sentinel://h:1,h2:2/main/0") is None
    assert redis_url_problem("redis://127.0.0.1:6379/0") is None


def test_delivery_through_a_sentinel_group_follows_a_failover(
    group: tuple[str, int, int, Redis],
    tmp_path: Path,
    database_url: str,
    slack_api: SlackStandin,
) -> None:
    url, master, replica, watcher = group
    settings = make_settings(tmp_path, url, database_url, slack_api.api_url)
    rt = build_runtime(settings)
    upgrade(rt.engine)
    set_runtime(rt)
    try:
        first = intake.open_incident(
            rt, title="before the failover", severity=3, reporter="U0STAFF001", customer=None
        )
        drain(rt)  # RQ on the master the sentinel names
        cards = [m["text"] for m in slack_api.messages(channel=TRIAGE) if not m.get("thread_ts")]
        assert any(first.key in text for text in cards)
        assert Redis(port=master).exists("rq:queues")  # the queues live on the master

        watcher.execute_command("SENTINEL", "FAILOVER", SERVICE)
        wait_until(
            lambda: (
                watcher.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE)[1]
                == str(replica)
            ),
            "the replica became master",
        )
        wait_until(lambda: Redis(port=replica).info("replication")["role"] == "master", "promoted")
        # Until the old master is told to follow, it still takes writes (Sentinel's window
        # in a manual failover; what is written there is lost, and the reconciler re-drives
        # it from the database). Once it follows, writes sent to it are refused.
        wait_until(lambda: Redis(port=master).info("replication")["role"] == "slave", "demoted")

        second = intake.open_incident(
            rt, title="after the failover", severity=3, reporter="U0STAFF001", customer=None
        )
        drain(rt)  # same runtime: its connections now go to the new master
        cards = [m["text"] for m in slack_api.messages(channel=TRIAGE) if not m.get("thread_ts")]
        assert any(second.key in text for text in cards)
        assert rt.redis.connection_pool.get_master_address()[1] == replica  # type: ignore[attr-defined]
        assert Redis(port=replica).exists(f"rq:job:slack-sync-{second.key}")  # on the new one
    finally:
        set_runtime(None)
        rt.engine.dispose()
