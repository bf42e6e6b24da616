"""Outages, maintenance windows and waivers: what staff declare that the credits depend on.

Each is one transaction. Marking an outage and waiving an incident's credit are incident
actions (``desk.change.run``: locked, authorised, on the timeline); a maintenance window is
announced in the customer's shared channel through a post row (``oncall.posts``: once per
key, re-driven by the reconciler); an availability waiver is recorded on the timeline of
every incident its line lists.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from supportbot.contracts.customers import Customer
from supportbot.credits.commands import (
    FAR_AHEAD,
    MOST_AHEAD,
    USAGE,
    CreditCommand,
    local_start,
    parse,
)
from supportbot.db.reporting import CreditWaiver, MaintenanceWindow
from supportbot.db.types import row_id
from supportbot.desk.change import Change, run
from supportbot.incidents.access import Action, Actor, named_customer
from supportbot.incidents.find import IncidentError, get_incident
from supportbot.incidents.timeline import add_event
from supportbot.oncall.posts import add_post
from supportbot.reports.credits import CreditLine, credit_line
from supportbot.reports.load import load_records
from supportbot.reports.monthly import statements
from supportbot.reports.records import PeriodKind, parse_month, period_of
from supportbot.reports.statement import AVAILABILITY
from supportbot.runtime import Runtime
from supportbot.wording import inert, mention

STAFF_ONLY = ":no_entry: Maintenance windows, outages and credit waivers are for the support team."


def answer(rt: Runtime, who: Actor, kind: str, text: str) -> str:
    """The reply to ``/incident <kind> <text>``; refusals and mistakes are one sentence."""
    if not who.is_staff:
        return STAFF_ONLY
    try:
        command = parse(kind, text)
        return _do(rt, who, command)
    except IncidentError as exc:
        return f":warning: {exc}"


def _do(rt: Runtime, who: Actor, command: CreditCommand) -> str:
    if command.kind == "maintenance":
        return declare(rt, who, command)
    if command.kind == "maintenance-list":
        return listing(rt, who, command.customer)
    if command.kind == "maintenance-cancel":
        return cancel(rt, who, command.key or "")
    if command.kind == "outage":
        return mark_outage(rt, who, command.key or "", on=command.on)
    if command.kind == "waive":
        return waive_incident(rt, who, command.key or "", command.reason)
    if command.kind == "waive-month":
        return waive_availability(rt, who, command)
    raise IncidentError(USAGE)


def _span(window: MaintenanceWindow, customer: Customer) -> str:
    zone = ZoneInfo(customer.timezone)
    start, end = window.starts_at.astimezone(zone), window.ends_at.astimezone(zone)
    same_day = start.date() == end.date()
    until = f"{end:%H:%M %Z}" if same_day else f"{end:%a %d %b %Y %H:%M %Z}"
    return (
        f"{start:%a %d %b %Y %H:%M}–{until} ({window.starts_at:%H:%M}–{window.ends_at:%H:%M} UTC)"
    )


def declare(rt: Runtime, who: Actor, command: CreditCommand) -> str:
    assert command.window is not None
    customer = named_customer(who, rt.contracts, command.window.customer)
    start = local_start(command.window, customer.timezone)
    now = rt.now()
    if start < now:
        raise IncidentError(
            "a maintenance window is declared before it starts; to excuse downtime already "
            "past, waive the credit (`/incident waive …`)"
        )
    if start > now + MOST_AHEAD:
        raise IncidentError(FAR_AHEAD)
    with rt.session() as session:
        window = MaintenanceWindow(
            customer=customer.key, starts_at=start, ends_at=start + command.window.length,
            reason=command.window.reason, created_by=who.user_id, created_at=now,
        )  # fmt: skip
        session.add(window)
        session.flush()
        text = (
            f":wrench: Planned maintenance for {customer.name}: {_span(window, customer)}. "
            f"{inert(window.reason)}. Planned work does not count as downtime."
        )
        add_post(session, key=f"maintenance-{window.id}", channel=customer.channels[0],
                 text=text, now=now)  # fmt: skip
        number, span = window.id, _span(window, customer)
    return f"Maintenance window #{number} for {customer.name}: {span}; announced in their channel."


def listing(rt: Runtime, who: Actor, customer_name: str | None) -> str:
    customer = named_customer(who, rt.contracts, customer_name) if customer_name else None
    with rt.session() as session:
        query = select(MaintenanceWindow).where(
            MaintenanceWindow.cancelled_at.is_(None), MaintenanceWindow.ends_at > rt.now()
        )
        if customer is not None:
            query = query.where(MaintenanceWindow.customer == customer.key)
        rows = list(session.scalars(query.order_by(MaintenanceWindow.starts_at)))
        lines = []
        for window in rows:
            owner = rt.contracts.by_key(window.customer)
            if owner is not None:
                span = _span(window, owner)
                lines.append(f"• #{window.id} {owner.name}: {span} · {inert(window.reason)}")
    return "\n".join(lines) if lines else "No maintenance windows coming up."


def _window(session: Session, text: str) -> MaintenanceWindow:
    number = row_id(text.lstrip("#"))
    window = session.get(MaintenanceWindow, number) if number is not None else None
    if window is None:
        raise IncidentError(f"there is no maintenance window #{inert(text[:20])}")
    return window


def cancel(rt: Runtime, who: Actor, text: str) -> str:
    now = rt.now()
    with rt.session() as session:
        window = _window(session, text)
        customer = rt.contracts.by_key(window.customer)
        if window.cancelled_at is not None or customer is None:
            raise IncidentError(f"maintenance window #{window.id} is already cancelled")
        if window.starts_at <= now:
            raise IncidentError(f"maintenance window #{window.id} has already started")
        window.cancelled_at, window.cancelled_by = now, who.user_id
        text = f":information_source: Cancelled: the planned maintenance {_span(window, customer)}."
        add_post(session, key=f"maintenance-{window.id}-cancelled", channel=customer.channels[0],
                 text=text, now=now)  # fmt: skip
        return f"Maintenance window #{window.id} cancelled; {customer.name} are told."


def mark_outage(rt: Runtime, who: Actor, key: str, *, on: bool) -> str:
    def apply(change: Change) -> None:
        incident = change.incident
        if on and incident.severity != 1:
            raise IncidentError(
                f"{incident.key} is not a Severity 1; only a Sev1 (site down) counts as downtime"
            )
        if on and incident.customer is None:
            raise IncidentError(f"{incident.key} has no customer, so it is nobody's downtime")
        if incident.outage == on:
            state = "already" if on else "not"
            raise IncidentError(f"{incident.key} is {state} marked as an outage")
        incident.outage = on
        text = (
            f"{change.who} marked this as an outage (site down): its open time counts as downtime"
            if on
            else f"{change.who} marked this as no longer an outage: it counts no downtime"
        )
        change.event("outage", text)

    incident = run(rt, key, who, Action.OUTAGE, apply)
    return f"{incident.key} {'is now' if on else 'is no longer'} an outage."


def _existing(session: Session, customer: str, month: str, line: str) -> None:
    found = session.scalar(
        select(CreditWaiver).where(
            CreditWaiver.customer == customer,
            CreditWaiver.month == month,
            CreditWaiver.line == line,
        )
    )
    if found is not None:
        raise IncidentError(
            f"that credit was already waived by {mention(found.waived_by)} on "
            f"{found.waived_at:%Y-%m-%d}: {inert(found.reason)}"
        )


def waive_incident(rt: Runtime, who: Actor, key: str, reason: str) -> str:
    said: list[str] = []

    def apply(change: Change) -> None:
        incident = change.incident
        customer = rt.contracts.by_key(incident.customer or "")
        if customer is None:
            raise IncidentError(f"{incident.key} has no customer, so it owes no credit")
        month = period_of(PeriodKind.MONTH, incident.opened_at, customer.timezone)
        records = load_records(change.session, rt.contracts, month, customer.key)
        record = next((r for r in records if r.key == incident.key), None)
        line = credit_line(record, rt.now(), customer.credits) if record else None
        if not isinstance(line, CreditLine):
            raise IncidentError(f"{incident.key} owes no response credit to waive")
        _existing(change.session, customer.key, month.label, incident.key)
        change.session.add(
            CreditWaiver(customer=customer.key, month=month.label, line=incident.key,
                         reason=reason, waived_by=who.user_id, waived_at=rt.now())
        )  # fmt: skip
        amount = f"{line.amount} {customer.credits.currency}"
        change.event("credit_waived", f"{change.who} waived the SLA credit ({amount}): {reason}")
        said.append(f"Waived {incident.key}'s credit of {amount} for {month.label}.")

    run(rt, key, who, Action.WAIVE, apply)
    return said[0]


def waive_availability(rt: Runtime, who: Actor, command: CreditCommand) -> str:
    customer = named_customer(who, rt.contracts, command.customer or "")
    try:
        period = parse_month(command.month or "")
    except ValueError as exc:
        raise IncidentError(str(exc).replace("--month ", "")) from None
    now = rt.now()
    with rt.session() as session:
        (report,) = statements(session, rt.contracts, period, now, customer.key)
        found = report.availability_line
        if found is None:
            raise IncidentError(f"{customer.name} owes no availability credit for {period.label}")
        _existing(session, customer.key, period.label, AVAILABILITY)
        try:
            with session.begin_nested():  # two at once: the second waits, then is refused
                session.add(
                    CreditWaiver(customer=customer.key, month=period.label, line=AVAILABILITY,
                                 reason=command.reason, waived_by=who.user_id, waived_at=now)
                )  # fmt: skip
        except IntegrityError:
            _existing(session, customer.key, period.label, AVAILABILITY)
            raise IncidentError("that credit was already waived") from None
        amount = f"{found.amount} {report.currency}"
        text = (
            f"{mention(who.user_id)} waived {customer.name}'s availability credit for "
            f"{period.label} ({amount}, {found.result.percent} % available): {command.reason}"
        )
        for key in dict.fromkeys(o.key for o in found.result.outages):
            add_event(session, rt, get_incident(session, key), who.user_id, "credit_waived", text)
    return f"Waived {customer.name}'s availability credit for {period.label} ({amount})."
