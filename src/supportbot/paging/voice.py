"""What a page call says."""

from __future__ import annotations

from sqlalchemy import select

from supportbot.db.models import Escalation, Incident, Page
from supportbot.runtime import Runtime


def spoken_key(key: str) -> str:
    """ "INC-1042" read as "incident 1 0 4 2", which text-to-speech says clearly."""
    return "incident " + " ".join(key.removeprefix("INC-"))


def page_prompt(rt: Runtime, page_id: int) -> tuple[str, bool]:
    """(words, whether the page is still open). A call may carry bundled pages."""
    with rt.session() as session:
        page = session.get(Page, page_id)
        if page is None:
            return "This page does not exist. Goodbye.", False
        ids = [
            page.incident_id,
            *session.scalars(select(Page.incident_id).where(Page.bundled_into == page.id)),
        ]
        incidents = [session.get_one(Incident, i) for i in dict.fromkeys(ids)]
        escalation = session.get(Escalation, page.escalation_id) if page.escalation_id else None
        if escalation is not None and escalation.state == "acknowledged":
            return (
                f"{spoken_key(incidents[0].key)} has already been acknowledged. Goodbye.",
                False,
            )
        about = ". ".join(f"Severity 1, {spoken_key(i.key)}: {i.title}" for i in incidents)
        return (
            f"This is supportbot. {about}. Press 1 to acknowledge. Press 2 to escalate now.",
            escalation is not None,
        )
