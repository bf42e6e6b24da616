"""Redis connections from ``REDIS_URL``: one server, or a Redis Sentinel group.

A plain ``redis://``, ``rediss://`` or ``unix://`` URL is redis-py's own. A Sentinel group is
``redis+sentinel://[:password@]host:port[,host:port…]/service_name[/db]``: the sentinels are
asked which server is the master of ``service_name`` on every new connection, so after a
failover the web, the workers and their scheduler reconnect to the new master (the password,
if any, is the master's; the sentinels are reached without one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from redis import Redis
from redis.connection import ConnectionPool
from redis.sentinel import Sentinel, SentinelConnectionPool

SENTINEL_SCHEME = "redis+sentinel://"
EXAMPLE = "redis+sentinel://10.0.0.1:26379,10.0.0.2:26379/mymaster/0"
# How long a sentinel may take to say who the master is.
SENTINEL_TIMEOUT = 2.0


@dataclass(frozen=True)
class SentinelGroup:
    sentinels: list[tuple[str, int]]
    service: str
    db: int
    password: str | None


def parse_sentinel(url: str) -> SentinelGroup:
    """The parts of a ``redis+sentinel://`` URL; ValueError says what is wrong."""
    rest = url.removeprefix(SENTINEL_SCHEME)
    password = None
    if "@" in rest:
        auth, rest = rest.rsplit("@", 1)
        password = unquote(auth.split(":", 1)[-1]) or None
    hosts, _, path = rest.partition("/")
    parts = [p for p in path.split("/") if p]
    if not parts or len(parts) > 2:
        raise ValueError(f"name the master's service after the sentinels, e.g. {EXAMPLE}")
    if len(parts) == 2 and not parts[1].isdigit():
        raise ValueError(f"the database after the service is a number, not {parts[1]!r}")
    sentinels = []
    for host in hosts.split(","):
        name, _, port = host.strip().rpartition(":")
        if not name or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"each sentinel is host:port, not {host!r} (e.g. {EXAMPLE})")
        sentinels.append((name.strip("[]"), int(port)))
    return SentinelGroup(sentinels, parts[0], int(parts[1]) if len(parts) == 2 else 0, password)


def check_url(url: str) -> None:
    """Raise ValueError if ``url`` is neither a Redis URL nor a Sentinel group's."""
    if url.startswith(SENTINEL_SCHEME):
        parse_sentinel(url)
    else:
        ConnectionPool.from_url(url)


def connect(url: str, **kwargs: Any) -> Redis:
    """A client for ``url``; for a Sentinel group, one that always talks to its master."""
    # redis-py 8 gives each connection a 5 s read timeout unless one is named, and RQ's
    # worker waits for jobs with a blocking read of minutes: every idle worker then timed
    # out, logged "could not connect to Redis" and backed off for 1, 2, 4 … 60 s, taking
    # jobs (pages too) that late. No read timeout, as before redis-py 8; RQ sets its own.
    kwargs.setdefault("socket_timeout", None)
    if not url.startswith(SENTINEL_SCHEME):
        return Redis.from_url(url, **kwargs)
    group = parse_sentinel(url)
    timeout = kwargs.get("socket_connect_timeout") or SENTINEL_TIMEOUT
    sentinel = Sentinel(
        group.sentinels, socket_timeout=timeout, sentinel_kwargs={"socket_timeout": timeout}
    )
    return sentinel.master_for(group.service, db=group.db, password=group.password, **kwargs)


def bounded(client: Redis, url: str | None, seconds: float) -> Redis:
    """A client of ``client``'s server (``url``'s master for a Sentinel group) whose every
    connection and reply is waited for at most ``seconds``: a Redis that stops answering is
    then a ``RedisError`` (a timeout), not a caller held until it answers again."""
    limits = {"socket_timeout": seconds, "socket_connect_timeout": seconds}
    pool = client.connection_pool
    if isinstance(pool, SentinelConnectionPool) and url is not None:
        return connect(url, **limits)
    kwargs = pool.connection_kwargs | limits
    return Redis(connection_pool=ConnectionPool(connection_class=pool.connection_class, **kwargs))
