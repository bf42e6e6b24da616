"""The reconciler: a list of small redrivers, each finding one kind of owed work.

Redis only delivers. If it is flushed, or a worker dies mid-job, the rows still say what is
owed; each redriver owes that work again under the same deterministic job ids, so at worst
an effect is late by one interval, and the jobs' own checks keep it from happening twice.
Like GoAlert's engine managers, each redriver is idempotent and knows one table. One more
looks at the data files instead: it loads any that changed and posts each new problem in the
triage channel once. The thread also renews the worker's heartbeat for ``/healthz``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from supportbot import health, jobs, metrics
from supportbot.alerts import summary as alert_summary
from supportbot.attention import ackwatch, deferred
from supportbot.csat import survey as csat_survey
from supportbot.delivery.lease import lease
from supportbot.digests import monthly as monthly_reports
from supportbot.digests import usage_posts
from supportbot.digests import weekly as weekly_digest
from supportbot.followups import forecasting
from supportbot.followups import timers as followup_timers
from supportbot.livefiles import FileProblem
from supportbot.oncall import (
    announcements,
    dms,
    lookup,
    posts,
    reminders,
    rota_changes,
    usergroup_sync,
)
from supportbot.paging import recover
from supportbot.paging.repage import repage_on_handoff
from supportbot.plans import rollover
from supportbot.runtime import Runtime
from supportbot.sla import firing
from supportbot.sla import replan as sla_replan
from supportbot.slack import jobs as slack_jobs
from supportbot.slack import plan_posts

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


ALERT_TTL = 7 * 24 * 3600  # seconds a file problem, once posted, stays posted
_ALERTED = "reconciler.file_alerts"  # rt.extras: data file name -> markers of its problems


def _alert_text(problem: FileProblem) -> str:
    if problem.kept:
        outcome = "The last good copy stays in use until the file is fixed."
    else:
        outcome = "Nothing is in use until it is fixed."
        if problem.name == "rotations":
            outcome += " *Nobody can be paged.*"
    lines = problem.error.splitlines()
    shown = "\n".join(lines[:15]) + (f"\n… and {len(lines) - 15} more" if len(lines) > 15 else "")
    return (
        f":warning: The {problem.name} (`{problem.path}`) could not be loaded. {outcome}\n"
        f"```{shown}```\nRun `supportbot check` to see every problem."
    )


def _data_files(rt: Runtime) -> int:
    """Load every data file that changed, and post each new problem in the triage channel
    once (once across workers and restarts: a Redis marker per distinct problem, dropped
    when the file loads again, so the same mistake made again is posted again)."""
    lookup.resolver(rt)  # rotations join rt.live_files() at their first lookup
    markers = cast("dict[str, set[str]]", rt.extras.setdefault(_ALERTED, {}))
    posted = 0
    for live in rt.live_files():
        live.get()
        problem = live.problem
        if problem is None:
            if markers.get(live.name):
                rt.redis.delete(*markers.pop(live.name))
            continue
        if not rt.settings.triage_channel:
            continue
        digest = hashlib.sha256(f"{problem.path}\n{problem.error}".encode()).hexdigest()[:20]
        marker = f"{rt.settings.queue_name}:file-alert:{digest}"
        markers.setdefault(live.name, set()).add(marker)
        if rt.redis.set(marker, 1, nx=True, ex=ALERT_TTL):
            text, channel = _alert_text(problem), rt.settings.triage_channel
            slack_jobs.post_later(
                rt, "chat.postMessage", f"file-alert-{digest}", channel=channel, text=text
            )
            posted += 1
    return posted


REDRIVERS = (
    Redriver("slack_sync", slack_jobs.unposted),
    Redriver("sla_timer", firing.overdue_timers),
    Redriver("page_stuck", recover.stuck_sends),
    Redriver("page_send", recover.pending_sends),
    Redriver("page_step", recover.due_steps),
    Redriver("handoff", _handoffs),
    Redriver("oncall_post", posts.redrive),
    Redriver("alert_summary", alert_summary.redrive),
    Redriver("ack_watch", ackwatch.redrive),
    Redriver("deferred_page", deferred.redrive),
    Redriver("followup_timer", followup_timers.overdue),
    Redriver("forecast", forecasting.run),  # posts breach forecasts; re-queues nothing
    Redriver("plan_term_end", rollover.redrive),
    Redriver("estimate_post", plan_posts.redrive),
    Redriver("csat_ask", csat_survey.redrive),
    Redriver("monthly_report", monthly_reports.redrive),
    Redriver("usage_post", usage_posts.redrive),
    Redriver("weekly_digest", weekly_digest.redrive),
    Redriver("data_files", _data_files),
    Redriver("sla_contract", sla_replan.redrive),  # after data_files: the edit just loaded
    Redriver("usergroups", usergroup_sync.redrive),
    Redriver("rota_plan", reminders.plan),
    Redriver("rota_changes", rota_changes.announce_changes),
    Redriver("rota_dm", dms.redrive),
)
# These announce, plan or make what came due; they re-queue no lost work.
_NOT_REQUEUED = (
    "handoff",
    "data_files",
    "sla_contract",
    "rota_plan",
    "rota_changes",
    "forecast",
    "monthly_report",
    "usage_post",
    "weekly_digest",
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
        if count and redriver.name not in _NOT_REQUEUED:
            metrics.RECONCILED.labels(redriver.name).inc(count)
    if failed:
        raise failed[0]
    return found


# One pass at a time across every worker: a lease that outlives a dead holder by seconds,
# and a marker that a pass ran, so N workers make one pass an interval, not N.
LEASE_SECONDS = 6.0


def run_pass(rt: Runtime, interval: float) -> dict[str, int] | None:
    """One :func:`reconcile_once`, unless another worker is running one or one ran within the
    last ``interval`` seconds (then None)."""
    name = rt.settings.queue_name
    with lease(rt.redis, f"{name}:reconciler:lease", LEASE_SECONDS) as mine:
        if not mine or rt.redis.exists(f"{name}:reconciler:recent"):
            return None
        try:
            found = reconcile_once(rt)
            # What it re-drove is news; a pass that found nothing (most of them) is not, and
            # at INFO every 15 s it buried everything else in `supportbot run`'s output.
            done = {name: count for name, count in found.items() if count}
            level = logging.INFO if done else logging.DEBUG
            log.log(level, "reconciler pass (pid %d): %s", os.getpid(), done or "nothing owed")
            return found
        finally:
            # Marked even after a failure, so a failing pass is not repeated by every worker;
            # for a little under the interval, so that the next pass due is not skipped.
            rt.redis.set(f"{name}:reconciler:recent", 1, px=max(1, int(interval * 900)))


class ReconcilerThread(threading.Thread):
    """Runs :func:`run_pass` every interval inside the worker process (one pass at a time
    across workers), and renews the worker's heartbeat at least every
    :data:`health.BEAT_SECONDS`, pass or no pass."""

    def __init__(self, rt: Runtime, interval: float) -> None:
        super().__init__(name="reconciler", daemon=True)
        self.rt, self.interval = rt, interval
        self.stopped = threading.Event()

    def run(self) -> None:
        next_pass = time.monotonic() + self.interval
        while not self.stopped.wait(min(self.interval, health.BEAT_SECONDS)):
            if time.monotonic() >= next_pass:
                next_pass = time.monotonic() + self.interval
                try:
                    run_pass(self.rt, self.interval)
                except Exception:
                    # Keep the loop alive: a database blip must not end reconciliation for good.
                    log.exception("reconciler pass failed; next pass in %ss", self.interval)
            health.beat(self.rt)

    def stop(self) -> None:
        self.stopped.set()
