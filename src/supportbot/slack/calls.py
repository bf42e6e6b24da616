"""Slack Web API calls made while a sync lock is held: each first checks the lock is still
this worker's (a call after it was lost could post what another worker posts too), and
counts its outcome."""

from __future__ import annotations

from contextvars import ContextVar

from slack_sdk import WebClient

from supportbot import metrics
from supportbot.delivery.lease import Renewed

# The sync lock this thread's calls run under (set by the sync for its duration).
HELD: ContextVar[Renewed | None] = ContextVar("slack_sync_lock", default=None)


def call(client: WebClient, method: str, **kwargs: object) -> dict:  # type: ignore[type-arg]
    held = HELD.get()
    if held is not None:
        held.check()
    try:
        response = client.api_call(method, json=kwargs)
    except Exception:
        metrics.SLACK_CALLS.labels(method, "error").inc()
        raise
    metrics.SLACK_CALLS.labels(method, "ok").inc()
    return response.data  # type: ignore[return-value]
