"""Who may do what: the same attempts made by five people, through real signed requests.

Staff open an Acme incident (INC-1, in Acme's shared channel) and a Globex one (INC-2), and
Acme's designated contact posts a message that gets the "Open a request" offer. Then each
attempt is made by each of five people, and the table says what each one gets. A refusal is
a polite answer only the person sees; it changes no stored row and writes nothing to Slack.
Nobody on the customer side ever sees another organisation's incident.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from supportbot.db.models import InboundReceipt
from supportbot.incidents.access import (
    FOLLOW_REFUSED,
    NOT_DESIGNATED,
    OWN_ORGANISATION,
    STAFF_ONLY,
    Action,
)
from supportbot.runtime import Runtime
from supportbot.slack import cards
from tests.conftest import Desk
from tests.standins import block_text
from tests.support.records import (
    ACME_ALICE,
    ACME_CHANNEL,
    ACME_TEAM,
    GLOBEX_CHANNEL,
    answer,
    dump,
    incident,
    incidents,
    posts,
    timeline,
)
from tests.support.slack_requests import STAFF, TEAM_ID, TRIAGE

ACME_TITLE = "Acme exports stall: a question from finance"  # triage suggests Sev4
GLOBEX_TITLE = "Globex payroll PDFs are blank"
OFFERED_TS = "1700000000.000100"


@dataclass(frozen=True)
class Person:
    name: str
    user: str
    team: str  # the user's own team id; "" sends none at all
    channel: str  # where they type commands and press buttons

    def __str__(self) -> str:
        return self.name


PEOPLE = (
    Person("staff", STAFF, TEAM_ID, TRIAGE),
    Person("contact", ACME_ALICE, ACME_TEAM, ACME_CHANNEL),
    Person("colleague", "U0ACMECAROL", ACME_TEAM, ACME_CHANNEL),  # Acme's, not designated
    Person("stranger", "U0STRANGER1", "T0ELSEWHERE", ACME_CHANNEL),  # a third team's, in Acme's
    Person("no_team", "U0NOTEAM01", "", TRIAGE),  # like staff, but no team id is sent
)


@dataclass
class Floor:
    desk: Desk
    offer: str  # the value of the "Open a request" button offered to Acme's contact


@pytest.fixture
def floor(desk: Desk) -> Floor:
    desk.slack.command(f"sev2 {ACME_TITLE}", channel=ACME_CHANNEL)
    desk.slack.command(f"sev3 {GLOBEX_TITLE}", channel=GLOBEX_CHANNEL)
    desk.slack.message(
        "Could you also look at the March invoices?",
        user=ACME_ALICE,
        user_team=ACME_TEAM,
        channel=ACME_CHANNEL,
        ts=OFFERED_TS,
    )
    desk.drain()
    assert [(i.key, i.customer, i.suggested_severity) for i in incidents(desk.rt)] == [
        ("INC-1", "acme", 4),
        ("INC-2", "globex", None),
    ]
    [offer] = [p for p in posts(desk.api, ACME_CHANNEL) if p.get("thread_ts") == OFFERED_TS]
    [button] = [e for b in offer["blocks"] if b["type"] == "actions" for e in b["elements"]]
    desk.api.clear()
    return Floor(desk, button["value"])


# -- the attempts: each returns what the person was answered, as (text, only they see it) ---
Said = list[tuple[str, bool]]


def _command(floor: Floor, p: Person, text: str, *, command: str = "/incident", **kw: Any) -> Said:
    kw.setdefault("channel", p.channel)
    response = floor.desk.slack.command(text, user=p.user, user_team=p.team, command=command, **kw)
    said = answer(response)
    floor.desk.drain()
    if not said:
        return []  # nothing said: a form was opened instead
    # Plain text, or JSON without a response_type, is shown to the caller only.
    is_json = response.headers["content-type"].startswith("application/json")
    shown = response.json().get("response_type", "ephemeral") if is_json else "ephemeral"
    return [(said, shown == "ephemeral")]


def _responses(floor: Floor) -> Said:
    floor.desk.drain()
    return [(r["text"], r.get("response_type") == "ephemeral") for r in floor.desk.api.responses()]


def _press(floor: Floor, p: Person, action_id: str, **kw: Any) -> Said:
    kw.setdefault("channel", p.channel)
    response = floor.desk.slack.block_action(action_id, user=p.user, user_team=p.team, **kw)
    assert response.status_code == 200 and response.text == ""
    return _responses(floor)


def _shortcut(floor: Floor, p: Person) -> Said:
    """The "Open incident" message shortcut, on the contact's message."""
    message = {"type": "message", "user": ACME_ALICE, "ts": OFFERED_TS, "text": "March invoices"}
    response = floor.desk.slack.message_shortcut(
        cards.SHORTCUT_OPEN, message=message, channel=p.channel, user=p.user, user_team=p.team
    )
    assert response.status_code == 200
    return _responses(floor)


def _submit(floor: Floor, p: Person, callback: str, values: dict[str, Any], meta: str) -> Said:
    response = floor.desk.slack.view_submission(
        callback, values, user=p.user, user_team=p.team, private_metadata=meta
    )
    assert response.status_code == 200
    floor.desk.drain()
    if not response.text:
        return []  # the modal closes
    assert response.json()["response_action"] == "errors"
    return [(text, True) for text in response.json()["errors"].values()]  # on the form


def _form(floor: Floor, p: Person, customer: str, meta: dict[str, str]) -> Said:
    values = {
        "title": "something",
        "customer": {"selected": customer},
        "severity": {"selected": "2"},
    }
    return _submit(floor, p, cards.CALLBACK_NEW, values, json.dumps(meta))


Attempt = Callable[[Floor, Person], Said]
ATTEMPTS: dict[str, Attempt] = {
    "list": lambda f, p: _command(f, p, "list"),
    "open in acme channel": lambda f, p: _command(f, p, "sev2 something", channel=ACME_CHANNEL),
    "open in triage": lambda f, p: _command(f, p, "sev2 something", channel=TRIAGE),
    "note": lambda f, p: _command(f, p, "note INC-1 x"),
    "reply": lambda f, p: _command(f, p, "reply INC-1 x"),
    "sla acme": lambda f, p: _command(f, p, "INC-1", command="/sla"),
    "sla globex": lambda f, p: _command(f, p, "INC-2", command="/sla"),
    "oncall": lambda f, p: _command(f, p, "", command="/oncall"),
    "acknowledge": lambda f, p: _press(f, p, cards.ACTION_ACK, value="1"),
    "assign to me": lambda f, p: _press(f, p, cards.ACTION_ASSIGN_ME, value="1"),
    "waiting": lambda f, p: _press(f, p, cards.ACTION_WAITING, value="1"),
    "severity": lambda f, p: _press(
        f, p, cards.ACTION_SEVERITY, block_id="incident-1", selected="3"
    ),
    "confirm suggestion": lambda f, p: _press(f, p, cards.ACTION_CONFIRM_SUGGESTION, value="1:4"),
    "escalate": lambda f, p: _press(f, p, cards.ACTION_ESCALATE, value="1:L1"),
    "resolve button": lambda f, p: _press(f, p, cards.ACTION_RESOLVE, value="1"),
    "resolve form": lambda f, p: _submit(f, p, cards.CALLBACK_RESOLVE, {"summary": "fixed"}, "1"),
    "new form acme": lambda f, p: _form(f, p, "acme", {"channel": p.channel}),
    "new form globex": lambda f, p: _form(f, p, "globex", {}),
    "form": lambda f, p: _command(f, p, ""),
    "message shortcut": _shortcut,
    "offer": lambda f, p: _press(
        f, p, cards.ACTION_OPEN_REQUEST, value=f.offer, channel=ACME_CHANNEL
    ),
}


# -- the outcomes ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Refused:
    text: str


Check = Callable[[Floor, Person, Said], None]  # a success: what was said, what changed
Outcome = Refused | Check


def said_is(expected: str) -> Check:
    def check(floor: Floor, p: Person, said: Said) -> None:
        assert said == [(expected, True)]

    return check


def opened(customer: str | None, answer_text: str | None = None, severity: int = 2) -> Check:
    """INC-3 was opened, reported by the person, for ``customer``."""

    def check(floor: Floor, p: Person, said: Said) -> None:
        new = incident(floor.desk.rt, 3)
        assert (new.customer, new.reporter, new.severity) == (customer, p.user, severity)
        assert [text for text, _ in said] == ([answer_text] if answer_text else [])

    return check


def changed(field: str, value: object, event: str) -> Check:
    def check(floor: Floor, p: Person, said: Said) -> None:
        assert said == []
        assert getattr(incident(floor.desk.rt, 1), field) == value
        # The bot's own follow-ups of a change (a resolution's RCA template) come after it.
        last = [e for e in timeline(floor.desk.rt, 1) if e.actor != "supportbot"][-1]
        assert (last.kind, last.actor) == (event, STAFF)

    return check


def added(kind: str, text: str) -> Check:
    def check(floor: Floor, p: Person, said: Said) -> None:
        assert said == [("Added to INC-1.", True)]
        last = timeline(floor.desk.rt, 1)[-1]
        assert (last.kind, last.actor, last.text) == (kind, p.user, text.format(user=p.user))

    return check


def explains(key: str, whose: str) -> Check:
    def check(floor: Floor, p: Person, said: Said) -> None:
        [(text, private)] = said
        assert private and text.startswith(f"*{key}* · {whose}") and "*Clocks now*" in text

    return check


def form_offers(*customers: str) -> Check:
    """The new-incident form was opened, naming exactly these customers."""

    def check(floor: Floor, p: Person, said: Said) -> None:
        assert said == []
        [shown] = floor.desk.api.calls("views.open")
        [choice] = [b for b in shown.response["view"]["blocks"] if b["block_id"] == "customer"]
        assert [o["value"] for o in choice["element"]["options"]] == list(customers)

    return check


def on_call_board(floor: Floor, p: Person, said: Said) -> None:
    [(text, private)] = said
    assert private and text.startswith("On call at")


def resolve_modal_opened(floor: Floor, p: Person, said: Said) -> None:
    assert said == []
    [shown] = floor.desk.api.calls("views.open")
    assert shown.response["view"]["private_metadata"] == "1"
    assert incident(floor.desk.rt, 1).status == "open"  # the button alone changes nothing


def no_entry(text: str) -> Refused:
    return Refused(f":no_entry: {text}")


def staff_only(action: Action, prefix: str = ":no_entry: ") -> Refused:
    return Refused(
        f"{prefix}Only the support team can {STAFF_ONLY[action]}. "
        "Reply in this thread and the team will pick it up."
    )


def button(check: Check, action: Action) -> tuple[Outcome, ...]:
    """A staff-only card button: customers are told so; someone of no organisation is
    answered as if INC-1 did not exist."""
    return (check,) + (staff_only(action),) * 3 + (no_entry("INC-1 does not exist"),)


EVERYONE = ("internal", "acme", "globex", "initech")
FOLLOW = Refused(f":warning: {FOLLOW_REFUSED}")
UNDESIGNATED = no_entry(NOT_DESIGNATED)
OPENED_FOR_ACME = "Opened *INC-3* for Acme Corp as Sev2 High: something"
OFFER_TAKEN = "Opened *INC-3*. The team will reply in this thread."
LISTED_ACME = f"• *INC-1* Sev2 High · open · {ACME_TITLE}"
LISTED_GLOBEX = f"• *INC-2* Sev3 Medium · open · {GLOBEX_TITLE}"
ACME_SLA = explains("INC-1", f"Acme Corp · {ACME_TITLE}")

# fmt: off
#   staff, contact (Acme), colleague (Acme), stranger (third team), no team id
EXPECTED: dict[str, tuple[Outcome, ...]] = {
    "list": (said_is(f"{LISTED_GLOBEX}\n{LISTED_ACME}"), said_is(LISTED_ACME)) + (FOLLOW,) * 3,
    "open in acme channel":
        (opened("acme", OPENED_FOR_ACME),) * 2 + (UNDESIGNATED,) * 3,
    "open in triage": (
        opened(None, "Opened *INC-3* as Sev2 High: something"), no_entry(OWN_ORGANISATION),
    ) + (UNDESIGNATED,) * 3,
    "note": (added("note", "<@{user}> (internal): x"),)
        + (no_entry("Internal notes are for the support team."),) * 4,
    "reply": (
        added("staff_reply", "<@{user}>: x"), added("customer_reply", "<@{user}>: x"),
        FOLLOW, FOLLOW, Refused(":warning: INC-1 does not exist"),
    ),
    "sla acme": (ACME_SLA, ACME_SLA, Refused(FOLLOW_REFUSED), Refused(FOLLOW_REFUSED),
                 Refused("INC-1 does not exist.")),
    "sla globex": (explains("INC-2", f"Globex GmbH · {GLOBEX_TITLE}"),)
        + (Refused("INC-2 does not exist."),) * 4,
    "oncall": (on_call_board,) + (no_entry("`/oncall` is for the support team."),) * 4,
    "acknowledge": button(
        changed("status", "acknowledged", "status:acknowledged"), Action.ACKNOWLEDGE),
    "assign to me": button(changed("assignee", STAFF, "assigned"), Action.ASSIGN),
    "waiting": button(
        changed("status", "waiting_on_customer", "status:waiting_on_customer"), Action.WAIT),
    "severity": button(changed("severity", 3, "severity"), Action.SEVERITY),
    "confirm suggestion": button(changed("severity", 4, "severity"), Action.SEVERITY),
    "escalate": button(changed("level", "L2", "escalated"), Action.ESCALATE),
    "resolve button": button(resolve_modal_opened, Action.RESOLVE),
    # A form carries no channel: nobody but a contact has an organisation there.
    "resolve form": (changed("status", "resolved", "status:resolved"),
                     staff_only(Action.RESOLVE, prefix=""))
        + (Refused("INC-1 does not exist"),) * 3,
    "new form acme": (opened("acme"), opened("acme")) + (Refused(NOT_DESIGNATED),) * 3,
    "new form globex":
        (opened("globex"), Refused(OWN_ORGANISATION)) + (Refused(NOT_DESIGNATED),) * 3,
    "form": (form_offers(*EVERYONE), form_offers("acme")) + (UNDESIGNATED,) * 3,
    "message shortcut": (form_offers(*EVERYONE), form_offers("acme")) + (UNDESIGNATED,) * 3,
    "offer": (opened("acme", OFFER_TAKEN, 3),) * 2 + (Refused(f":warning: {NOT_DESIGNATED}"),) * 3,
}
# fmt: on


def _writes(desk: Desk) -> list[str]:
    """Slack Web API calls that change something (Bolt's auth.test and the answers through
    response URLs, which only the person sees, left out)."""
    return [c.method for c in desk.api.calls() if c.method not in ("auth.test", "response_url")]


def _receipts_of_incidents(rt: Runtime) -> list[str]:
    with rt.session() as session:
        found = select(InboundReceipt.key).where(InboundReceipt.incident_id.is_not(None))
        return sorted(session.scalars(found))


def _seen_by(desk: Desk, p: Person, said: Said) -> str:
    """All the person could see: the answers, forms opened, their DMs, the shared channel."""
    texts = [text for text, _ in said]
    for call in desk.api.calls():
        if call.method == "views.open" or call.params.get("channel") in (p.user, ACME_CHANNEL):
            texts += [block_text(call.params.get(k) or "") for k in ("text", "blocks", "view")]
    return "\n".join(texts)


@pytest.mark.parametrize(
    ("attempt", "person"),
    [pytest.param(a, p, id=f"{a}-{p}") for a in ATTEMPTS for p in PEOPLE],
)
def test_each_person_gets_what_the_table_says(floor: Floor, attempt: str, person: Person) -> None:
    # Delivery receipts aside: a refusal may keep one so a replay is not answered twice.
    before, linked = dump(floor.desk.rt, receipts=False), _receipts_of_incidents(floor.desk.rt)

    said = ATTEMPTS[attempt](floor, person)

    outcome = EXPECTED[attempt][PEOPLE.index(person)]
    if isinstance(outcome, Refused):
        assert said == [(outcome.text, True)]
        assert dump(floor.desk.rt, receipts=False) == before
        assert _receipts_of_incidents(floor.desk.rt) == linked
        assert _writes(floor.desk) == []
    else:
        outcome(floor, person, said)
    seen = _seen_by(floor.desk, person, said)
    if person.name != "staff":  # Globex's incident is nobody else's business
        assert GLOBEX_TITLE not in seen and "Globex" not in seen
        assert "INC-2" not in seen.replace("INC-2 does not exist", "")
    if person.name not in ("staff", "contact"):  # nor Acme's, but to Acme's own contact
        assert ACME_TITLE not in seen
        assert "INC-1" not in seen.replace("INC-1 does not exist", "")


def test_the_table_covers_every_attempt_for_all_five() -> None:
    assert set(EXPECTED) == set(ATTEMPTS)
    assert {len(outcomes) for outcomes in EXPECTED.values()} == {len(PEOPLE)}
