"""What happens when a follow-up timer comes due, and the hook every incident change calls.

The job carries only the timer id. The incident is locked, then the timer; a timer that is
no longer pending does nothing, one whose instant has not come owes itself again for that
instant (never early), and the claim (pending → fired) is made in the same transaction as
the reminder it sends, so a job run twice reminds once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from supportbot.db.claims import claim
from supportbot.db.followups import FollowupTimer
from supportbot.db.models import Incident
from supportbot.delivery.effects import owe_sync
from supportbot.delivery.kinds import FOLLOWUP_TIMER
from supportbot.followups import cadence, rca, timers
from supportbot.runtime import Runtime, get_runtime

log = logging.getLogger(__name__)

Fire = Callable[[Session, Runtime, Incident, FollowupTimer, datetime], str]
_BY_KIND: dict[str, Fire] = {
    cadence.UPDATE: cadence.remind,
    rca.REMIND: rca.remind,
    rca.DUE: rca.remind,
}


def on_change(session: Session, rt: Runtime, incident: Incident, *, new: bool = False) -> None:
    """Called in the transaction of every incident change (and of its opening, ``new``):
    start or stop the update cadence, and owe, hold or re-owe the RCA (:func:`rca.follow`)."""
    now = rt.now()
    cadence.track(session, rt, incident, now, new=new)
    if not new:  # an opening owes no RCA and has none to hold: no query on /incident's path
        rca.follow(session, rt, incident, now)


@FOLLOWUP_TIMER.runs
def followup_timer(timer_id: int) -> str:
    return fire(get_runtime(), timer_id)


def fire(rt: Runtime, timer_id: int) -> str:
    """Fire one follow-up timer if it is still owed; returns what happened."""
    with rt.session() as session:
        timer = session.get(FollowupTimer, timer_id)
        if timer is None or timer.state != "pending":
            return "stale"
        # The incident first, then the timer: the order a change takes them in.
        incident = session.get_one(Incident, timer.incident_id, with_for_update=True)
        session.refresh(timer, with_for_update=True)
        if timer.state != "pending":
            return "stale"
        now = rt.now()
        if timer.due_at > now:
            timers.owe(session, timer)  # RQ counts whole seconds; never before the instant
            return "early"
        if not claim(session, FollowupTimer, timer.id, "pending", state="fired", fired_at=now):
            return "stale"
        session.refresh(timer)
        outcome = _BY_KIND[timer.kind](session, rt, incident, timer, now)
        owe_sync(session, incident.id)
    log.info("INC-%s follow-up %s #%s: %s", incident.id, timer.kind, timer.seq, outcome)
    return outcome
