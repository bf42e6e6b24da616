"""The desk's follow-up actions (issue 13): a customer update, an RCA approval.

Each runs through :func:`supportbot.desk.change.run` like every other action (row lock,
authorisation: staff only, the timeline, the clocks, the Slack sync). A form submitted twice
(Slack's retry, a replayed request) is recognised by its view id and does nothing twice.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from supportbot.contracts.followups import UPDATE_MAX, WRITTEN_MAX
from supportbot.db.models import Incident
from supportbot.desk.change import Change, run
from supportbot.followups import cadence, rca
from supportbot.followups.rca_text import Unfit, check_text
from supportbot.incidents.access import Action, Actor
from supportbot.incidents.find import IncidentError
from supportbot.incidents.lifecycle import ACTIVE, Status
from supportbot.runtime import Runtime
from supportbot.wording import inert, local_time


def _checked(field: str, text: str, limit: int, *, required: bool) -> str:
    try:
        return check_text(field, text, limit, required=required)
    except Unfit as exc:
        raise IncidentError(str(exc), field=exc.field) from exc


def post_update(
    rt: Runtime, key: int | str, actor: Actor, text: str, *, receipt: str
) -> Incident | None:
    """Post a customer-safe status update to the customer's thread (inert), and restart the
    update cadence from now. None when this form was already received."""
    update = _checked("update", text, UPDATE_MAX, required=True)

    def apply(change: Change) -> None:
        incident = change.incident
        if incident.customer is None or Status(incident.status) not in ACTIVE:
            state = Status(incident.status).label.lower()
            raise IncidentError(
                f"{incident.key} takes no customer updates (it is {state}"
                f"{'' if incident.customer else ', with no customer'})",
                field="update",
            )
        change.receipt(receipt)
        now = change.rt.now()
        due = cadence.restart(change.session, change.rt, incident, now)
        zone = cadence.customer_zone(change.rt, incident)
        after = f"\n_Next update by {local_time(due, zone)}._" if due else ""
        change.event(
            cadence.EVENT,
            f":mega: *Update on {incident.key}* from {change.who}: {inert(update)}{after}",
            customer_visible=True,
        )

    try:
        return run(rt, key, actor, Action.CUSTOMER_UPDATE, apply)
    except IntegrityError:
        return None


def approve_rca(
    rt: Runtime, key: int | str, actor: Actor, root_cause: str, actions: str, *, receipt: str
) -> Incident | None:
    """Approve the RCA and post its customer-safe version. None when already received."""
    written = (
        _checked("root_cause", root_cause, WRITTEN_MAX, required=True),
        _checked("actions", actions, WRITTEN_MAX, required=False),
    )

    def apply(change: Change) -> None:
        change.receipt(receipt)
        rca.approve(change.session, change.rt, change.incident, actor.user_id, written,
                    change.rt.now())  # fmt: skip

    try:
        return run(rt, key, actor, Action.RCA_APPROVE, apply)
    except IntegrityError:
        return None
