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
    def __init__(self, name: str, *, urgent: bool = False, waits: bool = False) -> None:
        # ``waits``: the job itself waits (up to two seconds) for an instant it was started
        # before, so it is scheduled a second ahead rather than the second after.
        self.name, self.urgent, self.waits = name, urgent, waits
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


SLACK_SYNC = JobKind("slack_sync")
SLACK_CALL = JobKind("slack_call")
SLA_TIMER = JobKind("sla_timer", waits=True)
ONCALL_POST = JobKind("oncall_post")
PAGE_STEP = JobKind("page_step", urgent=True)
PAGE_SEND = JobKind("page_send", urgent=True)
PAGE_MANUAL_ESCALATION = JobKind("page_manual_escalation", urgent=True)
# A summary of an alert group's changes in its incident's thread; it may page again.
ALERT_SUMMARY = JobKind("alert_summary", urgent=True)

ALL = (
    SLACK_SYNC,
    SLACK_CALL,
    SLA_TIMER,
    ONCALL_POST,
    PAGE_STEP,
    PAGE_SEND,
    PAGE_MANUAL_ESCALATION,
    ALERT_SUMMARY,
)
