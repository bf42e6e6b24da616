"""Who is acting: staff, a customer's designated contact, or someone else on a customer's side.

Customers see and act on only their own organisation's incidents, so every inbound request is
classified here before a handler calls a service.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from supportbot.contracts.customers import Contracts
from supportbot.db.models import Incident
from supportbot.incidents.find import IncidentError


@dataclass(frozen=True)
class Actor:
    """Who is acting. ``customer`` is set for people on a customer's side of a shared channel."""

    user_id: str
    customer: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.customer is None


@dataclass(frozen=True)
class Identity:
    actor: Actor
    designated: bool  # a designated contact of ``actor.customer``

    @property
    def external_undesignated(self) -> bool:
        return self.actor.customer is not None and not self.designated


def identify(
    contracts: Contracts,
    user_id: str,
    *,
    channel_id: str | None = None,
    user_team: str | None = None,
    home_team: str | None = None,
) -> Identity:
    """Designated contacts are customers wherever they are; a user from another Slack team is
    on a customer's side even if not a designated contact (the channel's owner, if any)."""
    contact_of = contracts.by_contact(user_id)
    if contact_of is not None:
        return Identity(Actor(user_id, customer=contact_of.key), designated=True)
    if user_team and home_team and user_team != home_team:
        # Fail closed: an outsider is never staff, in a channel no contract names or in a
        # payload that carries no channel at all (a modal submission).
        owner = contracts.by_channel(channel_id) if channel_id else None
        return Identity(
            Actor(user_id, customer=owner.key if owner else "unknown"), designated=False
        )
    return Identity(Actor(user_id), designated=False)


class Action(StrEnum):
    """Everything a person can do to an incident; :func:`authorise` decides who may."""

    VIEW = "view"
    ACKNOWLEDGE = "acknowledge"
    ASSIGN = "assign"
    SEVERITY = "severity"
    ESCALATE = "escalate"
    WAIT = "waiting"
    RESUME = "investigating"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    CLOSE = "close"
    NOTE = "note"
    REPLY = "reply"
    PAGE_ACK = "page_ack"


# Staff-only actions, with what a refused customer is told they tried to do. Viewing and
# replying are open to a customer, for their own organisation's incidents only.
STAFF_ONLY: dict[Action, str] = {
    Action.ACKNOWLEDGE: "acknowledge an incident",
    Action.ASSIGN: "assign an incident",
    Action.SEVERITY: "change an incident's severity",
    Action.ESCALATE: "escalate an incident",
    Action.WAIT: "mark an incident as waiting on the customer",
    Action.RESUME: "change an incident's status",
    Action.RESOLVE: "resolve an incident",
    Action.REOPEN: "reopen an incident",
    Action.CLOSE: "close an incident",
    Action.NOTE: "add internal notes",
    Action.PAGE_ACK: "acknowledge a page",
}


def authorise(actor: Actor, incident: Incident, action: Action) -> None:
    """Refuse with :class:`IncidentError` unless ``actor`` may do ``action`` to ``incident``."""
    if actor.customer is not None and incident.customer != actor.customer:
        # Same answer as for a missing incident: do not confirm another org's incident exists.
        raise IncidentError(f"{incident.key} does not exist")
    if action in STAFF_ONLY and not actor.is_staff:
        raise IncidentError(
            f"Only the support team can {STAFF_ONLY[action]}. "
            "Reply in this thread and the team will pick it up."
        )
