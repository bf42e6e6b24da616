"""The words behind ``/sla INC-n`` and ``supportbot sla deadline``.

Support leads are asked "what did we promise, and where do we stand?". The answer is built
here, from the same pure maths the worker uses (:func:`compute_deadlines`) and the stored
``SlaClock`` rows, so what a person reads is what the timers do.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot.contracts.customers import Contracts, Customer
from supportbot.contracts.tiers import Severity
from supportbot.db.models import Incident, SlaClock
from supportbot.hours.calendar import aware_utc
from supportbot.incidents.access import Action, Actor, authorise
from supportbot.incidents.find import IncidentError, get_incident
from supportbot.instants import InstantError, parse_instant
from supportbot.oncall import lookup
from supportbot.plans import ledger
from supportbot.runtime import Runtime
from supportbot.sla.deadlines import Deadline, Deadlines, compute_deadlines, is_late
from supportbot.sla.tracking import waiting_intervals
from supportbot.wording import inert, time_left

USAGE = (
    "Usage: `/sla INC-1042` explains an incident's SLA deadlines: the response and resolution "
    "targets, the calendar that produced them, and where each clock stands now."
)
CLOCK_KINDS = ("response", "resolution")


class DeadlineQueryError(ValueError):
    """A ``supportbot sla deadline`` question that cannot be answered; says how to fix it."""


def deadlines_for(customer: Customer, severity: int | str, opened_at: datetime) -> Deadlines:
    """The deadlines an incident of ``customer`` opened at ``opened_at`` gets."""
    return compute_deadlines(
        opened_at,
        customer.tier,
        severity,
        customer.coverage,
        customer.calendar(),
        customer.sla,
    )


# -- /sla INC-n ------------------------------------------------------------------------------
def sla_answer(rt: Runtime, actor: Actor, text: str) -> str:
    """The reply to ``/sla <text>`` for ``actor``: always a sentence, never an exception.

    A customer asking about another organisation's incident gets the same answer as for an
    incident that does not exist, so the command does not confirm that it exists.
    """
    raw = " ".join(text.split())
    if not raw or raw.lower() in ("help", "?"):
        return USAGE
    if " " in raw:
        return f":warning: `/sla` takes one incident id, got `{raw}`. {USAGE}"
    try:
        with rt.session() as session:
            incident = get_incident(session, raw)
            authorise(actor, incident, Action.VIEW)
            return _explain_incident(rt, session, incident, actor)
    except IncidentError as exc:
        said = str(exc).rstrip(".")  # FOLLOW_REFUSED is a sentence of its own already
        return f":warning: {said}. {USAGE}" if "is not an incident id" in said else f"{said}."


def _explain_incident(rt: Runtime, session: Session, incident: Incident, actor: Actor) -> str:
    now = rt.now()
    if incident.customer is None:
        return (
            f"*{incident.key}* is an internal incident: it has no customer contract, so no SLA "
            "clocks run and no reminders or breaches are scheduled. Incidents opened for a "
            "customer (`/incident sev2 <summary> customer:<key>`, or in their shared channel) "
            "get their contract's deadlines."
        )
    customer = rt.contracts.by_key(incident.customer)
    if customer is None:
        return (
            f"*{incident.key}* belongs to customer `{incident.customer}`, which is no longer in "
            "the contracts file, so its deadlines cannot be explained. Restore the customer in "
            "contracts/customers.yaml and reload."
        )
    # A customer reads times in their own contract's zone; staff in the on-shift region's.
    zone = (
        ZoneInfo(customer.timezone)
        if not actor.is_staff
        else lookup.display_zone(rt, session, now, incident.customer)
    )
    deadlines = deadlines_for(customer, incident.severity, incident.opened_at)
    rows = {
        c.kind: c
        for c in session.scalars(select(SlaClock).where(SlaClock.incident_id == incident.id))
    }
    lines = [
        f"*{incident.key}* · {customer.name} · {inert(incident.title)}",
        deadlines.explain(zone),
        "*Clocks now*",
    ]
    contracted = {"response": deadlines.response, "resolution": deadlines.resolution}
    paused = bool(waiting_intervals(session, incident.id))
    lines += [
        _clock_line(kind, rows.get(kind), contracted[kind], now, zone, incident.severity, paused)
        for kind in CLOCK_KINDS
    ]
    # The same balances as the card (plans ledger), customer-safe.
    lines += [f"• {b.text()}" for b in ledger.balances(session, customer, now)]
    lines.append(f"Times in {zone.key}; now {_when(now, zone)}.")
    return "\n".join(lines)


def _clock_line(
    kind: str,
    row: SlaClock | None,
    contracted: Deadline,
    now: datetime,
    zone: ZoneInfo,
    severity: int,
    paused: bool,
) -> str:
    name = kind.title()
    if row is None:
        return f"• {name}: not computed yet (the clocks are stored when the incident is saved)."
    if row.state == "breached" and row.target_moved_since_breach:
        return _moved_breach_line(name, row, now, zone, severity)
    if row.state == "breached":
        when = row.breached_at or row.due_at
        stopped = f"; stopped {_when(row.stopped_at, zone)}" if row.stopped_at else ""
        return (
            f"• {name}: *breached* (was due {_when(row.due_at, zone)}, breach recorded "
            f"{_when(when, zone)}{stopped})."
        )
    if row.state == "met":
        return f"• {name}: *met* at {_when(row.stopped_at, zone)} (due {_when(row.due_at, zone)})."
    if row.state == "paused":
        return (
            f"• {name}: *paused* while waiting on the customer; no due time until they reply "
            "(paused time does not count)."
        )
    text = f"• {name}: *running*, due {_when(row.due_at, zone)}, {time_left(row.due_at, now)} left"
    if row.due_at is not None and row.due_at != contracted.due:
        if paused:
            text += f" (moved from {_when(contracted.due, zone)} by time waiting on the customer)"
        else:
            # The contract was edited under the running clock: the reconciler re-plans it
            # at its next pass; until then the stored due is the old contract's.
            text += " (planned before the contract's last edit; re-planned within a minute)"
    return text + "."


def _moved_breach_line(
    name: str, row: SlaClock, now: datetime, zone: ZoneInfo, severity: int
) -> str:
    """A breach kept after a severity change moved the target: the breach reads against the
    due it missed, and the current target apart, since a due after the breach (a downgrade)
    next to "breached" reads as a contradiction. The reports judge the current target."""
    # Written with breach_due_at, so known whenever the target moved; the fallback is safety.
    then = f"{Severity(row.breach_severity).label}'s" if row.breach_severity else "an earlier"
    # Unknown for a breach recorded before it was kept (migration 0012): left out.
    missed = f", which was due {_when(row.breach_due_at, zone)}" if row.breach_due_at else ""
    return (
        f"• {name}: *breached* {_when(row.breached_at, zone)} under {then} target{missed}; "
        f"the breach stays on record. Current target, "
        f"{Severity(severity).label}: {_current_target(row, now, zone)}; the monthly report "
        "judges this one."
    )


def _current_target(row: SlaClock, now: datetime, zone: ZoneInfo) -> str:
    """Where the clock stands against the target in force now (as the reports judge it)."""
    if row.due_at is None:
        return "paused while waiting on the customer"
    due = f"due {_when(row.due_at, zone)}"
    if row.stopped_at is not None:
        verdict = "late too, stopped" if is_late(row.due_at, row.stopped_at) else "met"
        return f"{due}, {verdict} at {_when(row.stopped_at, zone)}"
    if is_late(row.due_at, now):
        return f"{due}, overdue by {time_left(now, row.due_at)}"
    return f"{due}, {time_left(row.due_at, now)} left"


def _when(at: datetime | None, zone: ZoneInfo) -> str:
    """ "Mon 2025-03-10 09:00 EDT (13:00 UTC)": local for people, UTC alongside."""
    if at is None:
        return "unknown"
    local = at.astimezone(zone)
    text = local.strftime("%a %Y-%m-%d %H:%M %Z")
    if local.utcoffset() == timedelta(0):
        return text
    utc = aware_utc(at)
    return text + f" ({utc.strftime('%H:%M' if utc.date() == local.date() else '%m-%d %H:%M')} UTC)"


# -- supportbot sla deadline -----------------------------------------------------------------
def parse_opened(text: str) -> datetime:
    """An ISO 8601 time with an offset, in UTC; naive or malformed input says how to write it."""
    raw = text.strip()
    try:
        value = parse_instant(raw)
    except InstantError as exc:
        raise DeadlineQueryError(_refusal(raw, exc)) from None
    return aware_utc(value, "--opened")


def _refusal(raw: str, exc: InstantError) -> str:
    example = "e.g. 2025-03-07T17:30:00+00:00 or 2025-03-07T17:30Z"
    if exc.reason == "malformed":
        return f"--opened {raw!r} is not an ISO 8601 time; write it with an offset, {example}"
    if exc.reason == "naive":
        return f"--opened {raw!r} has no UTC offset; add one like +00:00 or Z ({example})"
    return f"--opened {raw!r}: {exc}"


def deadline_query(
    contracts: Contracts, customer_text: str, severity_text: str, opened_text: str
) -> tuple[Customer, Deadlines]:
    """Resolve the three inputs of ``supportbot sla deadline``; errors say what to type."""
    customer = contracts.lookup(customer_text)
    if customer is None:
        known = ", ".join(f"{c.key} ({c.name})" for c in contracts.customers) or "none"
        raise DeadlineQueryError(
            f"unknown customer {customer_text!r}: use a key or name from the contracts file. "
            f"Known customers: {known}"
        )
    try:
        severity = Severity.parse(severity_text)
    except ValueError as exc:
        raise DeadlineQueryError(f"--severity: {exc}") from None
    opened = parse_opened(opened_text)
    return customer, deadlines_for(customer, severity, opened)


def deadline_report(customer: Customer, deadlines: Deadlines) -> str:
    """Plain text: who, then the same explanation ``/sla`` gives, in the customer's zone."""
    return f"{customer.name} ({customer.key})\n" + deadlines.explain(customer.timezone)


def deadline_json(customer: Customer, deadlines: Deadlines) -> dict[str, Any]:
    """Machine-readable form for scripts: instants in UTC ISO 8601, spans in seconds."""
    calendar = deadlines.calendar.hours
    targets = deadlines.targets

    def one(deadline: Any) -> dict[str, Any]:
        return {
            "due": deadline.due.isoformat(),
            "clock_starts": deadline.clock_starts.isoformat(),
            "target": str(deadline.target.span),
            "counted_seconds": int(deadline.duration.total_seconds()),
            "clock": deadline.target.clock.value,
            "basis": deadline.basis.describe(),
            "rule": deadline.target.source,
            "clock_rule": deadline.target.clock_rule,
        }

    return {
        "customer": {"key": customer.key, "name": customer.name},
        "tier": targets.tier.value,
        "severity": int(targets.severity),
        "coverage": targets.coverage.value,
        "opened": deadlines.opened_at.isoformat(),
        "calendar": {
            "timezone": calendar.timezone,
            "days": list(calendar.days),
            "start": calendar.start.isoformat(timespec="minutes"),
            "end": calendar.end.isoformat(timespec="minutes"),
            "holidays": calendar.holidays.describe() if calendar.holidays else None,
            "description": deadlines.calendar.describe(),
        },
        "response": one(deadlines.response),
        "resolution": one(deadlines.resolution),
        "reminder_thresholds": list(deadlines.thresholds),
    }
