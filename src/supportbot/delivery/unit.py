"""The unit of work: one transaction, then its effects, once.

Effects recorded on the session (:mod:`supportbot.delivery.effects`) are handed to the
dispatcher only after the commit succeeded; a rollback drops them with the changes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker

from supportbot.db.engine import transaction
from supportbot.delivery import effects
from supportbot.delivery.dispatcher import Dispatcher, count_unqueued

log = logging.getLogger(__name__)


@contextmanager
def unit_of_work(factory: sessionmaker[Session], dispatcher: Dispatcher) -> Iterator[Session]:
    with transaction(factory) as session:
        try:
            yield session
        except BaseException:
            effects.take(session)  # rolled back: nothing is owed
            raise
    owed = effects.take(session)
    try:
        dispatcher.submit_all(owed)
    except Exception:
        # Committed: the caller must not take the change for undone and make it again. The
        # rows say what is owed, and the reconciler queues it (as for a refused enqueue).
        count_unqueued(owed)
        log.exception("committed, but %d job(s) not handed over: left to the reconciler", len(owed))
