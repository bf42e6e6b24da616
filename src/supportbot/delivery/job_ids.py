"""Every job id, minted in one place.

A job id is derived from what the job does, so re-enqueueing replaces the job rather than
duplicating it, and a state change can cancel exactly the job it makes obsolete. RQ allows
letters, digits, ``_`` and ``-``.
"""

from __future__ import annotations

import re
import uuid

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def _id(*parts: object) -> str:
    return _UNSAFE.sub("_", "-".join(str(p) for p in parts))


def slack_sync(incident_id: int) -> str:
    return _id("slack-sync", f"INC-{incident_id}")


def batch(kind: str) -> str:
    """A batch of jobs handed over together: unique, as no two batches are the same work."""
    return _id(kind.replace("_", "-"), uuid.uuid4().hex)


def slack_call(key: str) -> str:
    return _id("slack-call", key)


def sla_timer(incident_id: int, clock: str, threshold: int) -> str:
    return _id("sla", f"INC-{incident_id}", clock, threshold)


def page_step(escalation_id: int, index: int) -> str:
    return _id("page-step", escalation_id, index)


def page_send(page_id: int) -> str:
    return _id("page-send", page_id)


def page_manual_escalation(incident_id: int, level: str) -> str:
    return _id(f"page-manual-INC-{incident_id}", level)


def oncall_post(post_id: int) -> str:
    return _id("oncall-post", post_id)


def alert_summary(incident_id: int, interval: int) -> str:
    """``interval``: the number of the summary interval (since the epoch) it is due in."""
    return _id("alert-summary", f"INC-{incident_id}", interval)


def rota_dm(dm_id: int) -> str:
    return _id("rota-dm", dm_id)


def usergroup_sync() -> str:
    """One at a time: owing it again while one is queued replaces it."""
    return "usergroup-sync"


def ack_watch(incident_id: int) -> str:
    return _id("ack-watch", f"INC-{incident_id}")


def deferred_page(deferred_id: int) -> str:
    return _id("deferred-page", deferred_id)


def followup_timer(incident_id: int, kind: str, seq: int) -> str:
    return _id("followup", f"INC-{incident_id}", kind, seq)


def estimate_post(task_id: int) -> str:
    return _id("estimate-post", task_id)


def plan_term_end(customer: str, plan: str) -> str:
    return _id("plan-term-end", customer, plan)


def csat_ask(survey_id: int) -> str:
    return _id("csat-ask", survey_id)


def report_post(row_id: int, stage: str) -> str:
    return _id("report-post", row_id, stage)


def usage_post(key: str) -> str:
    return _id("usage-post", key)
