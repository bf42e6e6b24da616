"""The unit of work: one transaction, then its effects, once.

Effects recorded on the session (:mod:`supportbot.delivery.effects`) are handed to the
dispatcher only after the commit succeeded; a rollback drops them with the changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session, sessionmaker

from supportbot.db.engine import transaction
from supportbot.delivery import effects
from supportbot.delivery.dispatcher import Dispatcher


@contextmanager
def unit_of_work(factory: sessionmaker[Session], dispatcher: Dispatcher) -> Iterator[Session]:
    with transaction(factory) as session:
        try:
            yield session
        except BaseException:
            effects.take(session)  # rolled back: nothing is owed
            raise
    dispatcher.submit_all(effects.take(session))
