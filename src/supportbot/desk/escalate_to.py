"""Escalate to a chosen level or person (issue 13): recorded, then paged at once.

The card's *Escalate to…* control offers the next level, any higher level and everyone on
call now (:mod:`supportbot.oncall.choices`). The choice and who made it go into the timeline;
the chosen people are paged at once by the paging engine, with the active episode's
acknowledge code when there is one. A person who is no longer on call is refused with the
reason, and nothing changes.
"""

from __future__ import annotations

from supportbot.attention.deferred import page_or_hold
from supportbot.db.models import Incident
from supportbot.desk.change import Change, refuse_if_finished, run
from supportbot.incidents.access import Action, Actor
from supportbot.incidents.find import IncidentError
from supportbot.incidents.lifecycle import LEVEL_NAMES
from supportbot.oncall import Person
from supportbot.oncall.choices import ChoiceError, resolve_choice
from supportbot.paging import episodes
from supportbot.paging.engine import create_pages
from supportbot.runtime import Runtime
from supportbot.slack.notify import warn_triage

CHOSEN_STEP = -1  # Page.step_index of a page made by hand, as the manual escalation's


def escalate_to(
    rt: Runtime, key: int | str, actor: Actor, choice: str, *, seen_level: str | None = None
) -> Incident:
    """``choice``: ``level:L3`` or ``person:<key>``; ``seen_level``: the level on the card."""

    def apply(change: Change) -> None:
        incident, now = change.incident, rt.now()
        refuse_if_finished(incident)
        if seen_level is not None and seen_level != incident.level:
            raise IncidentError(
                f"{incident.key} has already moved on to {LEVEL_NAMES[incident.level]}; "
                "choose again from the updated card"
            )
        try:
            chosen = resolve_choice(rt, change.session, incident, choice, now)
        except ChoiceError as exc:
            raise IncidentError(f"{incident.key}: not escalated: {exc}") from exc
        before = incident.level
        if chosen.level is not None:
            incident.level = chosen.level
        moved = f", from {LEVEL_NAMES[before]}" if chosen.level is not None else ""
        change.event("escalated", f"{change.who} escalated to {chosen.label} (chosen{moved})")
        if incident.severity == 1 or not chosen.people:
            page_chosen(change, chosen.label, chosen.people, chosen.reason)
        else:  # quiet hours and the contract's clock decide when, and whom
            by = change.actor.user_id
            page_or_hold(
                change.session, rt, incident, chosen.target, chosen.people, chosen.holds, by
            )

    return run(rt, key, actor, Action.ESCALATE, apply)


def page_chosen(
    change: Change,
    label: str,
    people: tuple[Person, ...],
    reason: str,
    why: str = "chosen escalation",
) -> None:
    """Page the chosen people now, or say in Slack that nobody could be reached."""
    session, rt, incident = change.session, change.rt, change.incident
    if not people:
        text = f":warning: {incident.key}: {why} to {label} paged nobody ({reason})."
        warn_triage(session, rt, incident, "paging", text)
        return
    episode = episodes.current(session, incident.id)
    active = episode if episode is not None and episode.state == "active" else None
    names = ", ".join(p.label for p in people)
    dry = " (dry run)" if rt.pager.dry_run else ""
    change.event("paged", f":pager: Paging {names} by SMS and call{dry} ({why}).")
    create_pages(session, rt, incident, people, escalation=active, step=CHOSEN_STEP, now=rt.now())
