"""Customers and their contracts, declared in ``contracts/customers.yaml``.

Validated on load with file:line errors; a fourth designated contact, an unknown tier or a
channel claimed by two customers is refused, and the previous good copy stays in force.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from supportbot.contracts.credit_terms import DEFAULT_TERMS, CreditTerms
from supportbot.contracts.followups import FollowupPolicy, TierFollowups
from supportbot.contracts.plans import Plan, check_plans
from supportbot.contracts.tiers import SlaOverrides
from supportbot.datafiles import LocatedError, load_model
from supportbot.hours.calendar import BusinessCalendar, BusinessHours
from supportbot.hours.days import check_zone

MAX_CONTACTS = 3
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
TIERS = ("premier", "standard", "basic")


def _user_id(value: str) -> str:
    if not _USER_ID.match(value):
        raise ValueError(f"{value!r} is not a Slack user id (like U012ABCDEF)")
    return value


def _channel_id(value: str) -> str:
    if not _CHANNEL_ID.match(value):
        raise ValueError(f"{value!r} is not a Slack channel id (like C012ABCDEF)")
    return value


UserId = Annotated[str, AfterValidator(_user_id)]
ChannelId = Annotated[str, AfterValidator(_channel_id)]


class Customer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    name: str = Field(min_length=1, max_length=120)
    tier: str
    coverage: Literal["24x7", "business-hours"] = "business-hours"
    timezone: str
    channels: tuple[ChannelId, ...] = Field(min_length=1)
    contacts: tuple[UserId, ...] = ()
    language: str = "en"
    specialisations: tuple[str, ...] = ()
    # Working days, hours and holidays in the customer's time zone; the zone is filled in
    # from ``timezone`` so it is written once.
    business_hours: BusinessHours
    sla: SlaOverrides = SlaOverrides()
    followups: FollowupPolicy | None = None  # overrides the tier's (contracts/followups.py)
    # What the customer bought (contracts/plans.py); none means an agreement, as before.
    plans: tuple[Plan, ...] = ()
    credits: CreditTerms = DEFAULT_TERMS  # fee, availability bands, credit lines, cap
    _calendar: BusinessCalendar | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _zone_into_hours(cls, data: Any) -> Any:
        if isinstance(data, dict):
            hours = data.get("business_hours") or {}
            if isinstance(hours, dict) and "timezone" not in hours and data.get("timezone"):
                data = {**data, "business_hours": {**hours, "timezone": data["timezone"]}}
        return data

    @model_validator(mode="after")
    def _plans(self) -> Customer:
        check_plans(self.plans)
        return self

    def calendar(self) -> BusinessCalendar:
        """One calendar per customer: it caches its daily windows and holidays, and every
        SLA recomputation of this customer's incidents reuses them."""
        if self._calendar is None:
            self._calendar = BusinessCalendar(self.business_hours)
        return self._calendar

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not _KEY.match(value):
            raise ValueError("key must be lower-case letters, digits and dashes, like `acme`")
        return value

    @field_validator("tier", mode="before")
    @classmethod
    def _tier(cls, value: object) -> str:
        text = str(value).strip().lower()
        if text not in TIERS:
            raise ValueError(f"unknown tier {value!r}; use one of Premier, Standard, Basic")
        return text

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_zone(value)

    @field_validator("contacts")
    @classmethod
    def _at_most_three(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(value) > MAX_CONTACTS:
            raise ValueError(
                f"{len(value)} designated contacts given; the contract allows at most "
                f"{MAX_CONTACTS}"
            )
        if len(set(value)) != len(value):
            raise ValueError("a designated contact is listed twice")
        return value


class Contracts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    customers: tuple[Customer, ...] = ()
    # Optional: narrows staff to these members of the app's own workspace (README, "Who is
    # staff"); empty means every member of the workspace.
    staff: tuple[UserId, ...] = ()
    followups: TierFollowups = TierFollowups()  # per tier: update cadence, RCA, forecast

    @model_validator(mode="after")
    def _unique(self) -> Contracts:
        keys: set[str] = set()
        channels: dict[str, str] = {}
        for index, customer in enumerate(self.customers):
            if customer.key in keys:
                raise LocatedError(
                    ("customers", index, "key"), f"customer key {customer.key!r} is declared twice"
                )
            keys.add(customer.key)
            for position, channel in enumerate(customer.channels):
                if channel in channels:
                    raise LocatedError(
                        ("customers", index, "channels", position),
                        f"channel {channel} belongs to both {channels[channel]!r} and "
                        f"{customer.key!r}",
                    )
                channels[channel] = customer.key
        for position, user in enumerate(self.staff):
            owner = self.by_contact(user)
            if owner is not None:
                raise LocatedError(
                    ("staff", position),
                    f"{user} is a designated contact of {owner.key!r} and cannot also be staff",
                )
        return self

    def by_key(self, key: str) -> Customer | None:
        return next((c for c in self.customers if c.key == key), None)

    def lookup(self, text: str) -> Customer | None:
        """Find a customer by key or by name, case-insensitively (what people type)."""
        wanted = text.strip().casefold()
        return next((c for c in self.customers if wanted in (c.key, c.name.casefold())), None)

    def by_channel(self, channel_id: str) -> Customer | None:
        return next((c for c in self.customers if channel_id in c.channels), None)

    def by_contact(self, user_id: str) -> Customer | None:
        return next((c for c in self.customers if user_id in c.contacts), None)


def load_contracts(path: Path) -> Contracts:
    # A running service keeps its last good copy of a refused file: an editor's truncated
    # save no longer drops every customer (and their SLAs) without a word.
    return load_model(path, Contracts, empty=EMPTY_CONTRACTS)


EMPTY_CONTRACTS = "the file is empty; write `customers: []` for a desk with no customers yet"
