"""The reconciler: a list of small redrivers, each finding one kind of owed work.

Redis only delivers. If it is flushed, or a worker dies mid-job, the rows still say what is
owed; each redriver owes that work again under the same deterministic job ids, so at worst
an effect is late by one interval, and the jobs' own checks keep it from happening twice.
Like GoAlert's engine managers, each redriver is idempotent and knows one table.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from supportbot import jobs, metrics
from supportbot.oncall import announcements, posts
from supportbot.paging import recover
from supportbot.paging.repage import repage_on_handoff
from supportbot.runtime import Runtime
from supportbot.sla import firing
from supportbot.slack import jobs as slack_jobs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Redriver:
    name: str
    run: Callable[[Runtime], int]  # owes the work it finds again; returns how much


def _handoffs(rt: Runtime) -> int:
    """Announce handoffs since the last pass, and re-page the incoming region, once each."""
    return announcements.announce_handoffs(
        rt, also=(lambda rt, session, found: repage_on_handoff(rt, session, found),)
    )


REDRIVERS = (
    Redriver("slack_sync", slack_jobs.unposted),
    Redriver("sla_timer", firing.overdue_timers),
    Redriver("page_stuck", recover.stuck_sends),
    Redriver("page_send", recover.pending_sends),
    Redriver("page_step", recover.due_steps),
    Redriver("handoff", _handoffs),
    Redriver("oncall_post", posts.redrive),
)


def reconcile_once(rt: Runtime) -> dict[str, int]:
    """One pass of every redriver; returns how much each found, by name.

    A redriver that fails is logged and the others still run: a bad rotation file must not
    stop pages from being re-driven. The failure is re-raised at the end of the pass.
    """
    jobs.check_registered()
    found: dict[str, int] = {}
    failed: list[BaseException] = []
    for redriver in REDRIVERS:
        try:
            found[redriver.name] = count = redriver.run(rt)
        except Exception as exc:
            log.exception("redriver %s failed", redriver.name)
            metrics.RECONCILE_FAILURES.labels(redriver.name).inc()
            failed.append(exc)
            continue
        if count and redriver.name != "handoff":
            metrics.RECONCILED.labels(redriver.name).inc(count)
    if failed:
        raise failed[0]
    return found


class ReconcilerThread(threading.Thread):
    """Runs :func:`reconcile_once` every interval inside the worker process."""

    def __init__(self, rt: Runtime, interval: float) -> None:
        super().__init__(name="reconciler", daemon=True)
        self.rt, self.interval = rt, interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                reconcile_once(self.rt)
            except Exception:
                # Keep the loop alive: a database blip must not end reconciliation for good.
                log.exception("reconciler pass failed; next pass in %ss", self.interval)

    def stop(self) -> None:
        self.stopped.set()
