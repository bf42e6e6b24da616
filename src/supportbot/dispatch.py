"""After-commit delivery: hand jobs to RQ in batches, off the request thread.

The row is committed before anything is handed over, so this is only delivery: if the
process dies with jobs still in memory, or Redis refuses them, the reconciler finds the
unfinished rows and queues the work again. Batching halves the CPU each enqueue costs, and
the request that caused the work answers without waiting for Redis (bench/).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from rq import Queue

from supportbot import metrics
from supportbot.queue import DEFAULT_RETRY

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pending:
    func: str
    args: tuple[object, ...]
    job_id: str


class Dispatcher:
    """Collects jobs and enqueues them on one background thread, coalescing equal job ids."""

    def __init__(self, queue: Queue, *, on_error: Callable[[list[Pending]], None] | None = None):
        self.queue = queue
        self._pending: dict[str, Pending] = {}
        self._cond = threading.Condition()
        self._busy = False
        self._thread: threading.Thread | None = None
        self._on_error = on_error

    def submit(self, func: str, *args: object, job_id: str) -> None:
        with self._cond:
            self._pending[job_id] = Pending(func, args, job_id)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="dispatch", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until everything submitted so far has been handed to Redis (or failed)."""
        with self._cond:
            if not self._cond.wait_for(lambda: not self._pending and not self._busy, timeout):
                raise TimeoutError(f"{len(self._pending)} job(s) not dispatched in {timeout}s")

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._pending))
                batch, self._pending = list(self._pending.values()), {}
                self._busy = True
            try:
                self._enqueue(batch)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _enqueue(self, batch: list[Pending]) -> None:
        datas = [
            Queue.prepare_data(p.func, p.args, job_id=p.job_id, retry=DEFAULT_RETRY, result_ttl=60)
            for p in batch
        ]
        try:
            with self.queue.connection.pipeline() as pipe:
                self.queue.enqueue_many(datas, pipeline=pipe)
                pipe.execute()
        except Exception:
            # Not swallowed: logged, counted, and the rows stay unfinished for the reconciler.
            for pending in batch:
                metrics.ENQUEUE_FAILURES.labels(pending.func.rsplit(".", 1)[-1]).inc()
            log.exception(
                "could not queue %d job(s) (%s); the reconciler will queue them again",
                len(batch),
                ", ".join(p.job_id for p in batch[:5]),
            )
            if self._on_error:
                self._on_error(batch)
