"""The database cannot store (a full disk, a read-only database) while a Severity 1 is opened.

SQLite's own page limit (``PRAGMA max_page_count``, set on every new connection) stands in
for the full disk: the database still answers reads, and every write that needs a new page
fails with "database or disk is full", as on a full volume. On PostgreSQL every connection is
made read-only (a standby after a failover refuses writes the same way).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from sqlalchemy import event, func, select, text

from supportbot.db.engine import REFUSED
from supportbot.db.models import Incident
from supportbot.health import beat
from supportbot.slack import cards
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


def _note_until_refused(desk: Desk) -> tuple[int, str]:
    """Add notes to INC-1 until one is not stored (the free pages run out within a few)."""
    for n in range(200):
        answer = desk.slack.command(f"note INC-1 checked the load balancer, pass {n}")
        desk.listeners.wait_idle()
        if answer.status_code != 200 or "Not saved" in answer.text:
            return answer.status_code, answer.text
    raise AssertionError("200 notes stored in a database that cannot grow")


def test_a_note_the_full_database_refuses_is_answered_not_saved(desk: Desk) -> None:
    """Only the opening said so: every other command was a bare 500 ("failed with the
    error"), with nothing to say whether the note was kept."""
    assert "Opened" in desk.slack.command("sev3 stored before", channel=ACME).text
    desk.drain()
    with disk_full(desk):
        status, said = _note_until_refused(desk)
    desk.listener_errors.clear()  # the refusal reached Bolt's error handler, as it must

    assert status == 200, said
    assert "*Not saved*" in said and "database" in said and "nothing changed" in said, said


def test_a_button_the_full_database_refuses_is_answered_not_saved(desk: Desk) -> None:
    """A button is acknowledged before its change runs: a refused acknowledgement showed
    nothing at all, and the card still said Acknowledge as if the press had been lost."""
    assert "Opened" in desk.slack.command("sev3 stored before", channel=ACME).text
    desk.drain()
    with disk_full(desk):
        _note_until_refused(desk)  # no room left
        desk.listener_errors.clear()
        desk.slack.block_action(cards.ACTION_ACK, value="1")
        desk.listeners.wait_idle()
        refused = list(desk.listener_errors)
        desk.listener_errors.clear()

    assert refused and all(isinstance(e, REFUSED) for e in refused), refused
    for thread in threading.enumerate():  # the answer goes out after the ack, on its own
        if thread.name == "supportbot-refusal":
            thread.join(10)
    said = [r.get("text", "") for r in desk.api.responses()]
    assert any("*Not saved*" in text for text in said), said
    with desk.rt.session() as session:
        assert session.get_one(Incident, 1).status == "open"
