"""``/incident time|appointment|timer|estimate|waive|approve``: work against the plan."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from supportbot.contracts.customers import Customer
from supportbot.db.models import Incident
from supportbot.desk import tasks, work
from supportbot.desk.usage import turnover_balance
from supportbot.desk.work import Done
from supportbot.incidents.access import Actor
from supportbot.incidents.commands import ParsedCommand
from supportbot.incidents.find import IncidentError
from supportbot.plans.balance import needs_deposit
from supportbot.runtime import Runtime
from supportbot.slack.plan_blocks import no_deposit

WORK_KINDS = ("time", "appointment", "timer_start", "timer_stop", "estimate", "waive", "approve")


def _minutes(parsed: ParsedCommand) -> int:
    assert parsed.minutes is not None, "the parser gives every timed command its minutes"
    return parsed.minutes


def work_answer(rt: Runtime, who: Actor, parsed: ParsedCommand) -> dict[str, Any]:
    key = parsed.key or ""
    run: dict[str, Callable[[], Done]] = {
        "time": lambda: work.log_time(rt, key, who, _minutes(parsed), parsed.summary),
        "appointment": lambda: work.log_time(
            rt, key, who, _minutes(parsed), parsed.summary, appointment=True
        ),
        "timer_start": lambda: work.start_timer(rt, key, who),
        "timer_stop": lambda: work.stop_timer(rt, key, who),
        "estimate": lambda: tasks.estimate(rt, key, who, _minutes(parsed), parsed.summary),
        "waive": lambda: tasks.waive(rt, key, who, parsed.summary),
        "approve": lambda: tasks.approve_hold(rt, key, who),
    }
    try:
        done = run[parsed.kind]()
    except IncidentError as exc:
        return {"response_type": "ephemeral", "text": f":warning: {exc}"}
    return {"response_type": "ephemeral", "text": done.text}


def deposit_refusal(rt: Runtime, who: Actor, customer: Customer | None) -> dict[str, Any] | None:
    """A per-minute customer without a deposit: why nothing opened, and a button to notify
    their account manager. Staff can still open the incident."""
    if who.is_staff or customer is None or needs_deposit(customer, rt.now()) is None:
        return None
    text, blocks = no_deposit(customer.name, customer.key)
    return {"response_type": "ephemeral", "text": text, "blocks": [b.to_dict() for b in blocks]}


def charged_line(rt: Runtime, incident: Incident) -> str:
    """After opening: what the turnover charge left of the customer's per-incident plan."""
    text = turnover_balance(rt, incident)
    return f"\n{text}" if text else ""
