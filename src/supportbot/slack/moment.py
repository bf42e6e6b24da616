"""The instant one card is drawn at, and what the rotation says then, looked up at most once.

A card's sections each showed times in the on-shift region's zone and the card listed who is
on call: each asked the database for the overrides in force and the rotation for L1 again
(three reads of the overrides a card). A section asks its :class:`Moment` instead; the zone
is only looked up when a section has a time to show.
"""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from supportbot.db.models import Incident
from supportbot.oncall import Override, lookup
from supportbot.runtime import Runtime


class Moment:
    def __init__(self, rt: Runtime, session: Session, incident: Incident) -> None:
        self.rt, self.session, self.incident = rt, session, incident
        self.now: datetime = rt.now()

    @cached_property
    def overrides(self) -> list[Override]:
        """The overrides in force now (none when the rotation files never loaded)."""
        found = lookup.resolver(self.rt)
        if found is None:
            return []
        return lookup.active_overrides(self.session, self.now, found.rotation.people)

    @cached_property
    def zone(self) -> ZoneInfo:
        """The zone the triage channel reads times in (:func:`lookup.display_zone`)."""
        return lookup.display_zone(self.rt, self.session, self.now, self.incident.customer,
                                   overrides=self.overrides)  # fmt: skip
