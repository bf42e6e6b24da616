"""The database cannot store (a full disk, a read-only database) while a Severity 1 is opened.

SQLite's own page limit (``PRAGMA max_page_count``, set on every new connection) stands in
for the full disk: the database still answers reads, and every write that needs a new page
fails with "database or disk is full", as on a full volume. On PostgreSQL every connection is
made read-only (a standby after a failover refuses writes the same way).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from sqlalchemy import event, func, select, text

from supportbot.db.models import Incident
from supportbot.health import beat
from tests.conftest import Desk

ACME = "C0ACMESHARED"


@contextmanager
def disk_full(desk: Desk) -> Iterator[None]:
    """No new write can be stored for the block; room again after it. SQLite: its page limit
    (the file cannot grow, as on a full volume). PostgreSQL: every connection read-only, as a
    standby after a failover or a database set read-only refuses every write."""
    engine = desk.rt.engine
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            pages = conn.execute(text("PRAGMA page_count")).scalar()
        setting = f"PRAGMA max_page_count = {pages}"
    else:
        setting = "SET default_transaction_read_only = on"

    def _limit(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(setting)
        cursor.close()
        if engine.dialect.name != "sqlite":
            dbapi_connection.commit()

    engine.dispose()
    event.listen(engine, "connect", _limit)
    try:
        yield
    finally:
        event.remove(engine, "connect", _limit)
        engine.dispose()


def _open_until_refused(desk: Desk) -> tuple[int, str]:
    """Open Sev1s until one is not stored (the free pages run out within a few)."""
    for n in range(60):
        answer = desk.slack.command(f"sev1 checkout down, report {n}", channel=ACME)
        if "Opened" not in answer.text:
            return answer.status_code, answer.text
    raise AssertionError("60 incidents stored in a database that cannot grow")


def test_a_sev1_the_full_database_refuses_is_answered_not_opened_and_healthz_is_503(
    desk: Desk,
) -> None:
    """The person opening a Sev1 must learn it was not opened (Slack showed a bare 500 as
    "failed with the error"), and `/healthz` must stop saying the database is "ok": `SELECT
    1` still passes, but no incident or page can be stored."""
    beat(desk.rt)  # a worker is running: only the database can make /healthz 503
    assert "Opened" in desk.slack.command("sev3 stored before", channel=ACME).text
    with disk_full(desk):
        status, said = _open_until_refused(desk)

        assert status == 200, said
        assert "not opened" in said.lower() and "database" in said.lower(), said
        health = requests.get(desk.url + "/healthz", timeout=5)
        assert health.status_code == 503, health.text
        assert health.json()["down"] == ["database"]
        with desk.rt.session() as session:  # reads still work: the earlier ones are there
            assert (session.scalar(select(func.count()).select_from(Incident)) or 0) > 0

    # Room again: the next opening is stored, and /healthz says so at once.
    assert "Opened" in desk.slack.command("sev1 checkout down again", channel=ACME).text
    health = requests.get(desk.url + "/healthz", timeout=5)
    assert health.status_code == 200 and health.json()["database"] == "ok", health.text
