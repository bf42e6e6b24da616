"""The one shape of a redriver for rows that fall due at an instant (SLA and follow-up timers,
held pages, rota DMs): a row still owed ``grace`` after its instant lost its scheduled job
(Redis flushed, a worker killed), so it is owed again now. Each job checks its row before
acting, so a row owed twice acts once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute, Session

log = logging.getLogger(__name__)

Row = TypeVar("Row")


class Runtime(Protocol):
    """What a redriver needs of the runtime (delivery sits below :mod:`supportbot.runtime`)."""

    def session(self) -> AbstractContextManager[Session]: ...

    def now(self) -> datetime: ...


def redrive_overdue(
    rt: Runtime,
    model: type[Row],
    due_at: InstrumentedAttribute[datetime],
    owed: ColumnElement[bool],
    grace: timedelta,
    owe: Callable[[Session, Row], Any],
    what: str,
) -> int:
    """Owe again every ``model`` row matching ``owed`` whose ``due_at`` is ``grace`` past;
    returns how many (``what`` names them in the log)."""
    with rt.session() as session:
        rows = list(session.scalars(select(model).where(owed, due_at <= rt.now() - grace)))
        for row in rows:
            owe(session, row)
    if rows:
        log.warning("reconciler re-queued %d overdue %s", len(rows), what)
    return len(rows)
