"""The monthly usage summary, posted to each customer's shared channel once the month ended.

After local midnight on the 1st in the customer's zone (the month the ledger counts), the
reconciler's :func:`redrive` makes one row per customer with plans and month: a ``kv_state``
row keyed ``usage-post:<customer>:<YYYY-MM>`` holding the channel, the customer-safe text
(frozen when made: nothing is written into a month after it ended) and, once posted, the
``ts``. The row is the promise: the job posts it once (:func:`inflight.post` looks in the
channel before posting again after an interrupted attempt), and the reconciler owes the job
again for any row not posted, so a flushed Redis delays the post, never loses it.
``supportbot report usage --post`` goes through the same row, so it never posts twice.
"""

from __future__ import annotations

import json
import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from supportbot.contracts.customers import Customer
from supportbot.db.models import KeyValue
from supportbot.delivery import effects, inflight, job_ids
from supportbot.delivery.kinds import USAGE_POST
from supportbot.delivery.locks import job_lock
from supportbot.digests.schedule import MONTHLY_LATEST, in_window, month_ended
from supportbot.plans.usage import customer_text, summarise
from supportbot.reports.records import Period
from supportbot.runtime import Runtime, get_runtime

log = logging.getLogger(__name__)
PREFIX = "usage-post:"


def row_key(customer: str, month: Period) -> str:
    return f"{PREFIX}{customer}:{month.label}"


def make(rt: Runtime, session: Session, customer: Customer, month: Period) -> str | None:
    """The customer's row for ``month``, made now unless it exists (another process, or
    ``--post``, made it); returns its key, or None when the customer has no shared channel."""
    if not customer.channels:
        return None
    key = row_key(customer.key, month)
    if session.get(KeyValue, key) is not None:
        return key
    text = customer_text(summarise(session, customer, month.first_day))
    value = json.dumps({"channel": customer.channels[0], "text": text, "ts": None})
    try:
        with session.begin_nested():
            session.add(KeyValue(key=key, value=value, updated_at=rt.now()))
    except IntegrityError:
        return key  # made at the same moment elsewhere: one row, one post
    _owe(session, key)
    return key


def _owe(session: Session, key: str) -> None:
    effects.owe(session, USAGE_POST, key, job_id=job_ids.usage_post(key))


def make_due(rt: Runtime, session: Session) -> int:
    """Rows for every customer with plans whose month ended within the window and has none
    (a first deploy, or a worker back after a week, posts no stale month)."""
    if not rt.settings.scheduled_reports:
        return 0
    made = 0
    for customer in rt.contracts.customers:
        if not customer.plans:
            continue
        month, at = month_ended(customer, rt.now())  # due when the ledger's month ends
        if not in_window(rt.now(), at, MONTHLY_LATEST):
            continue
        if session.get(KeyValue, row_key(customer.key, month)) is None:
            made += make(rt, session, customer, month) is not None
    return made


def redrive(rt: Runtime) -> int:
    """Make the rows that came due; owe the post again for every row not posted."""
    with rt.session() as session:
        made = make_due(rt, session)
        rows = session.scalars(select(KeyValue).where(KeyValue.key.startswith(PREFIX)))
        for row in rows:
            if _load(row).get("ts") is None:
                _owe(session, row.key)
    return made


def _load(row: KeyValue) -> dict[str, str | None]:
    """The row's fields; a marker of the earlier ``--post`` (the channel alone) was posted."""
    try:
        found = json.loads(row.value)
    except ValueError:
        found = None
    return found if isinstance(found, dict) else {"channel": row.value, "ts": "posted"}


@USAGE_POST.runs
def post(key: str) -> bool:
    """RQ job: post the row's summary once; False when it was posted already."""
    return _post(get_runtime(), key)


def _post(rt: Runtime, key: str) -> bool:
    with job_lock(rt.redis, key, f"usage post {key}"):
        with rt.session() as session:
            row = session.get(KeyValue, key)
            if row is None or _load(row).get("ts") is not None:
                return False
            fields = _load(row)
        message = {"channel": fields["channel"], "text": fields["text"], "unfurl_links": False}
        ts = inflight.post(rt, key, message)
        with rt.session() as session:
            row = session.get(KeyValue, key)
            assert row is not None
            row.value = json.dumps(fields | {"ts": ts})
            row.updated_at = rt.now()
        inflight.done(rt, key)
    return True


def post_now(rt: Runtime, customer: Customer, month: Period) -> str:
    """``report usage --post``: the same row and job, run here; says what it did. A month
    that has not ended in the customer's zone is refused: its frozen text would be the
    month's only post, with the rest of the month's work missing from it."""
    last, _ = month_ended(customer, rt.now())
    if month.first_day > last.first_day:
        return (
            f"{customer.key}: not posted: {month.label} has not ended in {customer.timezone}"
            " (its summary posts itself once it has)"
        )
    with rt.session() as session:
        key = make(rt, session, customer, month)
    if key is None:
        return f"{customer.key}: no shared channel to post to"
    if not _post(rt, key):
        return f"{customer.key}: already posted"
    return f"{customer.key}: posted to {customer.channels[0]}"
