"""An SLA timer's job: fire it, with every other timer due now, never before its instant.

The job carries only the timer id. It runs the pump (:mod:`supportbot.sla.pump`), which
claims every due timer (its own among them) in batches, so a thousand reminders due in one
second are fired by whichever jobs start first, in a few transactions and one thread post per
incident, and the jobs that start later find their timer fired and do nothing. A job that
runs twice (a redelivery, the reconciler) or for a stopped clock does nothing the second time:
the claim is a compare-and-set on the row.

Never early: the job is scheduled a second before the second its instant falls in (RQ keeps
whole seconds, and moving a burst of jobs to the queue takes its scheduler a few tenths of a
second), so it starts up to two seconds early; it then waits for its instant (pumping whatever
falls due meanwhile), and a job that would have to wait longer, or whose worker is wanted for
a page, owes itself again for that instant. An acknowledgement that lands before the
instant therefore always wins.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from sqlalchemy import func, select

from supportbot.db.models import SlaTimer
from supportbot.delivery.kinds import SLA_TIMER
from supportbot.delivery.overdue import redrive_overdue
from supportbot.runtime import Runtime, get_runtime
from supportbot.sla import pump
from supportbot.sla.tracking import owe_timer

log = logging.getLogger(__name__)

# RQ's scheduler polls every second; a timer this far past due has lost its job.
TIMER_GRACE = timedelta(seconds=5)
# How long a job that started before its instant waits for it (it is stored a second ahead,
# and RQ keeps whole seconds: at most two); a worker waiting here is not paging, so a page
# waiting on the urgent queue ends the wait (the job owes itself again).
MAX_WAIT = timedelta(seconds=2)
# A due timer whose incident another transaction holds (a click, another pump) is tried
# again this often, for at most BUSY_FOR, then owed again.
BUSY_RETRY = 0.05
BUSY_FOR = 5.0


@SLA_TIMER.runs
def sla_timer(timer_id: int) -> str:
    return fire(get_runtime(), timer_id, wait=MAX_WAIT)


def fire(rt: Runtime, timer_id: int, *, wait: timedelta = timedelta(0)) -> str:
    """Fire the timer if it is still owed, with every timer due now; returns what happened to
    it (reminded, skipped, breached, engaged, stale, early or busy), for logs and tests.

    ``wait``: how long to wait for the instant when run early (real time); 0 owes the job
    again at once.
    """
    started = time.monotonic()
    while True:
        # Looked at first: most jobs of a burst find their timer fired by an earlier job's
        # pump, and end here at the cost of one read.
        state, due, upcoming = _look(rt, timer_id)
        if state != "pending":
            return "stale"
        now, spent = rt.now(), time.monotonic() - started
        if due > now:
            if due - now > wait or spent > wait.total_seconds() + BUSY_RETRY or _page_waits(rt):
                _owe_again(rt, timer_id)
                return "early"
            if pump.pump_once(rt):
                continue  # others were due already: fired while ours is not
            # Wake for the next instant of any timer, ours or one before it.
            time.sleep(max(0.0, (min(due, upcoming or due) - now).total_seconds()))
            continue
        fired = pump.pump_once(rt)
        if timer_id in fired:
            return fired[timer_id]
        if fired:
            continue  # a batch of others; ours is in a later one
        if spent > BUSY_FOR:
            _owe_again(rt, timer_id)  # the reconciler would re-drive it too
            return "busy"
        time.sleep(BUSY_RETRY)  # its incident is held by another transaction


def _page_waits(rt: Runtime) -> bool:
    return bool(rt.urgent_queue.count)


def _look(rt: Runtime, timer_id: int) -> tuple[str | None, datetime, datetime | None]:
    """The timer's state and instant, and the next instant of any pending timer."""
    with rt.session() as session:
        timer = session.get(SlaTimer, timer_id, populate_existing=True)
        if timer is None:
            return None, rt.now(), None
        upcoming = session.scalar(
            select(func.min(SlaTimer.due_at)).where(
                SlaTimer.state == "pending", SlaTimer.due_at > rt.now()
            )
        )
        return timer.state, timer.due_at, upcoming


def _owe_again(rt: Runtime, timer_id: int) -> None:
    with rt.session() as session:
        timer = session.get(SlaTimer, timer_id)
        if timer is not None and timer.state == "pending":
            owe_timer(session, timer)


def overdue_timers(rt: Runtime) -> int:
    """Redriver: pending SLA timers whose job was lost; a fired timer ignores a rerun."""
    return redrive_overdue(rt, SlaTimer, SlaTimer.due_at, SlaTimer.state == "pending",
                           TIMER_GRACE, lambda session, timer: owe_timer(session, timer, now=True),
                           "SLA timer(s)")  # fmt: skip
