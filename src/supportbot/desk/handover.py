"""``/incident handover INC-n @person [note]``: assign, page a Severity 1, note the thread.

The person is named by a Slack mention, a Slack user id or a rotation key, and must be staff
the bot knows (on the rotation, in the contracts' staff list or the staff user group). A
handover to yourself, to someone unknown, to a customer's contact, or of a resolved or closed
incident is refused with the reason, and nothing changes.
"""

from __future__ import annotations

import re

from supportbot.db.models import Incident
from supportbot.desk.change import Change, run
from supportbot.desk.escalate_to import page_chosen
from supportbot.incidents.access import Action, Actor
from supportbot.incidents.find import IncidentError
from supportbot.oncall import lookup
from supportbot.runtime import Runtime
from supportbot.slack.notify import notify
from supportbot.wording import inert

_MENTION = re.compile(r"<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>")
_SLACK_ID = re.compile(r"[UW][A-Z0-9]{2,}")


def recipient(rt: Runtime, token: str, actor: str) -> str:
    """The Slack user id of the person a handover goes to; refuses anyone but known staff."""
    mention = _MENTION.fullmatch(token)
    raw = mention.group(1) if mention else token.removeprefix("@")
    found = lookup.resolver(rt)
    user = raw if _SLACK_ID.fullmatch(raw) else None
    if user is None and found is not None:
        person = found.rotation.people.get(raw.lower())
        user = person.slack if person is not None else None
    if user is None:
        raise IncidentError(
            f"I don't know `{inert(token)}`: name the person with an @mention, their Slack id "
            "or their key in the rotation files"
        )
    if user == actor:
        raise IncidentError("you cannot hand an incident over to yourself; name who takes it")
    contact_of = rt.contracts.by_contact(user)
    if contact_of is not None:
        raise IncidentError(
            f"<@{user}> is a contact of {contact_of.name}, on the customer's side: hand over "
            "to a member of staff"
        )
    on_rotation = found is not None and lookup.person_by_slack(found, user) is not None
    if not (on_rotation or user in rt.contracts.staff or user in rt.staff.group_members):
        raise IncidentError(
            f"I don't know <@{user}> as staff (not on the rotation, the staff list or the staff "
            "user group), so the incident was not handed over"
        )
    return user


def handover(rt: Runtime, key: int | str, actor: Actor, to: str, note: str = "") -> Incident:
    text = " ".join(note.split())

    def apply(change: Change) -> None:
        incident = change.incident
        if incident.status in ("resolved", "closed"):
            raise IncidentError(
                f"{incident.key} is {incident.status}: there is nothing to hand over"
            )
        user = recipient(rt, to, actor.user_id)
        if incident.assignee == user:
            raise IncidentError(f"{incident.key} is already assigned to <@{user}>")
        incident.assignee = user
        said = f": {inert(text, keep_mentions=True)}" if text else ""
        change.event(
            "handover", f":handshake: {change.who} handed {incident.key} over to <@{user}>{said}"
        )
        notify(
            change.session,
            rt,
            incident,
            user,
            "handover",
            f":handshake: {change.who} handed {incident.key} over to you{said}",
        )
        if incident.severity == 1:
            _page(change, user)

    return run(rt, key, actor, Action.ASSIGN, apply)


def _page(change: Change, user: str) -> None:
    found = lookup.resolver(change.rt)
    person = lookup.person_by_slack(found, user) if found is not None else None
    if person is None:
        reason = "not on the rotation, so no phone number"
        page_chosen(change, f"<@{user}>", (), reason, why="handover")
        return
    page_chosen(change, person.label, (person,), "", why="handover")
