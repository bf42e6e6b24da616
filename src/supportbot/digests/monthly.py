"""The monthly report per customer: made when due, reviewed in triage, approved, posted.

The reconciler's :func:`redrive` makes the rows that came due (one per customer and month:
``key`` is unique, so every worker can run it) and re-owes any stage not posted yet. The job
posts a stage once (a lock, then the row's ts). Approving is a compare-and-set on the row.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot.contracts.customers import Customer
from supportbot.db.claims import claim
from supportbot.db.reporting import ReportPost
from supportbot.db.types import row_id
from supportbot.delivery import effects, inflight, job_ids
from supportbot.delivery.kinds import REPORT_POST, SLACK_CALL
from supportbot.delivery.locks import job_lock
from supportbot.digests.schedule import MONTHLY_LATEST, in_window, monthly_due
from supportbot.incidents.access import Actor
from supportbot.incidents.find import IncidentError
from supportbot.oncall import lookup
from supportbot.reports.figures import figures
from supportbot.reports.load import load_records
from supportbot.reports.monthly import statements
from supportbot.reports.records import Period
from supportbot.reports.summary import customer_month
from supportbot.runtime import Runtime, get_runtime
from supportbot.wording import mention

log = logging.getLogger(__name__)

ACTION_APPROVE = "report_approve"
REVIEW, CUSTOMER = "review", "customer"


def texts(rt: Runtime, session: Session, customer: Customer, period: Period) -> tuple[str, str]:
    """(review copy, customer copy) of ``customer``'s report for ``period``, as of now."""
    now = rt.now()
    records = load_records(session, rt.contracts, period, customer.key)
    f = figures(records, period, now)
    (report,) = statements(session, rt.contracts, period, now, customer.key)
    return (
        customer_month(customer, period, f, report, review=True),
        customer_month(customer, period, f, report, review=False),
    )


def _owe(session: Session, post_id: int, stage: str) -> None:
    effects.owe(session, REPORT_POST, post_id, stage, job_id=job_ids.report_post(post_id, stage))


def make_due(rt: Runtime, session: Session) -> int:
    """Rows for every customer whose report came due and has none yet; returns how many."""
    triage = rt.settings.triage_channel
    if not triage or not rt.settings.scheduled_reports:
        return 0
    made = 0
    for customer in rt.contracts.customers:
        period, due = monthly_due(customer, rt.now())
        key = f"monthly-{customer.key}-{period.label}"
        if not in_window(rt.now(), due, MONTHLY_LATEST) or session.scalar(
            select(ReportPost.id).where(ReportPost.key == key)
        ):
            continue
        review, safe = texts(rt, session, customer, period)
        row = ReportPost(key=key, customer=customer.key, month=period.label, review_text=review,
                         customer_text=safe, created_at=rt.now(), review_channel=triage,
                         customer_channel=customer.channels[0])  # fmt: skip
        session.add(row)
        session.flush()
        _owe(session, row.id, REVIEW)
        made += 1
    return made


def redrive(rt: Runtime) -> int:
    """Make what came due; re-owe the review and customer posts still owed."""
    with rt.session() as session:
        made = make_due(rt, session)
        unreviewed = session.scalars(select(ReportPost.id).where(ReportPost.review_ts.is_(None)))
        for post_id in unreviewed:
            _owe(session, post_id, REVIEW)
        approved = session.scalars(
            select(ReportPost.id).where(
                ReportPost.approved_at.is_not(None), ReportPost.customer_ts.is_(None)
            )
        )
        for post_id in approved:
            _owe(session, post_id, CUSTOMER)
    return made


def review_blocks(row: ReportPost, approvers: str) -> list[dict[str, Any]]:
    approve = {
        "type": "button",
        "action_id": ACTION_APPROVE,
        "style": "primary",
        "text": {"type": "plain_text", "text": "Approve and send to the customer"},
        "value": str(row.id),
    }
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": row.review_text[:2900]}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": approvers}]},
        {"type": "actions", "block_id": f"report-{row.id}", "elements": [approve]},
    ]


@REPORT_POST.runs
def post(post_id: int, stage: str) -> None:
    """RQ job: post one stage of a report, once."""
    rt = get_runtime()
    with job_lock(rt.redis, f"report:{post_id}", f"report post {post_id}"):
        with rt.session() as session:
            row = session.get(ReportPost, post_id)
            if row is None:
                return
            if stage == REVIEW and row.review_ts is None:
                args = {"channel": row.review_channel, "text": row.review_text,
                        "blocks": review_blocks(row, approvers_line(rt))}  # fmt: skip
            elif stage == CUSTOMER and row.approved_at and row.customer_ts is None:
                args = {"channel": row.customer_channel, "text": row.customer_text}
            else:
                return
        key = f"report-{post_id}-{stage}"
        ts = inflight.post(rt, key, args | {"unfurl_links": False})
        with rt.session() as session:
            row = session.get(ReportPost, post_id)
            assert row is not None
            if stage == REVIEW:
                row.review_ts = ts
            else:
                row.customer_ts = ts
        inflight.done(rt, key)


def leads(rt: Runtime) -> tuple[str, ...] | None:
    """The Slack ids of who may approve a report for a customer: the rotation files'
    ``management``. Empty when none is listed: then any staff member may, as the review post
    says. None when the files never loaded: who the leads are is unknown, so nobody may (a
    broken file must not open the approval to everyone)."""
    resolver = lookup.resolver(rt)
    if resolver is None:
        return None
    people = resolver.rotation.people
    return tuple(people[key].slack for key in resolver.rotation.management)


UNKNOWN_LEADS = (
    "Who may approve it is not known: the rotation files did not load (run supportbot check); "
    "the report can be approved once they do."
)


def _named(users: tuple[str, ...]) -> str:
    return ", ".join(mention(user) for user in users)


def approvers_line(rt: Runtime) -> str:
    named = leads(rt)
    if named is None:
        return UNKNOWN_LEADS
    if not named:
        return "Any member of the support team may approve it (no management is listed)."
    return f"A lead approves it: {_named(named)}."


def approve(rt: Runtime, who: Actor, value: str) -> str:
    """A lead approves the report: it goes to the customer's channel, once."""
    if not who.is_staff:
        raise IncidentError("Only the support team can approve a report.")
    named = leads(rt)
    if named is None:
        raise IncidentError(UNKNOWN_LEADS)
    if named and who.user_id not in named:
        raise IncidentError(
            "Only a lead (management in the rotation files) can send a report to a customer: "
            f"{_named(named)}."
        )
    number = row_id(value)
    with rt.session() as session:
        row = session.get(ReportPost, number) if number is not None else None
        if row is None:
            raise IncidentError("This report no longer exists.")
        if not claim(session, ReportPost, row.id, None, field="approved_at",
                     approved_at=rt.now(), approved_by=who.user_id):  # fmt: skip
            raise IncidentError("This report was already approved.")
        _owe(session, row.id, CUSTOMER)
        if row.review_ts:
            done = f"{row.review_text}\n:white_check_mark: Approved by <@{who.user_id}>; sent."
            args = {"channel": row.review_channel, "ts": row.review_ts, "text": done[:3000]}
            effects.owe(session, SLACK_CALL, "chat.update", args,
                        job_id=job_ids.slack_call(f"report-{row.id}-approved"))  # fmt: skip
        return f"Approved: {row.customer}'s report for {row.month} goes to their channel."
