"""Short summaries for Slack: a customer's month (customer-safe) and the weekly digest. Pure.

Customer-safe means: only that customer's own figures and incident keys, no internal notes,
no waiver reasons, nobody else's names. The review copy for staff adds what is internal.
"""

from __future__ import annotations

from datetime import timedelta

from supportbot.contracts.currency import money_text
from supportbot.contracts.customers import Customer
from supportbot.reports.figures import Compliance, Figures
from supportbot.reports.records import Period
from supportbot.reports.statement import Statement

MAX_BREACHES = 10


def duration(value: timedelta | None) -> str:
    """``42 min``, ``5 h 10 min``, ``2 d 3 h``; ``–`` when there is nothing to average."""
    if value is None:
        return "–"
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def _share(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def _met(c: Compliance) -> str:
    decided = c.met + c.breached
    if decided:
        return f"{_share(c.share)} ({c.met} of {decided})"
    # "No target decided yet" for a month without incidents read as if some were pending.
    return f"none due yet ({c.pending} running)" if c.pending else "none due"


def _severities(f: Figures) -> str:
    return " · ".join(f"Sev{s} {n}" for s, n in sorted(f.opened_by_severity.items()) if n)


def _lines(f: Figures) -> list[str]:
    by = _severities(f)
    out = [
        f"• Opened: {f.opened}" + (f" ({by})" if by else "")
        + f"; resolved {f.resolved}; open at the end {f.open_at_end}",
        f"• First response within target: {_met(f.response_sla)}; resolution within target: "
        f"{_met(f.resolution_sla)}",
        f"• Mean first response {duration(f.response.mean)} · MTTA "
        f"{duration(f.acknowledge.mean)} · MTTR {duration(f.resolution.mean)}",
    ]  # fmt: skip
    if f.csat_scores:
        out.append(
            f"• Satisfaction: {f.csat_mean:.2f} / 5 from {len(f.csat_scores)} rating(s) "
            f"({_share(f.csat_top_share)} rated 4 or 5)"
        )
    return out


def customer_month(
    customer: Customer, period: Period, f: Figures, report: Statement, *, review: bool
) -> str:
    """The monthly report of one customer; ``review`` adds the internal lines for staff."""
    head = f"*{customer.name}: support report for {period.label}* (times in {customer.timezone})"
    out = [head, *_lines(f)]
    result = report.availability
    if result is not None:
        verdict = "met" if report.target_met else "missed"
        out.append(
            f"• Availability: {result.percent} % (target {report.terms.availability_target} %: "
            f"{verdict})"
        )
    owed = [key for key, _ in report.amounts() if key not in report.waivers]
    credits = f"• Service credits: {money_text(report.total, report.currency, grouped=True)}"
    out.append(credits + (f" ({', '.join(owed)})" if owed else ""))
    breaches = [*f.response_sla.breaches, *f.resolution_sla.breaches]
    if breaches:
        shown = ", ".join(
            f"{b.key} ({b.target}, {duration(b.late_by)} late)" for b in breaches[:MAX_BREACHES]
        )
        more = len(breaches) - MAX_BREACHES
        out.append(f"• Targets missed: {shown}" + (f" and {more} more" if more > 0 else ""))
    if review:
        for key, waiver in report.waivers.items():
            out.append(f"• _internal:_ waived {key} by <@{waiver.by}>: {waiver.reason}")
        out += [f"• _internal:_ {note}" for note in report.notes]
    return "\n".join(out)


def weekly_digest(title: str, f: Figures, open_now: int) -> str:
    return "\n".join(
        [f"*{title}*", *_lines(f),
         f"• Open now: {open_now}",
         f"• Escalated: {_share(f.escalation_rate)} · first-contact resolution: "
         f"{_share(f.first_contact_rate)}"]
    )  # fmt: skip
