"""RQ job entry points. Each takes only ids, reloads its rows and does nothing if done."""

from __future__ import annotations

from supportbot import metrics
from supportbot.paging import engine, outbox
from supportbot.runtime import get_runtime
from supportbot.sla import firing
from supportbot.slack.sync import sync_incident


def slack_sync(incident_id: int) -> None:
    with metrics.JOB_SECONDS.labels("slack_sync").time():
        sync_incident(get_runtime(), incident_id)


def slack_call(method: str, kwargs: dict[str, object]) -> None:
    """A one-off Slack post (an offer, an ephemeral note); retried by RQ on failure."""
    with metrics.JOB_SECONDS.labels("slack_call").time():
        response = get_runtime().slack.api_call(method, json=kwargs)
        metrics.SLACK_CALLS.labels(method, "ok" if response.get("ok") else "error").inc()


def sla_timer(timer_id: int) -> str:
    with metrics.JOB_SECONDS.labels("sla_timer").time():
        return firing.fire(get_runtime(), timer_id)


def page_step(escalation_id: int, index: int) -> str:
    with metrics.JOB_SECONDS.labels("page_step").time():
        return engine.run_step(get_runtime(), escalation_id, index)


def page_send(page_id: int) -> str:
    with metrics.JOB_SECONDS.labels("page_send").time():
        return outbox.send(get_runtime(), page_id)


def page_manual_escalation(incident_id: int, level: str, by: str) -> str:
    with metrics.JOB_SECONDS.labels("page_manual_escalation").time():
        return engine.manual_escalation(get_runtime(), incident_id, level, by)
