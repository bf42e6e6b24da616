"""The forms behind the card's follow-up buttons: who may open them, and what they show.

Refusals come before any form opens (staff only; an incident that owes nothing says so), so
a customer-side user pressing a forwarded button learns nothing about the incident.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from slack_sdk.models.views import View
from sqlalchemy import select

from supportbot.db.followups import RootCause
from supportbot.followups import rca
from supportbot.followups.rca_text import customer_timeline
from supportbot.incidents.access import Action, Actor, authorise
from supportbot.incidents.find import IncidentError, get_incident
from supportbot.incidents.lifecycle import ACTIVE, Status
from supportbot.runtime import Runtime
from supportbot.slack.followup_blocks import rca_modal, update_modal


def update_form(rt: Runtime, key: str, actor: Actor) -> View:
    with rt.session() as session:
        incident = get_incident(session, key)
        authorise(actor, incident, Action.CUSTOMER_UPDATE)
        if incident.customer is None or Status(incident.status) not in ACTIVE:
            raise IncidentError(f"{incident.key} takes no customer updates now")
        return update_modal(incident)


def rca_form(rt: Runtime, key: str, actor: Actor) -> View:
    with rt.session() as session:
        incident = get_incident(session, key)
        authorise(actor, incident, Action.RCA_APPROVE)
        found = session.scalar(select(RootCause).where(RootCause.incident_id == incident.id))
        customer = rt.contracts.by_key(incident.customer) if incident.customer else None
        if found is None or customer is None:
            raise IncidentError(f"{incident.key} owes no root cause analysis")
        rca.refuse_if_not_due(incident, found, customer)  # approved, or the incident reopened
        zone, entries = ZoneInfo(customer.timezone), rca.entries(session, incident.id)
        lines = customer_timeline(entries, zone, customer.contacts)  # as the customer reads it
        return rca_modal(incident, lines)
