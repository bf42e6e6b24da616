"""Acknowledgements and requests arriving by SMS reply or phone keypress.

One acknowledgement stops the page everywhere; a second one (the SMS came in while the call
was still ringing, then 1 was pressed) changes nothing and gets its own polite answer.
Texts from unknown numbers, and unrecognised texts, get a short answer, at most
``LOOP_LIMIT`` times until that number is paged again, so an auto-responder cannot start an
endless exchange.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot import metrics
from supportbot.db.models import Escalation, InboundNumber, Incident, Page
from supportbot.delivery.effects import owe_sync
from supportbot.desk import actions
from supportbot.desk.intake import claim_receipt
from supportbot.incidents.access import from_roster
from supportbot.incidents.find import IncidentError
from supportbot.oncall import Person, lookup
from supportbot.oncall.posts import add_post
from supportbot.paging.bundles import FINISHED
from supportbot.paging.codes import parse_reply
from supportbot.paging.engine import escalate_now
from supportbot.paging.voice import open_carried
from supportbot.runtime import Runtime

log = logging.getLogger(__name__)

LOOP_LIMIT = 5


@dataclass(frozen=True)
class Answer:
    text: str | None  # None: say nothing (loop protection)
    outcome: str


def person_by_phone(rt: Runtime, number: str) -> Person | None:
    found = lookup.resolver(rt)
    if found is None:
        return None
    wanted = number.replace(" ", "")
    people = found.rotation.people.values()
    return next((p for p in people if wanted in (p.phone, p.second_phone)), None)


def _loop_guarded(rt: Runtime, number: str, text: str, outcome: str) -> Answer:
    with rt.session() as session:
        row = session.get(InboundNumber, number)
        if row is None:
            row = InboundNumber(number=number, unrecognised_replies=0, updated_at=rt.now())
            session.add(row)
        row.unrecognised_replies += 1
        row.updated_at = rt.now()
        count = row.unrecognised_replies
    if count > LOOP_LIMIT:
        log.warning("not answering %s: %d unrecognised texts since its last page", number, count)
        return Answer(None, f"{outcome}_silenced")
    return Answer(text, outcome)


def _reset_loop(session: Session, number: str) -> None:
    row = session.get(InboundNumber, number)
    if row is not None:
        row.unrecognised_replies = 0


def _open_episodes(session: Session, person: Person) -> list[Escalation]:
    paged = select(Page.escalation_id).where(Page.person == person.key)
    return list(
        session.scalars(
            select(Escalation)
            .where(Escalation.state.in_(("active", "exhausted")), Escalation.id.in_(paged))
            .order_by(Escalation.id)
        )
    )


REPLAYED = "replayed"


def _first_delivery(rt: Runtime, delivery: str | None) -> bool:
    """False when the request that carries this reply was acted on before (``delivery``:
    its Twilio id, kept as an inbound receipt; None when it has none to compare)."""
    if delivery is None or claim_receipt(rt, delivery):
        return True
    log.warning("a Twilio request delivered again (%s) was not acted on twice", delivery)
    return False


def handle_sms(rt: Runtime, from_number: str, body: str, delivery: str | None = None) -> Answer:
    """What to text back; ``delivery`` (the message's id) makes a second delivery of the
    same message an answer without acting (REPLAYED, nothing texted back)."""
    person = person_by_phone(rt, from_number)
    if person is None and parse_reply(body).kind == "opt_out":
        return Answer(None, "opted_out")  # Twilio answers it, and would refuse an answer
    if person is None:
        return _loop_guarded(
            rt,
            from_number,
            "This number is not on the supportbot on-call roster. Nothing was changed.",
            "unknown_sender",
        )
    reply = parse_reply(body)
    if reply.kind in ("opt_out", "opt_in"):
        return _opted(rt, person, from_number, reply.kind == "opt_out", delivery)
    with rt.session() as session:
        if reply.kind == "code":
            escalation = session.scalar(select(Escalation).where(Escalation.ack_code == reply.code))
            if escalation is None:
                open_codes = ", ".join(e.ack_code for e in _open_episodes(session, person))
                hint = f" Open pages: {open_codes}." if open_codes else " You have no open pages."
                text, outcome = f"Unknown code {reply.code}.{hint}", "unknown_code"
            else:
                text, outcome = None, "ack"
        elif reply.kind == "bare_ack":
            open_ones = _open_episodes(session, person)
            if len(open_ones) == 1:
                escalation, text, outcome = open_ones[0], None, "ack"
            elif not open_ones:
                text, outcome = "You have no open pages. Nothing was changed.", "no_open_pages"
            else:
                codes = ", ".join(e.ack_code for e in open_ones)
                text = f"You have {len(open_ones)} open pages; reply with one code: {codes}."
                outcome = "ambiguous"
        else:
            text = "Reply with the code in the page (like 1042A) to acknowledge."
            outcome = "unrecognised"
        if outcome == "ack":
            assert escalation is not None
            escalation_id, incident_id = escalation.id, escalation.incident_id
    if outcome != "ack":
        return _loop_guarded(rt, from_number, text or "", outcome)
    if not _first_delivery(rt, delivery):
        return Answer(None, REPLAYED)  # answered the first time
    return Answer(acknowledge(rt, escalation_id, incident_id, person, via="SMS"), "ack")


def _opted(rt: Runtime, person: Person, number: str, out: bool, delivery: str | None) -> Answer:
    """STOP (or another opt-out word) from someone on the roster: from now on Twilio refuses
    every SMS page to ``number`` (error 21610), so the on-call channel hears it at once. Twilio
    answers the word itself; an answer of ours to a STOP would be refused."""
    pager_number = rt.settings.twilio_from_number or "the pager number"
    if out:
        text = (
            f":no_bell: {person.label} ({number}) texted STOP to {pager_number}: Twilio now "
            f"refuses every SMS page to that number (error 21610) until they text START to "
            f"{pager_number}. Calls still reach them."
        )
    else:
        text = (
            f":bell: {person.label} ({number}) texted START to {pager_number}: SMS pages "
            "reach them again."
        )
    (log.warning if out else log.info)("%s", text)
    with rt.session() as session:
        key = f"sms-{'stop' if out else 'start'}-{delivery or f'{number}-{rt.now().isoformat()}'}"
        add_post(session, key=key, channel=rt.settings.oncall_channel, text=text, now=rt.now())
    if out:
        return Answer(None, "opted_out")
    return Answer("SMS pages from supportbot reach you again.", "opted_in")


def acknowledge(rt: Runtime, escalation_id: int, incident_id: int, person: Person, via: str) -> str:
    """Acknowledge for ``person``; returns the confirmation to say or text back. What this
    reads first only words the answer: the acknowledgement itself is decided under the
    incident's lock, so one racing the acknowledgement's expiry is never lost."""
    with rt.session() as session:
        escalation = session.get_one(Escalation, escalation_id)
        incident = session.get_one(Incident, incident_id)
        _reset_loop(session, person.phone)
        if incident.status in FINISHED:
            # Resolving stops paging as if acknowledged "via resolution": say what it is.
            return f"{incident.key} is already {incident.status}. Nothing was changed."
        was_acknowledged = escalation.state == "acknowledged"
        # An exhausted episode still has pages going out: acknowledging it stops them.
        if not was_acknowledged and escalation.state not in ("active", "exhausted"):
            return f"{incident.key} is no longer paging ({escalation.state}). Thank you."
    try:
        said = actions.page_acknowledged(rt, incident_id, from_roster(person.slack), via=via)
    except IncidentError as exc:
        return f"{incident.key}: {exc}"
    if said == "acknowledged":
        metrics.ACKS.labels(via).inc()
        return f"Acknowledged {incident.key}. Paging has stopped. Thank you."
    # Held already (by this person, or by whoever won a race this answer read before):
    # worded from who holds it now, by name, as a phone shows it.
    holder, held_via = _holder(rt, escalation_id)
    mine = holder == person.slack
    already = f"{incident.key} was already acknowledged by {_who(rt, holder, mine)}"
    already += f" via {held_via}" if held_via else ""
    if said == "renewed":
        return f"{already}; {'your' if mine else 'the'} acknowledgement is renewed. Thank you."
    if was_acknowledged:
        return f"{already}. Thank you."
    metrics.ACKS.labels(via).inc()
    return f"Acknowledged {incident.key}. Paging has stopped. Thank you."


def _holder(rt: Runtime, escalation_id: int) -> tuple[str | None, str | None]:
    with rt.session() as session:
        escalation = session.get_one(Escalation, escalation_id)
        return escalation.acked_by, escalation.acked_via


def _who(rt: Runtime, slack_id: str | None, mine: bool) -> str:
    """The acknowledger as an SMS or a call can say it: a Slack id means nothing there."""
    if mine:
        return "you"
    found = lookup.resolver(rt)
    holder = lookup.person_by_slack(found, slack_id) if found and slack_id else None
    return holder.label if holder is not None else "a colleague"


def handle_keypress(
    rt: Runtime, page_id: int, digits: str, delivery: str | None = None
) -> tuple[str, str]:
    """(what to say, outcome) for a key pressed on a page call. The call read out the pages
    it carries that were still owed (``voice.page_prompt``); the key acts on those, once per
    ``delivery`` (the call and page)."""
    with rt.session() as session:
        page = session.get(Page, page_id)
        if page is None or page.escalation_id is None:
            return "This page is no longer open. Goodbye.", "unknown_page"
        person = person_by_phone(rt, page.to_number)
        # Nothing it carries still owed: the key answers for the call's own page (a polite
        # "already acknowledged by you via SMS", or "paging has already stopped").
        carried = [
            (p.escalation_id, p.incident_id, p.step_index)
            for p in open_carried(session, page) or [page]
            if p.escalation_id is not None
        ]
    if person is None:
        return "This number is no longer on the roster. Goodbye.", "unknown_sender"
    if digits in ("1", "2") and not _first_delivery(rt, delivery):
        return "That key was already received. Goodbye.", REPLAYED
    if digits == "1":
        said = [
            acknowledge(rt, esc, inc, person, via="phone")
            for esc, inc in dict.fromkeys((esc, inc) for esc, inc, _ in carried)
        ]
        return " ".join(said), "ack"

    if digits == "2":
        results = []
        with rt.session() as session:
            for incident_id, step in dict.fromkeys((inc, step) for _, inc, step in carried):
                incident = session.get_one(Incident, incident_id)
                results.append(escalate_now(rt, incident, session, seen_step=step, by=person.slack))
                owe_sync(session, incident_id)
        result = "escalating" if "escalating" in results else results[0]
        answers = {
            "escalating": "Escalating now to the next step. Thank you.",
            "already moved on": "It has already been escalated further. Thank you.",
            "not paging any more": "Paging has already stopped for this incident.",
            "no further step": (
                "There is no further step to escalate to, so nobody else is paged. "
                "The incident is still open and unacknowledged."
            ),
        }
        return answers[result], result
    return "Sorry, that key does nothing.", "bad_digit"
