"""Who is acting: staff, a customer's designated contact, or someone else on a customer's side.

Customers see and act on only their own organisation's incidents, so every inbound request is
classified here before a handler calls a service.
"""

from __future__ import annotations

from dataclasses import dataclass

from supportbot.customers import Contracts
from supportbot.incidents.service import Actor


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
