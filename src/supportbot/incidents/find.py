"""Finding an incident by the id people type, with the one error the desk answers with."""

from __future__ import annotations

from sqlalchemy.orm import Session

from supportbot.db.models import Incident


class IncidentError(ValueError):
    """A request the desk refuses; the message tells the user what to do instead.

    ``field`` names the input at fault (``title``, ``description``, ``severity``), so a form
    can show the message beside it.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def parse_key(text: str) -> int:
    raw = text.strip().upper().removeprefix("INC-")
    if not raw.isdigit():
        raise IncidentError(f"{text!r} is not an incident id; use the form INC-1042")
    return int(raw)


def get_incident(session: Session, key: int | str) -> Incident:
    number = key if isinstance(key, int) else parse_key(key)
    incident = session.get(Incident, number)
    if incident is None:
        raise IncidentError(f"INC-{number} does not exist")
    return incident
