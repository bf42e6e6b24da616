"""What a page call says."""

from __future__ import annotations

from sqlalchemy.orm import Session

from supportbot.db.models import Incident, Page
from supportbot.paging.bundles import riders, stopped
from supportbot.runtime import Runtime
from supportbot.wording import plain


def spoken_key(key: str) -> str:
    """ "INC-1042" read as "incident 1 0 4 2", which text-to-speech says clearly."""
    return "incident " + " ".join(key.removeprefix("INC-"))


def page_prompt(rt: Runtime, page_id: int) -> tuple[str, bool]:
    """(words, whether a page it carries is still open). A call may carry bundled pages: it
    reads out those still owed, whichever of them was acknowledged or resolved meanwhile (the
    page that placed the call among them), so a call never says "acknowledged" and hangs up
    while another incident it carries is still paging this person."""
    with rt.session() as session:
        page = session.get(Page, page_id)
        if page is None:
            return "This page does not exist. Goodbye.", False
        live = open_carried(session, page)
        if not live:
            incident = session.get_one(Incident, page.incident_id)
            why = stopped(session, page) or "acknowledged"
            return f"{spoken_key(incident.key)} has already been {why}. Goodbye.", False
        ids = dict.fromkeys(p.incident_id for p in live)
        incidents = [session.get_one(Incident, i) for i in ids]
        # Its own severity: a Sev2 paged by hand ("Escalate to...") is not called a Sev1.
        about = ". ".join(
            f"Severity {i.severity}, {spoken_key(i.key)}: {plain(i.title)}" for i in incidents
        )
        # A page chosen by hand belongs to no paging episode: no key acts on it (its SMS has
        # no code either), so its call offers none rather than hang up on a pressed 1.
        keys = any(p.escalation_id is not None for p in live)
        offer = (
            "Press 1 to acknowledge. Press 2 to escalate now."
            if keys
            else "Please see it in Slack. Goodbye."
        )
        return f"This is supportbot. {about}. {offer}", keys


def open_carried(session: Session, page: Page) -> list[Page]:
    """The pages a call or SMS carries (its own and its riders') that are still owed."""
    return [p for p in (page, *riders(session, page)) if stopped(session, p) is None]
