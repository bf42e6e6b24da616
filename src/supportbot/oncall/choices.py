"""Whom an incident can be escalated to right now: a higher level, or a person on call.

The card's *Escalate to…* control lists these (built when the card is drawn); the choice is
checked again when it is made, because the card may be older than the last handoff: someone
no longer on call is refused with the reason, never paged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from supportbot.db.models import Incident
from supportbot.oncall import lookup
from supportbot.oncall.model import LEVELS, Person
from supportbot.oncall.resolver import Override
from supportbot.runtime import Runtime

LEVEL_ORDER = ("L1", "L2", "L3", "MGMT")
LEVEL_LABEL = {"L1": "L1", "L2": "L2", "L3": "L3", "MGMT": "management"}


class ChoiceError(ValueError):
    """A choice that cannot be made now; the message says why."""


@dataclass(frozen=True)
class Choice:
    value: str  # "level:L3" or "person:<key>"
    label: str
    group: str  # "Levels" or "On call now"


@dataclass(frozen=True)
class Holding:
    """One person on call now, and the highest level they hold."""

    person: Person
    level: str
    roles: tuple[str, ...]  # "L1 primary (EMEA)", …


@dataclass(frozen=True)
class Chosen:
    label: str  # how the timeline names the choice
    level: str | None  # the level the incident moves to (None: it stays)
    people: tuple[Person, ...]
    reason: str  # why nobody, when nobody
    target: str = ""  # for a page held back: "level:L2" or "person:<key>:<level held>"
    holds: str = "L1"  # the level the chosen people hold


def holders_now(
    rt: Runtime,
    session: Session,
    incident: Incident,
    at: datetime,
    *,
    overrides: list[Override] | None = None,
) -> list[Holding]:
    """Everyone on call at ``at`` (L1–L3 primary and secondary, then management).
    ``overrides``: those in force at ``at``, when the caller already read them."""
    resolver = lookup.resolver(rt)
    if resolver is None:
        return []  # the rotation files never loaded
    customer = rt.contracts.by_key(incident.customer) if incident.customer else None
    # One read of the overrides for every level (each drawn card asks this).
    if overrides is None:
        overrides = lookup.active_overrides(session, at, resolver.rotation.people)
    found: dict[str, Holding] = {}
    for level in LEVELS:
        answer = resolver.on_call(
            at,
            level,
            overrides=overrides,
            prefer_languages=(customer.language,) if customer else (),
            prefer_specialisations=tuple(customer.specialisations) if customer else (),
        )
        where = f" ({answer.covered_by})" if answer.covered_by else ""
        for slot, person in (("primary", answer.primary), ("secondary", answer.secondary)):
            if person is not None:
                _hold(found, person, level, f"{level} {slot}{where}")
    for key in resolver.rotation.management:
        _hold(found, resolver.rotation.people[key], "MGMT", "management")
    return list(found.values())


def _hold(found: dict[str, Holding], person: Person, level: str, role: str) -> None:
    before = found.get(person.key)
    roles = (*before.roles, role) if before else (role,)
    top = max(level, before.level, key=LEVEL_ORDER.index) if before else level
    found[person.key] = Holding(person, top, roles)


def escalation_choices(holders: Sequence[Holding], current: str) -> list[Choice]:
    """The levels above ``current`` (the next one first), then each person on call now."""
    above = LEVEL_ORDER[LEVEL_ORDER.index(current) + 1 :]
    choices = [
        Choice(f"level:{level}", f"{'Next: ' if i == 0 else ''}{LEVEL_LABEL[level]}", "Levels")
        for i, level in enumerate(above)
    ]
    choices += [
        Choice(f"person:{h.person.key}", f"{h.person.label} · {', '.join(h.roles)}", "On call now")
        for h in holders
    ]
    return choices


def resolve_choice(
    rt: Runtime, session: Session, incident: Incident, value: str, at: datetime
) -> Chosen:
    """What a choice means now; raises :class:`ChoiceError` for one that cannot be made."""
    kind, _, name = value.partition(":")
    if kind == "level":
        if name not in LEVEL_ORDER:
            raise ChoiceError(f"`{name}` is not a level; choose L2, L3 or management")
        if LEVEL_ORDER.index(name) <= LEVEL_ORDER.index(incident.level):
            raise ChoiceError(
                f"it is already at {LEVEL_LABEL[incident.level]}; choose a higher level or a "
                "person on call"
            )
        reached = lookup.people_for(rt, session, name, at)
        return Chosen(
            LEVEL_LABEL[name], name, reached.people, reached.reason, f"level:{name}", name
        )
    if kind != "person" or not name:
        raise ChoiceError(f"`{value}` is not a level or a person to escalate to")
    holders = holders_now(rt, session, incident, at)
    holding = next((h for h in holders if h.person.key == name), None)
    if holding is None:
        found = lookup.resolver(rt)
        person = found.rotation.people.get(name) if found is not None else None
        if person is None:
            raise ChoiceError(f"`{name}` is not in the rotation files")
        on_call = ", ".join(
            f"{h.person.label} ({h.roles[0]})" for h in holders if h.level != "MGMT"
        )
        raise ChoiceError(
            f"{person.label} is not on call now, so they are not paged. On call now: "
            f"{on_call or 'nobody'}"
        )
    moves = LEVEL_ORDER.index(holding.level) > LEVEL_ORDER.index(incident.level)
    label = f"{holding.person.label} ({', '.join(holding.roles)})"
    target = f"person:{holding.person.key}:{holding.level}"
    level = holding.level if moves else None
    return Chosen(label, level, (holding.person,), "", target, holding.level)
