"""Every kind of job: its name (for metrics), its queue, and the function that runs it.

Effects name a kind, never a dotted string. The function is attached where it lives, with
``@KIND.runs``, so the package that owns the work owns its job, and nothing here imports it
back (:mod:`supportbot.jobs` imports them all for the processes that dispatch).
Pages are urgent: workers drain that queue first, so a page never waits behind Slack updates.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from supportbot import metrics

P = ParamSpec("P")
R = TypeVar("R")


class JobKind:
    def __init__(
        self,
        name: str,
        *,
        urgent: bool = False,
        waits: bool = False,
        batched_by: JobKind | None = None,
    ) -> None:
        # ``waits``: the job itself waits (up to two seconds) for an instant it was started
        # before, so it is scheduled a second ahead rather than the second after.
        # ``batched_by``: jobs of this kind handed to RQ together may run as one job of that
        # kind, whose function takes the list of their arguments (RQ's own cost paid once).
        self.name, self.urgent, self.waits = name, urgent, waits
        self.batched_by = batched_by
        self._func: Callable[..., Any] | None = None

    def __repr__(self) -> str:
        return f"JobKind({self.name!r})"

    def runs(self, func: Callable[P, R]) -> Callable[P, R]:
        """Attach the function a worker runs for this kind; its run time is measured."""
        if self._func is not None:
            raise RuntimeError(f"{self.name} jobs already run {self._func.__qualname__}")

        @functools.wraps(func)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            with metrics.JOB_SECONDS.labels(self.name).time():
                return func(*args, **kwargs)

        self._func = run
        return run

    @property
    def func(self) -> Callable[..., Any]:
        if self._func is None:
            raise LookupError(f"no function runs {self.name} jobs (import supportbot.jobs)")
        return self._func


# Cards owed together (a burst of openings) are synced by one job, each in turn.
SLACK_SYNC_BATCH = JobKind("slack_sync_batch")
SLACK_SYNC = JobKind("slack_sync", batched_by=SLACK_SYNC_BATCH)
SLACK_CALL = JobKind("slack_call")
SLA_TIMER = JobKind("sla_timer", waits=True)
ONCALL_POST = JobKind("oncall_post")
PAGE_STEP = JobKind("page_step", urgent=True)
PAGE_SEND = JobKind("page_send", urgent=True)
PAGE_MANUAL_ESCALATION = JobKind("page_manual_escalation", urgent=True)
# A summary of an alert group's changes in its incident's thread; it may page again.
ALERT_SUMMARY = JobKind("alert_summary", urgent=True)
# The rota talking to people: DMs (reminders, summaries, changes, swaps) and user groups.
ROTA_DM = JobKind("rota_dm")
USERGROUP_SYNC = JobKind("usergroup_sync")
# Issue 13: an acknowledgement with no progress (remind, then release); a deferred page.
ACK_WATCH = JobKind("ack_watch", urgent=True)
DEFERRED_PAGE = JobKind("deferred_page", urgent=True)
# A follow-up of issue 13 comes due: a customer update reminder, an RCA reminder.
FOLLOWUP_TIMER = JobKind("followup_timer")
# A pack or hours term that ended: roll the unused units over up to the cap, expire the rest.
PLAN_TERM_END = JobKind("plan_term_end")
# A task estimate posted to the customer's designated contacts with Approve / Decline.
ESTIMATE_POST = JobKind("estimate_post")
CSAT_ASK = JobKind("csat_ask")  # the satisfaction question in a resolved incident's thread
REPORT_POST = JobKind("report_post")  # a monthly report, for review or to the customer
USAGE_POST = JobKind("usage_post")  # a month's plan usage, to the customer's shared channel

ALL = (
    SLACK_SYNC,
    SLACK_SYNC_BATCH,
    SLACK_CALL,
    SLA_TIMER,
    ONCALL_POST,
    PAGE_STEP,
    PAGE_SEND,
    PAGE_MANUAL_ESCALATION,
    ALERT_SUMMARY,
    ROTA_DM,
    USERGROUP_SYNC,
    ACK_WATCH,
    DEFERRED_PAGE,
    FOLLOWUP_TIMER,
    PLAN_TERM_END,
    ESTIMATE_POST,
    CSAT_ASK,
    REPORT_POST,
    USAGE_POST,
)
