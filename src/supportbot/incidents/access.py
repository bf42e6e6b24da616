"""Who is acting, and what they may do: decided here, once, for every inbound request.

Staff are recognised positively, never by default: a member of the app's own Slack workspace
(the team ``auth.test`` names), narrowed, when configured, to a staff user group or to the
contracts file's ``staff`` list. A designated contact acts for their own organisation; anyone
else is a customer-side user who gets a polite answer and nothing more. Paged people who
answer by SMS or phone are staff by being on the rotation roster.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from supportbot.contracts.customers import Contracts, Customer
from supportbot.db.models import Incident
from supportbot.incidents.find import IncidentError
from supportbot.staff import StaffDirectory
from supportbot.wording import inert


class Role(StrEnum):
    STAFF = "staff"
    CONTACT = "contact"  # a designated contact of ``Actor.customer``
    CUSTOMER = "customer"  # anyone else who is not staff
    INTEGRATION = "integration"  # a monitoring integration, recognised by its token


@dataclass(frozen=True)
class Actor:
    """Who is acting. ``customer`` is the organisation a customer-side user belongs to, when
    known (a designated contact's, or the owner of the shared channel they wrote in)."""

    user_id: str
    role: Role
    customer: str | None = None

    @classmethod
    def staff_member(cls, user_id: str) -> Actor:
        return cls(user_id, Role.STAFF)

    @classmethod
    def integration(cls, key: str) -> Actor:
        """A monitoring integration whose request carried its token (handlers/http/alerts)."""
        return cls(f"alerts:{key}", Role.INTEGRATION)

    @property
    def is_staff(self) -> bool:
        return self.role is Role.STAFF

    @property
    def designated(self) -> bool:
        return self.role is Role.CONTACT

    def may_see(self, incident: Incident) -> bool:
        """Staff see every incident; a designated contact their own organisation's."""
        return self.is_staff or (self.designated and incident.customer == self.customer)


def identify(
    contracts: Contracts,
    staff: StaffDirectory,
    user_id: str,
    *,
    user_team: str | None,
    channel_id: str | None = None,
) -> Actor:
    """Classify the user of an inbound Slack request.

    ``user_team`` is the team of the *user* (not of the workspace that received the
    request); a payload without one is never staff.
    """
    contact_of = contracts.by_contact(user_id)
    if contact_of is not None:
        return Actor(user_id, Role.CONTACT, contact_of.key)
    home = staff.is_home_member(user_team)
    if user_id and home and _narrowed_in(contracts, staff, user_id):
        return Actor.staff_member(user_id)
    if home:
        # One of our own outside the support team (staff narrowed to a group or a list):
        # not staff, and not of the customer's organisation either, wherever they write (a
        # shared channel's owner must not be able to count them as one of its people).
        return Actor(user_id, Role.CUSTOMER, None)
    owner = contracts.by_channel(channel_id) if channel_id else None
    return Actor(user_id, Role.CUSTOMER, owner.key if owner else None)


def _narrowed_in(contracts: Contracts, staff: StaffDirectory, user_id: str) -> bool:
    """With no narrowing configured every home member is staff; with a user group, a staff
    list or both, being in either is enough."""
    in_group = staff.in_usergroup(user_id)
    if in_group is None and not contracts.staff:
        return True
    return bool(in_group) or user_id in contracts.staff


def from_roster(slack_user: str) -> Actor:
    """A paged person answering by SMS or keypress: staff by being on the rotation roster
    (the caller has matched their phone number to a roster entry)."""
    return Actor.staff_member(slack_user)


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
    OUTAGE = "outage"  # mark a Sev1 as site down (downtime, reports/availability)
    # Waive a charge on the customer's plan, or an SLA credit (`waive credit|availability`).
    WAIVE = "waive"
    ALERT = "alert"  # an integration updates, resolves or re-opens the incident it opened
    CUSTOMER_UPDATE = "customer_update"  # a Sev1 status update posted to the customer
    RCA_APPROVE = "rca_approve"  # a root cause analysis approved for the customer
    LOG_TIME = "log_time"  # time, timers, appointments and estimates (the plans ledger)
    APPROVE = "approve"  # a designated contact approves an estimate or a held request


FOLLOW_REFUSED = (
    "Requests are followed by the support team and your organisation's designated contacts. "
    "Please ask one of them, or reply in the request's thread and we will follow up."
)

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
    Action.CUSTOMER_UPDATE: "post customer updates",
    Action.RCA_APPROVE: "approve a root cause analysis",
    Action.LOG_TIME: "log time on an incident",
    Action.OUTAGE: "mark an incident as an outage",
    Action.WAIVE: "waive a charge or an SLA credit",
}


def may_approve(actor: Actor, incident: Incident) -> None:
    """Approving an estimate or an extra charge: a designated contact of the incident's own
    organisation, nobody else (not even staff: the customer pays)."""
    if not actor.designated or actor.customer != incident.customer:
        raise IncidentError(
            f"Only a designated contact of the customer can approve charges on {incident.key}."
        )


def may_follow(actor: Actor) -> None:
    """Listing and following requests: staff, or a designated contact (their own only)."""
    if not actor.is_staff and not actor.designated:
        raise IncidentError(FOLLOW_REFUSED)


def authorise(actor: Actor, incident: Incident, action: Action) -> None:
    """Refuse with :class:`IncidentError` unless ``actor`` may do ``action`` to ``incident``.

    An integration may only act on the alerts of incidents it opened itself, and nobody else
    may act as one.
    """
    if (actor.role is Role.INTEGRATION) != (action is Action.ALERT) or (
        action is Action.ALERT and incident.reporter != actor.user_id
    ):
        raise IncidentError(f"{incident.key} does not exist")
    if action is Action.ALERT:
        return
    if not actor.is_staff and (actor.customer is None or incident.customer != actor.customer):
        # Same answer as for a missing incident: do not confirm another org's incident exists.
        raise IncidentError(f"{incident.key} does not exist")
    if action in STAFF_ONLY and not actor.is_staff:
        raise IncidentError(
            f"Only the support team can {STAFF_ONLY[action]}. "
            "Reply in this thread and the team will pick it up."
        )
    may_follow(actor)


NOT_DESIGNATED = (
    "Only this organisation's designated contacts can open requests. Please ask one of them, "
    "or reply here and we will follow up."
)
OWN_ORGANISATION = "You can open requests only for your own organisation, in its shared channel."


def form_customers(actor: Actor, customers: Sequence[Customer]) -> list[Customer]:
    """The customers the new-incident form names for ``actor``: all of them for staff, their
    own organisation for a designated contact. Nobody else is shown the form: the list of
    customers is not theirs to see."""
    if actor.is_staff:
        return list(customers)
    if not actor.designated:
        raise IncidentError(NOT_DESIGNATED)
    return [c for c in customers if c.key == actor.customer]


def named_customer(actor: Actor, contracts: Contracts, name: str) -> Customer:
    """The customer someone named (``customer:acme``). Staff are told which names exist; a
    customer-side user learns nothing about other organisations, not even that they exist."""
    shown = inert(name[:40])
    found = contracts.lookup(name)
    if actor.is_staff:
        if found is None:
            known = ", ".join(c.key for c in contracts.customers) or "none configured"
            raise IncidentError(f"Unknown customer `{shown}`. Known customers: {known}.")
        return found
    if found is None or found.key != actor.customer:
        raise IncidentError(f"No customer of yours is called `{shown}`.")
    return found


def may_open_for(actor: Actor, customer: Customer | None, channel_owner: Customer | None) -> None:
    """Who may open an incident for whom, in one place (commands, forms, offers, messages).

    Nobody opens one customer's incident in another customer's channel (its title would be
    posted there). Staff open for anyone, and are told which customers clash; a designated
    contact opens only for their own organisation and is told nothing about any other; nobody
    else on the customer side opens anything.
    """
    if not actor.is_staff:
        if not actor.designated:
            raise IncidentError(NOT_DESIGNATED, field="customer")
        if customer is None or customer.key != actor.customer:
            raise IncidentError(OWN_ORGANISATION, field="customer")
        if channel_owner is not None and channel_owner.key != customer.key:
            raise IncidentError(OWN_ORGANISATION, field="customer")
        return
    if channel_owner is not None and customer is not None and customer.key != channel_owner.key:
        raise IncidentError(
            f"This channel belongs to {channel_owner.name}; open {customer.name}'s incident in "
            "their channel or without a channel.",
            field="customer",
        )


def form_customer(actor: Actor, contracts: Contracts, key: str) -> Customer | None:
    """The customer a submitted form names (``internal`` for none). Staff hear that a key is
    unknown; anyone else hears only what :func:`may_open_for` says, so a forged form learns
    neither other customers' names nor which keys exist."""
    if not actor.is_staff and not actor.designated:
        raise IncidentError(NOT_DESIGNATED, field="customer")
    if key == "internal":
        return None
    found = contracts.by_key(key)
    if found is None and actor.is_staff:
        raise IncidentError(
            f"Unknown customer {inert(key[:40])!r}; pick one from the list", field="customer"
        )
    if found is None or (not actor.is_staff and found.key != actor.customer):
        raise IncidentError(OWN_ORGANISATION, field="customer")
    return found
