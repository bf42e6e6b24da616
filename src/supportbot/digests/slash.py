"""``/sla report [customer] [YYYY-MM]``: a month's summary where the person asked.

Staff may ask for any customer, or for everyone (the overall figures); a designated contact
gets their own organisation's customer-safe summary; anyone else a polite refusal.
"""

from __future__ import annotations

from supportbot.digests.monthly import texts
from supportbot.incidents.access import Actor, may_follow, named_customer
from supportbot.incidents.find import IncidentError
from supportbot.reports.figures import figures
from supportbot.reports.load import load_records
from supportbot.reports.records import MONTH, PeriodKind, parse_month, period_of
from supportbot.reports.summary import weekly_digest
from supportbot.runtime import Runtime
from supportbot.wording import inert

USAGE = "`/sla report [customer] [YYYY-MM]`: a month's summary (default: this month so far)"


def report_answer(rt: Runtime, who: Actor, text: str) -> str:
    try:
        return _answer(rt, who, text.split())
    except IncidentError as exc:
        return f":warning: {exc}"


def _answer(rt: Runtime, who: Actor, words: list[str]) -> str:
    may_follow(who)
    months = [w for w in words if MONTH.match(w)]
    names = [w for w in words if not MONTH.match(w)]
    if len(months) > 1 or len(names) > 1:
        raise IncidentError(f"name at most one customer and one month. {USAGE}")
    customer = named_customer(who, rt.contracts, names[0]) if names else None
    if customer is None and not who.is_staff:
        customer = rt.contracts.by_key(who.customer or "")
    zone = customer.timezone if customer else "UTC"
    try:
        period = parse_month(months[0]) if months else period_of(PeriodKind.MONTH, rt.now(), zone)
    except ValueError as exc:
        raise IncidentError(inert(str(exc).replace("--month ", ""))) from None
    with rt.session() as session:
        if customer is not None:
            review, safe = texts(rt, session, customer, period)
            return review if who.is_staff else safe
        records = load_records(session, rt.contracts, period)
        f = figures(records, period, rt.now())
    return weekly_digest(f"All customers, {period.label}", f, f.open_at_end)
