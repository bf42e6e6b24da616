"""The dashboard's figures, kept between its 30-second refreshes.

A month of figures reads and folds every incident of the month (most of a second at 100,000
incidents), and every open page asks again every 30 seconds. Each web process keeps the last
:class:`~supportbot.dashboard.data.View` per period and customer and serves it while it is
younger than :data:`MAX_AGE`. An older one is still served, at once, while one thread
computes its successor (stale-while-revalidate), so once a period's figures exist no request
waits for them; the page says "as of" when they were computed. Figures older than
:data:`STALE_AFTER` times that (their refresh kept failing) are computed again before
answering, so a failure shows as an error, not as figures that quietly stop moving.

Kept in the process, not in Redis: nothing to serialise, and a customer's figures never
leave the process that checked who is asking. Staff and a contact share the figures of a
customer; what each may see is decided when the page is drawn.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Generic, Protocol, TypeVar

from supportbot import metrics
from supportbot.contracts.customers import Customer
from supportbot.reports.records import Period
from supportbot.runtime import Runtime

log = logging.getLogger(__name__)

MAX_AGE = timedelta(seconds=30)  # the page's own refresh interval
STALE_AFTER = 5  # × the age figures are kept for: computed before answering past it
ENTRIES = 64  # periods × customers kept (each kind); the least recently asked for goes first

Key = tuple[Period, str | None]


class Figures(Protocol):
    @property
    def as_of(self) -> datetime: ...


F = TypeVar("F", bound=Figures)


class Kept(Generic[F]):
    """Figures computed by ``compute`` per period and customer (the page's view, the charts'
    trend), each kept ``max_age``."""

    def __init__(
        self,
        rt: Runtime,
        compute: Callable[[Runtime, Period, Customer | None], F],
        max_age: timedelta = MAX_AGE,
        entries: int = ENTRIES,
    ) -> None:
        self.rt, self.compute, self.entries = rt, compute, entries
        self.max_age, self.stale_limit = max_age, STALE_AFTER * max_age
        self._lock = threading.Lock()
        self._views: OrderedDict[Key, F] = OrderedDict()
        self._computing: dict[Key, threading.Lock] = {}
        self._refreshing: dict[Key, threading.Thread] = {}

    def get(self, period: Period, customer: Customer | None) -> F:
        key = (period, customer.key if customer else None)
        with self._lock:
            view = self._fresh_enough(key, period, customer)
            if view is not None:
                return view
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:  # the first request for a period computes it once, the others wait
            with self._lock:
                view = self._views.get(key)
                if view is not None and self._age(view) <= self.max_age:
                    return view
            return self._store(key, self.compute(self.rt, period, customer))

    def wait_idle(self, timeout: float = 60.0) -> None:
        """Wait for the refreshes running now (tests, and a clean shutdown)."""
        with self._lock:
            running = list(self._refreshing.values())
        for thread in running:
            thread.join(timeout)

    def _age(self, view: F) -> timedelta:
        return self.rt.now() - view.as_of

    def _fresh_enough(self, key: Key, period: Period, customer: Customer | None) -> F | None:
        """Under the lock: the view to serve now (starting its refresh when it is old), or
        None when there is none, or it is too old to serve."""
        view = self._views.get(key)
        if view is None:
            return None
        self._views.move_to_end(key)
        age = self._age(view)
        if age <= self.max_age:
            return view
        if age > self.stale_limit:
            return None
        if key not in self._refreshing:
            thread = threading.Thread(
                target=self._refresh, args=(key, period, customer), daemon=True,
                name=f"dashboard-refresh-{period.label}-{key[1] or 'all'}",
            )  # fmt: skip
            self._refreshing[key] = thread
            thread.start()
        return view

    def _refresh(self, key: Key, period: Period, customer: Customer | None) -> None:
        try:
            self._store(key, self.compute(self.rt, period, customer))
        except Exception:
            # Not swallowed: logged and counted; the old figures are served (with their "as
            # of") until the stale limit, when a request computes them itself and fails visibly.
            metrics.DASHBOARD_REFRESH_FAILURES.inc()
            log.exception("the dashboard's figures for %s (%s) could not be recomputed",
                          period.label, key[1] or "all customers")  # fmt: skip
        finally:
            with self._lock:
                self._refreshing.pop(key, None)

    def _store(self, key: Key, view: F) -> F:
        with self._lock:
            self._views[key] = view
            self._views.move_to_end(key)
            while len(self._views) > self.entries:
                gone, _ = self._views.popitem(last=False)
                self._computing.pop(gone, None)
        return view
