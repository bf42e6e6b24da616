"""Group commit: items of work that arrive together are stored in one transaction.

Twenty ``/incident`` requests at once used to run twenty transactions on twenty threads,
each statement waiting for the database's (on SQLite, this process's) writer lock and for
the interpreter's lock in turn. Here one thread takes every item waiting, stores them all
with one ``apply(session, items)`` (which can insert them with one statement per table)
and commits once; each caller waits until that commit and gets its own result, so "commit
before ack" still holds. A lone request waits for no one: a batch is whatever arrived
while the previous one was being stored.

If a batch raises, its transaction is rolled back and each item is stored again alone, in
a transaction of its own, so a bad item fails alone (its caller gets the exception) and
the others are stored exactly once. ``apply`` must therefore write only through the
session it is given and record its jobs on it (:mod:`supportbot.delivery.effects`), which
a rollback discards.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

I = TypeVar("I")  # noqa: E741 - the item, as R is the result
R = TypeVar("R")

# Enough for a burst of concurrent requests in one go; a bigger batch would only make its
# first caller wait longer for the others' work.
MAX_BATCH = 32


@dataclass
class _Waiting(Generic[I, R]):
    item: I
    done: threading.Event = field(default_factory=threading.Event)
    result: R | None = None
    error: BaseException | None = None


class GroupCommit(Generic[I, R]):
    """Stores items in shared transactions, on one background thread per process.

    ``transaction`` opens one unit of work (``Runtime.session``: commit, then its jobs);
    ``apply`` stores a list of items in it and returns their results in the same order.
    """

    def __init__(
        self,
        name: str,
        transaction: Callable[[], AbstractContextManager[Session]],
        apply: Callable[[Session, list[I]], list[R]],
    ) -> None:
        self.name = name
        self.transaction = transaction
        self.apply = apply
        self._queue: list[_Waiting[I, R]] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def run(self, item: I) -> R:
        """Store ``item``; returns its result once its transaction has committed, or raises
        what storing it alone raised (nothing of it stored)."""
        waiting: _Waiting[I, R] = _Waiting(item)
        with self._cond:
            self._queue.append(waiting)
            if self._thread is None or not self._thread.is_alive():
                # Started here, not at build: a forked process has no thread of its parent's.
                self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
                self._thread.start()
            self._cond.notify()
        waiting.done.wait()
        if waiting.error is not None:
            raise waiting.error
        return waiting.result  # type: ignore[return-value]

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._queue))
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:
                self._store(batch)
            finally:
                for waiting in batch:
                    waiting.done.set()  # never leave a caller waiting, whatever happened

    def _store(self, batch: list[_Waiting[I, R]]) -> None:
        if len(batch) > 1:
            try:
                self._commit(batch)
                return
            except Exception as exc:  # noqa: BLE001 - each item's own attempt below reports it
                log.info("a batch of %d rolled back (%s); storing each alone", len(batch), exc)
        for waiting in batch:
            try:
                self._commit([waiting])
            except BaseException as exc:  # noqa: BLE001 - handed to the caller, who raises it
                waiting.error = exc

    def _commit(self, batch: list[_Waiting[I, R]]) -> None:
        with self.transaction() as session:
            results = self.apply(session, [waiting.item for waiting in batch])
        for waiting, result in zip(batch, results, strict=True):
            waiting.result = result
