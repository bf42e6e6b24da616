"""The SLA clocks section of the incident card: due time, time left, state."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot.db.models import Incident, SlaClock
from supportbot.slack import kit
from supportbot.slack.moment import Moment
from supportbot.wording import local_time, time_left

_STATE = {
    "running": ":hourglass_flowing_sand: running",
    "paused": ":double_vertical_bar: paused",
    "met": ":white_check_mark: met",
    "breached": ":rotating_light: breached",
}


def clock_lines(session: Session, incident: Incident, moment: Moment) -> list[str]:
    """One line per clock, times in the on-shift region's zone (else the customer's)."""
    clocks = session.scalars(
        select(SlaClock).where(SlaClock.incident_id == incident.id).order_by(SlaClock.kind.desc())
    ).all()
    now = moment.now
    lines = []
    for clock in clocks:
        state = _STATE.get(clock.state, clock.state)
        if clock.due_at is None:
            lines.append(f"*{clock.kind.title()}*: {state}")
            continue
        due = local_time(clock.due_at, moment.zone)
        if clock.state in ("running", "paused") or (
            clock.state == "breached" and clock.stopped_at is None
        ):
            remaining = time_left(clock.due_at, now)
            remaining = (
                f"overdue by {remaining[1:]}"
                if remaining.startswith("-")
                else (f"{remaining} left")
            )
            lines.append(f"*{clock.kind.title()}*: due {due} · {remaining} · {state}")
        else:
            lines.append(f"*{clock.kind.title()}*: due {due} · {state}")
    return lines


def clock_blocks(session: Session, incident: Incident, moment: Moment) -> list[kit.Block]:
    lines = clock_lines(session, incident, moment)
    if not lines:
        none = "No contract SLA (internal incident)" if incident.customer is None else None
        return [kit.context([none or "SLA clocks are being computed"])]
    return [kit.context(lines)]
