"""Follow-up form submissions: a customer update, an RCA approval (issue 13).

A refusal is shown beside the field at fault and nothing is stored; a submission Slack
delivers twice (same view id) is acknowledged and done once.
"""

from __future__ import annotations

from slack_bolt import Ack, BoltContext

from handlers._common import actor, payload, runtime
from handlers.payloads import ViewSubmission
from supportbot.desk import followups
from supportbot.incidents.find import IncidentError


def submit_update(ack: Ack, context: BoltContext) -> None:
    rt, who = runtime(context), actor(context)
    view = payload(context, ViewSubmission).view
    try:
        followups.post_update(
            rt, view.private_metadata, who, view.value("update"), receipt=f"view:{view.id}"
        )
    except IncidentError as exc:
        ack(response_action="errors", errors={exc.field or "update": str(exc)})
        return
    ack()


def submit_rca(ack: Ack, context: BoltContext) -> None:
    rt, who = runtime(context), actor(context)
    view = payload(context, ViewSubmission).view
    try:
        followups.approve_rca(
            rt,
            view.private_metadata,
            who,
            view.value("root_cause"),
            view.value("actions"),
            receipt=f"view:{view.id}",
        )
    except IncidentError as exc:
        ack(response_action="errors", errors={exc.field or "root_cause": str(exc)})
        return
    ack()
