"""Prometheus metrics, served at ``GET /metrics``.

Failures are counted here as well as logged, so that a page that could not be sent shows up
on a dashboard and can be alerted on.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

# The web and the workers are separate processes: a page the worker failed to send was counted
# in the worker's memory, which no /metrics served. With this variable naming a directory
# (`supportbot run` sets one; a Procfile or systemd deployment sets its own, docs/deploy.md)
# every process counts into files there, and /metrics adds them all up.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def fresh_dir(path: Path) -> Path:
    """``path``, emptied: the counts of a previous run's processes must not add to this one's."""
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def exposition() -> bytes:
    """What ``/metrics`` serves: every process's counts when they share a directory, else
    this process's own."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest()


INCIDENTS_OPENED = Counter("supportbot_incidents_opened_total", "Incidents opened", ["severity"])
ENQUEUE_FAILURES = Counter(
    "supportbot_enqueue_failures_total", "Jobs that could not be queued (Redis down)", ["job"]
)
SLACK_CALLS = Counter(
    "supportbot_slack_calls_total", "Slack Web API calls made by jobs", ["method", "outcome"]
)
RECONCILED = Counter(
    "supportbot_reconciler_requeued_total",
    "Work found due and re-queued by the reconciler",
    ["kind"],
)
RECONCILE_FAILURES = Counter(
    "supportbot_reconciler_failures_total", "Reconciler passes a redriver failed in", ["kind"]
)
DASHBOARD_REFRESH_FAILURES = Counter(
    "supportbot_dashboard_refresh_failures_total",
    "Background recomputations of the dashboard's figures that failed",
)
REQUEST_REFUSED = Counter(
    "supportbot_requests_refused_total", "Inbound requests refused at the edge", ["reason"]
)
JOB_SECONDS = Histogram("supportbot_job_seconds", "Job run time", ["job"])
BATCH_SPLITS = Counter(
    "supportbot_batch_splits_total",
    "Batch jobs that failed part-way and queued what was left as jobs of their own",
    ["job"],
)
SLA_TIMERS_FIRED = Counter(
    "supportbot_sla_timers_fired_total", "SLA timers fired, by effect", ["effect"]
)
NOTIFY_UNREACHABLE = Counter(
    "supportbot_notify_unreachable_total", "Notifications with nobody to send them to", ["who"]
)
ESCALATION_STEPS = Counter(
    "supportbot_escalation_steps_total", "Escalation steps run, by outcome", ["outcome"]
)
PAGE_UNREACHABLE = Counter(
    "supportbot_page_unreachable_total", "Escalation targets with nobody to page", ["target"]
)
PAGES = Counter("supportbot_pages_total", "Pages by channel and outcome", ["channel", "outcome"])
# A Slack post an interrupted attempt may have made, looked for before posting again:
# found (kept), absent (posted now), unchecked (Slack refused the look-up: posted again),
# gave_up (not within the pages read: posted again).
SLACK_POST_LOOKUPS = Counter(
    "supportbot_slack_post_lookups_total",
    "Interrupted Slack posts looked for before posting again, by outcome",
    ["outcome"],
)
# A Slack post given up because Slack refused it for good (a direct message to someone who
# left the workspace), by what it was and Slack's error; each is said in the triage channel.
SLACK_UNDELIVERABLE = Counter(
    "supportbot_slack_undeliverable_total",
    "Slack posts given up because Slack refused them for good",
    ["what", "error"],
)
# A card gone from Slack (deleted by hand) found by its update, and posted again.
SLACK_CARDS_REPOSTED = Counter(
    "supportbot_slack_cards_reposted_total", "Cards gone from Slack and posted again", ["error"]
)
ACKS = Counter("supportbot_page_acks_total", "Page acknowledgements by channel", ["via"])
