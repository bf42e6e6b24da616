"""Every module that runs a kind of job, imported once, so any process can dispatch them all.

Each kind (:mod:`supportbot.delivery.kinds`) gets its function where the work lives; a
process that owes a job must have imported that module, and this is the one place that does.
"""

from __future__ import annotations

from supportbot.alerts import summary as alert_summary
from supportbot.attention import ackwatch, deferred
from supportbot.csat import survey as csat_survey
from supportbot.delivery.kinds import ALL
from supportbot.digests import monthly as monthly_reports
from supportbot.digests import usage_posts
from supportbot.followups import firing as followups
from supportbot.oncall import dms, posts, usergroup_sync
from supportbot.paging import engine, outbox
from supportbot.plans import rollover
from supportbot.sla import firing
from supportbot.slack import jobs as slack_jobs
from supportbot.slack import plan_posts

# One per line, so that each feature adds its own line.
MODULES = (
    posts,
    engine,
    outbox,
    firing,
    slack_jobs,
    alert_summary,
    usergroup_sync,
    dms,
    ackwatch,
    deferred,
    followups,
    rollover,
    plan_posts,
    csat_survey,
    monthly_reports,
    usage_posts,
)


def check_registered() -> None:
    """Fail loudly if a kind of job has no function (a module above was not imported)."""
    for kind in ALL:
        kind.func  # noqa: B018 - raises LookupError naming the kind
