"""Group commit: items of work that arrive together are stored in one transaction.

Twenty ``/incident`` requests at once used to run twenty transactions on twenty threads,
each statement waiting for the database's (on SQLite, this process's) writer lock and for
the interpreter's lock in turn. Here the requests take turns as the leader, as databases
do their own group commits: a request that finds no leader stores everything waiting
(itself included) with one ``apply(session, items)``, which can insert them with one
statement per table, and commits once; the others wait, and each wakes once, either with
its result or to lead the next batch, which is whatever arrived meanwhile. Each caller
returns after the commit that stored its item, so "commit before ack" still holds, and a
lone request stores its own item on its own thread, waiting for no one.

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
    woken: threading.Event = field(default_factory=threading.Event)
    stored: bool = False  # its outcome is known: ``result``, or ``error`` if it failed
    result: R | None = None
    error: BaseException | None = None

    def outcome(self) -> R:
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]


class GroupCommit(Generic[I, R]):
    """Stores items in shared transactions, led by one of the waiting callers at a time.

    ``transaction`` opens one unit of work (``Runtime.session``: commit, then its jobs);
    ``apply`` stores a list of items in it and returns their results in the same order.
    """

    def __init__(
        self,
        transaction: Callable[[], AbstractContextManager[Session]],
        apply: Callable[[Session, list[I]], list[R]],
    ) -> None:
        self.transaction = transaction
        self.apply = apply
        self._queue: list[_Waiting[I, R]] = []
        self._lock = threading.Lock()
        self._leading = False  # a caller is storing a batch; new arrivals wait for it

    def run(self, item: I) -> R:
        """Store ``item``; returns its result once its transaction has committed, or raises
        what storing it alone raised (nothing of it stored)."""
        me: _Waiting[I, R] = _Waiting(item)
        with self._lock:
            self._queue.append(me)
            follow, self._leading = self._leading, True
        if follow:
            me.woken.wait()  # stored by a leader, or made the next leader
            if me.stored:
                return me.outcome()
        self._lead()
        return me.outcome()

    def _lead(self) -> None:
        """Store the first batch waiting (the leader's item is its first: a leader is made
        only when the queue was empty, or is the queue's head when the lead is handed on)."""
        with self._lock:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
        try:
            self._store(batch)
        finally:
            for waiting in batch:
                if not waiting.stored:  # the leader was stopped mid-batch (its own raise)
                    waiting.error = RuntimeError("not stored: the group commit was interrupted")
                    waiting.stored = True
            with self._lock:
                heir = self._queue[0] if self._queue else None
                self._leading = heir is not None
            for waiting in batch:
                waiting.woken.set()  # never leave a caller waiting, whatever happened
            if heir is not None:
                heir.woken.set()  # not stored: it leads the next batch

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
                waiting.error, waiting.stored = exc, True

    def _commit(self, batch: list[_Waiting[I, R]]) -> None:
        with self.transaction() as session:
            results = self.apply(session, [waiting.item for waiting in batch])
            if len(results) != len(batch):  # checked before the commit, which it stops
                raise ValueError(f"{len(results)} results for {len(batch)} items")
        for waiting, result in zip(batch, results, strict=True):
            waiting.result, waiting.stored = result, True
