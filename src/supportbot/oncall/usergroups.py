"""Which Slack user groups follow the rota, and who belongs in each at an instant (pure).

* ``@oncall``: whoever holds each level's pager (the primary of L1, L2 and L3).
* ``@oncall-l1`` … ``@oncall-l3``: the level's primary and secondary now, whichever team
  covers it (region, fallback roster or override).
* ``@oncall-<region>-<level>`` (``@oncall-emea-l2``): the region's own holders of the level.
  While the region covers the level these are the people really holding it (overrides
  count); off shift, the roster's holders in force, so "EMEA's L2 this week" can always be
  mentioned.

Members are Slack user ids, sorted, so two computations compare equal when nothing moved.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from supportbot.oncall.model import Person
from supportbot.oncall.resolver import OnCall, Override, Resolver
from supportbot.oncall.stints import roster_slot
from supportbot.oncall.wallclock import zone

ALL_LEVELS = "oncall"


@dataclass(frozen=True)
class Group:
    handle: str
    name: str
    description: str
    members: tuple[str, ...]  # Slack user ids, sorted, no repeats


def slug(name: str) -> str:
    """``Asia-Pacific`` → ``asia-pacific``: a region name as a handle part."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _ids(people: Sequence[Person | None]) -> tuple[str, ...]:
    return tuple(sorted({person.slack for person in people if person is not None}))


def _held(answer: OnCall) -> tuple[str, ...]:
    return _ids([answer.primary, answer.secondary])


def desired_groups(found: Resolver, at: datetime, overrides: Sequence[Override]) -> list[Group]:
    """Every group the rota keeps, with its members at ``at``; the order is stable."""
    snapshot = found.snapshot(at, overrides)
    people = found.rotation.people
    groups = [
        Group(
            ALL_LEVELS,
            "On call",
            "Whoever holds each level's pager now (kept by supportbot)",
            _ids([answer.primary for answer in snapshot.values()]),
        )
    ]
    for level, answer in snapshot.items():
        groups.append(
            Group(
                f"oncall-{level.lower()}",
                f"On call {level}",
                f"{level} primary and secondary now (kept by supportbot)",
                _held(answer),
            )
        )
    for region in found.rotation.regions:
        for level, roster in region.rosters.items():
            answer = snapshot[level]
            if answer.covered_by == region.name:
                members = _held(answer)
            else:
                primary, secondary = roster.holders(roster_slot(roster, zone(region.time_zone), at))
                members = _ids([people[primary], people[secondary] if secondary else None])
            groups.append(
                Group(
                    f"oncall-{slug(region.name)}-{level.lower()}",
                    f"On call {region.name} {level}",
                    f"{region.name}'s {level} holders now (kept by supportbot)",
                    members,
                )
            )
    return groups
