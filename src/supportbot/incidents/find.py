"""Finding an incident by the id people type, with the one error the desk answers with."""

from __future__ import annotations

from sqlalchemy.orm import Session

from supportbot.db.models import Incident
from supportbot.db.types import row_id


class IncidentError(ValueError):
    """A request the desk refuses; the message tells the user what to do instead.

    ``field`` names the input at fault (``title``, ``description``, ``severity``), so a form
    can show the message beside it.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def parse_key(text: str) -> int:
    """``INC-1042`` or ``1042``; anything else (``INC-²``, a 20-digit number) is refused."""
    number = row_id(text.strip().upper().removeprefix("INC-"))
    if number is None:
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise IncidentError(f"{shown!r} is not an incident id; use the form INC-1042")
    return number


def get_incident(session: Session, key: int | str) -> Incident:
    number = key if isinstance(key, int) else parse_key(key)
    incident = session.get(Incident, number)
    if incident is None:
        raise IncidentError(f"INC-{number} does not exist")
    return incident
