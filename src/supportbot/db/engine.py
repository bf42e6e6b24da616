"""Engine and sessions."""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, InternalError, OperationalError
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            # WAL lets the web and worker processes read while the other writes.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL stays consistent after a crash and skips an fsync per commit;
            # a power cut can lose the last commits, not corrupt the file.
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


_SQLITE_WRITER = threading.Lock()


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back and re-raise on error.

    SQLite allows one writer at a time and makes the others sleep in its busy handler, which
    backs off up to 100 ms; queueing this process's transactions on a lock instead keeps the
    tail latency of concurrent requests close to the cost of the work itself.
    """
    bind = factory.kw.get("bind")
    if bind is not None and bind.dialect.name == "sqlite":
        with _SQLITE_WRITER:
            yield from _transaction(factory)
    else:
        yield from _transaction(factory)


def _transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    session = factory()
    try:
        yield session
        session.commit()
        if session.info.get(_WROTE):
            _REFUSED.pop(factory.kw.get("bind"), None)  # type: ignore[arg-type]
    except REFUSED as exc:
        _refused(factory.kw.get("bind"), exc)
        session.rollback()
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# A database can answer reads and refuse every write (a full disk, a file or volume made
# read-only): `SELECT 1` then passes, and `/healthz` said "ok" while no incident or page could
# be stored. Each engine remembers its last refused transaction for `/healthz` to report.
# A transaction that stored something since clears it at once (a 503 takes the web out of a
# load balancer: one refusal must not keep it out once writes work again).
# What a database that cannot store says: SQLite's "database or disk is full" or "attempt to
# write a readonly database", PostgreSQL's disk full (OperationalError) or a read-only
# database, such as a standby after a failover (InternalError: read-only transaction).
REFUSED = (OperationalError, InternalError)
WRITE_FAILURE_SHOWN_FOR = 60.0  # seconds a refused transaction keeps the database "down"
_REFUSED: weakref.WeakKeyDictionary[Engine, tuple[float, str]] = weakref.WeakKeyDictionary()
_WROTE = "supportbot.wrote"  # Session.info: this transaction changed something


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: object) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


def _refused(bind: object, exc: DBAPIError) -> None:
    if isinstance(bind, Engine):
        _REFUSED[bind] = (time.monotonic(), str(exc.orig).splitlines()[0][:200])


def refused_recently(engine: Engine) -> str | None:
    """Why the engine's last transaction was refused, if that was within
    :data:`WRITE_FAILURE_SHOWN_FOR` seconds; else None."""
    found = _REFUSED.get(engine)
    if found is None or time.monotonic() - found[0] > WRITE_FAILURE_SHOWN_FOR:
        return None
    return found[1]


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
