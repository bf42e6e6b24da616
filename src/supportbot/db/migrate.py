"""Apply Alembic migrations, on start and from ``supportbot migrate``.

Several processes may start at once (web and worker), so the upgrade is serialised: an
advisory lock on PostgreSQL, a file lock beside the SQLite file.
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
_PG_LOCK_KEY = 0x5B07  # any constant shared by all supportbot processes


class UnknownSchemaError(Exception):
    """The database is at a schema revision this release does not have (a newer release
    migrated it): nothing is changed."""

    def __init__(self, revisions: list[str]) -> None:
        self.revisions = revisions
        super().__init__(
            f"the database's schema is at revision {', '.join(revisions)}, which this "
            "supportbot does not know (a newer release migrated it): upgrade supportbot, or "
            "point DATABASE_URL at another database"
        )


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # configparser interpolates "%": a percent-encoded password or option must be escaped.
    url = engine.url.render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))

    return config


@contextmanager
def _serialised(engine: Engine) -> Iterator[None]:
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK_KEY})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK_KEY})
                conn.commit()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        yield
        return
    lock_path = Path(database + ".migrate.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _unknown(config: Config, connection: Connection) -> list[str]:
    known = {r.revision for r in ScriptDirectory.from_config(config).walk_revisions()}
    current = MigrationContext.configure(connection).get_current_heads()
    return [r for r in current if r not in known]


def unknown_schema(engine: Engine) -> UnknownSchemaError | None:
    """What is wrong with a database a newer release migrated, or None (``supportbot
    check`` says it, as ``migrate``, ``web`` and ``worker`` would refuse it at start)."""
    with engine.connect() as connection:
        unknown = _unknown(alembic_config(engine), connection)
    return UnknownSchemaError(unknown) if unknown else None


def upgrade(engine: Engine, revision: str = "head") -> None:
    with _serialised(engine):
        config = alembic_config(engine)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            if unknown := _unknown(config, connection):
                raise UnknownSchemaError(unknown)
            command.upgrade(config, revision)
    log.info("database schema at %s", revision)
