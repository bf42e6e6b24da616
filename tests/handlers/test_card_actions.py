"""The incident card's buttons, pressed as signed block actions, then the worker drains.

Every change updates the card in place and is noted in the card's thread; the customer's
thread gets only what is meant for the customer.
"""

from __future__ import annotations

import json

import pytest

from supportbot.slack import cards
from tests.conftest import Desk
from tests.standins import block_text
from tests.support.records import (
    ACME_ALICE,
    ACME_CHANNEL,
    ACME_TEAM,
    everything_sent_to,
    incident,
    posts,
    thread,
    timeline,
)
from tests.support.slack_requests import STAFF, TRIAGE

OTHER = "U0STAFF002"


def _open_for_acme(desk: Desk, text: str = "sev3 exports are slow") -> None:
    desk.slack.command(text, channel=ACME_CHANNEL)
    desk.drain()


def _press(desk: Desk, action_id: str, *, user: str = STAFF, **kwargs: object) -> None:
    response = desk.slack.block_action(action_id, user=user, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200
    desk.drain()


def _refusals(desk: Desk) -> list[str]:
    return [r["text"] for r in desk.api.responses()]


def _card_updates(desk: Desk) -> list[dict]:  # type: ignore[type-arg]
    return [m for m in desk.api.messages(channel=TRIAGE) if m["method"] == "chat.update"]


def _buttons(blocks: list[dict]) -> list[str]:  # type: ignore[type-arg]
    return [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


def test_acknowledge_updates_the_card_in_place_and_notes_it_in_both_threads(desk: Desk) -> None:
    _open_for_acme(desk)
    card_ts = incident(desk.rt, 1).card_ts
    assert cards.ACTION_ACK in _buttons(desk.api.message(TRIAGE, card_ts)["blocks"])

    _press(desk, cards.ACTION_ACK, value="1")

    acked = incident(desk.rt, 1)
    assert (acked.status, acked.assignee) == ("acknowledged", STAFF)
    [update] = _card_updates(desk)
    assert update["ts"] == card_ts
    current = desk.api.message(TRIAGE, card_ts)
    assert "Acknowledged" in block_text(current["blocks"])
    assert cards.ACTION_ACK not in _buttons(current["blocks"])
    assert thread(desk.api, TRIAGE, card_ts)[-1] == f"<@{STAFF}> acknowledged"
    assert thread(desk.api, ACME_CHANNEL, acked.customer_thread_ts) == [f"<@{STAFF}> acknowledged"]
    # The customer's card is updated in place too.
    customer_card = desk.api.message(ACME_CHANNEL, acked.customer_card_ts)
    assert "Acknowledged" in block_text(customer_card["blocks"])
    assert len(posts(desk.api, TRIAGE)) == 3  # the card and two thread notes, nothing else

    _press(desk, cards.ACTION_ACK, value="1", user=OTHER)
    assert _refusals(desk)[-1] == ":no_entry: INC-1 is already acknowledged"
    assert incident(desk.rt, 1).assignee == STAFF


def test_assign_to_me_is_noted_internally_only(desk: Desk) -> None:
    _open_for_acme(desk)

    _press(desk, cards.ACTION_ASSIGN_ME, value="1", user=OTHER)

    assigned = incident(desk.rt, 1)
    assert assigned.assignee == OTHER
    assert f"<@{OTHER}>" in block_text(desk.api.message(TRIAGE, assigned.card_ts)["blocks"])
    assert thread(desk.api, TRIAGE, assigned.card_ts)[-1] == f"<@{OTHER}> assigned <@{OTHER}>"
    assert thread(desk.api, ACME_CHANNEL, assigned.customer_thread_ts) == []

    _press(desk, cards.ACTION_ASSIGN_ME, value="1", user=OTHER)
    assert _refusals(desk)[-1] == f":no_entry: INC-1 is already assigned to <@{OTHER}>"


def test_the_severity_select_changes_severity_on_both_cards(desk: Desk) -> None:
    _open_for_acme(desk)

    _press(desk, cards.ACTION_SEVERITY, block_id="incident-1", selected="2")

    changed = incident(desk.rt, 1)
    assert changed.severity == 2
    said = f"<@{STAFF}> changed severity Sev3 Medium → Sev2 High"
    assert thread(desk.api, TRIAGE, changed.card_ts)[-1] == said
    assert thread(desk.api, ACME_CHANNEL, changed.customer_thread_ts) == [said]
    assert "Sev2 High" in block_text(desk.api.message(TRIAGE, changed.card_ts)["blocks"])
    customer_card = desk.api.message(ACME_CHANNEL, changed.customer_card_ts)
    assert "Sev2 High" in block_text(customer_card["blocks"])

    _press(desk, cards.ACTION_SEVERITY, block_id="incident-1", selected="2")
    assert _refusals(desk)[-1] == ":no_entry: INC-1 is already Sev2 High"


def test_confirming_the_triage_suggestion_takes_one_click(desk: Desk) -> None:
    _open_for_acme(desk, "sev3 our site is down since noon")
    opened = incident(desk.rt, 1)
    assert opened.suggested_severity == 1
    card = desk.api.message(TRIAGE, opened.card_ts)
    assert "Triage suggests *Sev1 Critical*" in block_text(card["blocks"])
    [suggestion] = [e for e in timeline(desk.rt, 1) if e.kind == "suggested"]
    assert suggestion.visibility == "internal"
    assert "site down or nobody can log in" in thread(desk.api, TRIAGE, opened.card_ts)[-1]
    assert "Triage" not in everything_sent_to(desk.api, ACME_CHANNEL)
    button = next(b["accessory"] for b in card["blocks"] if b.get("accessory", {}).get("value"))

    _press(desk, cards.ACTION_CONFIRM_SUGGESTION, value=button["value"])

    confirmed = incident(desk.rt, 1)
    assert (confirmed.severity, confirmed.suggested_severity) == (1, None)
    assert "Triage suggests" not in block_text(desk.api.message(TRIAGE, opened.card_ts)["blocks"])


def test_escalate_climbs_the_matrix_then_refuses_at_management(desk: Desk) -> None:
    _open_for_acme(desk)

    for level, name in (("L2", "L2"), ("L3", "L3"), ("MGMT", "management")):
        _press(desk, cards.ACTION_ESCALATE, value="1")
        escalated = incident(desk.rt, 1)
        assert escalated.level == level
        assert thread(desk.api, TRIAGE, escalated.card_ts)[-1] == (
            f"<@{STAFF}> escalated to {name}"
        )
    card = desk.api.message(TRIAGE, escalated.card_ts)
    assert cards.ACTION_ESCALATE not in _buttons(card["blocks"])

    _press(desk, cards.ACTION_ESCALATE, value="1")

    assert _refusals(desk)[-1] == (
        ":no_entry: INC-1: already at management, the top of the escalation matrix"
    )
    assert incident(desk.rt, 1).level == "MGMT"
    assert [e.kind for e in timeline(desk.rt, 1)].count("escalated") == 3
    # The level is the team's business: the customer's thread hears nothing of it.
    assert thread(desk.api, ACME_CHANNEL, escalated.customer_thread_ts) == []


def test_waiting_on_customer_then_resolve_through_the_modal(desk: Desk) -> None:
    _open_for_acme(desk)

    _press(desk, cards.ACTION_WAITING, value="1")
    waiting = incident(desk.rt, 1)
    assert waiting.status == "waiting_on_customer"
    assert cards.ACTION_WAITING not in _buttons(desk.api.message(TRIAGE, waiting.card_ts)["blocks"])

    _press(desk, cards.ACTION_RESOLVE, value="1")
    [opened] = desk.api.calls("views.open")
    view = opened.response["view"]
    assert (view["callback_id"], view["private_metadata"]) == ("incident_resolve", "1")
    assert incident(desk.rt, 1).status == "waiting_on_customer"  # the button alone changes nothing

    empty = desk.slack.view_submission("incident_resolve", {"summary": "   "}, private_metadata="1")
    assert empty.json() == {
        "response_action": "errors",
        "errors": {"summary": "a resolution needs a summary of what fixed it"},
    }
    assert incident(desk.rt, 1).status == "waiting_on_customer"

    done = desk.slack.view_submission(
        "incident_resolve", {"summary": "rebuilt the export index"}, private_metadata="1"
    )
    assert done.status_code == 200 and done.text == ""
    desk.drain()

    resolved = incident(desk.rt, 1)
    assert (resolved.status, resolved.resolution_summary) == (
        "resolved",
        "rebuilt the export index",
    )
    assert resolved.resolved_at is not None
    card = desk.api.message(TRIAGE, resolved.card_ts)
    assert _buttons(card["blocks"]) == [cards.ACTION_REOPEN]  # the way back, only
    assert "rebuilt the export index" in block_text(card["blocks"])
    assert thread(desk.api, ACME_CHANNEL, resolved.customer_thread_ts) == [
        f"<@{STAFF}> is waiting on the customer",
        f"<@{STAFF}> resolved: rebuilt the export index",
        "INC-1 is resolved. How did we do? Rate us from 1 to 5.",  # the CSAT question
    ]
    assert {u["ts"] for u in _card_updates(desk)} == {resolved.card_ts}


def test_the_customer_thread_never_sees_internal_text(desk: Desk) -> None:
    """A whole working session; then the customer side holds exactly the customer events."""
    _open_for_acme(desk, "sev3 exports are slow")
    secret_note = "suspect tenant 42 is abusing the API, do not mention"
    desk.slack.command(f"note INC-1 {secret_note}")
    _press(desk, cards.ACTION_ACK, value="1")
    _press(desk, cards.ACTION_ASSIGN_ME, value="1", user=OTHER)
    desk.slack.command("reply INC-1 we are looking at it")
    _press(desk, cards.ACTION_SEVERITY, block_id="incident-1", selected="2")
    _press(desk, cards.ACTION_ESCALATE, value="1")
    # Staff chatter in the triage channel and in the card's thread is not for the customer.
    card_ts = incident(desk.rt, 1).card_ts
    desk.slack.message("looks like the db again", user=OTHER, channel=TRIAGE, thread_ts=card_ts)
    desk.slack.message("anyone on INC-1?", user=OTHER, channel=TRIAGE)
    desk.drain()

    customer_thread = incident(desk.rt, 1).customer_thread_ts
    assert thread(desk.api, ACME_CHANNEL, customer_thread) == [
        f"<@{STAFF}> acknowledged",
        f"<@{STAFF}>: we are looking at it",
        f"<@{STAFF}> changed severity Sev3 Medium → Sev2 High",
    ]
    leaked = everything_sent_to(desk.api, ACME_CHANNEL)
    for internal in (
        secret_note,
        "(internal)",
        "assigned",
        "escalated",
        "L2",
        "looks like the db",
        "anyone on",
        OTHER,
        "Triage",
    ):
        assert internal not in leaked
    # The internal thread has everything, in order.
    internal_thread = thread(desk.api, TRIAGE, card_ts)
    assert any(secret_note in t for t in internal_thread)
    assert internal_thread[-1] == f"<@{STAFF}> escalated to L2"


@pytest.mark.parametrize("value", ["999", "abc"])
def test_a_button_for_an_incident_that_does_not_exist_is_refused(desk: Desk, value: str) -> None:
    _press(desk, cards.ACTION_ACK, value=value)

    [refusal] = _refusals(desk)
    assert "does not exist" in refusal or "is not an incident id" in refusal


def test_the_card_is_posted_once_however_often_it_syncs(desk: Desk) -> None:
    _open_for_acme(desk)
    from supportbot.slack.sync import sync_incident

    sync_incident(desk.rt, 1)
    sync_incident(desk.rt, 1)

    assert len([p for p in posts(desk.api, TRIAGE) if not p.get("thread_ts")]) == 1
    assert len([p for p in posts(desk.api, ACME_CHANNEL) if not p.get("thread_ts")]) == 1
    assert json.dumps(thread(desk.api, TRIAGE, incident(desk.rt, 1).card_ts)).count("opened") == 1


def _clocks(desk: Desk) -> list[tuple[str, int, object, str]]:
    from sqlalchemy import select

    from supportbot.db.models import SlaClock

    with desk.rt.session() as session:
        rows = session.scalars(select(SlaClock).where(SlaClock.incident_id == 1))
        return sorted((c.kind, c.target_seconds, c.due_at, c.state) for c in rows)


def _resolve(desk: Desk, summary: str = "rebuilt the export index") -> None:
    done = desk.slack.view_submission(
        "incident_resolve", {"summary": summary}, private_metadata="1"
    )
    assert done.status_code == 200 and done.text == ""
    desk.drain()


@pytest.mark.parametrize("closed", [False, True], ids=["resolved", "closed"])
def test_a_stale_card_cannot_re_rate_a_finished_incident(desk: Desk, closed: bool) -> None:
    """The Severity select, the triage suggestion and Assign to me on a card drawn before the
    resolution: the SLA clocks judged at resolution stay as judged (and so do the customer's
    credits), and a finished incident's owner stays who it was."""
    _open_for_acme(desk, "sev3 our site is down since noon")  # triage suggests Sev1
    assert incident(desk.rt, 1).suggested_severity == 1
    _press(desk, cards.ACTION_ACK, value="1")
    _resolve(desk)
    if closed:
        desk.slack.command("close INC-1")
        desk.drain()
    finished = incident(desk.rt, 1)
    clocks, events = _clocks(desk), len(timeline(desk.rt, 1))
    customer_said = thread(desk.api, ACME_CHANNEL, finished.customer_thread_ts)

    _press(desk, cards.ACTION_SEVERITY, block_id="incident-1", selected="1")
    _press(desk, cards.ACTION_CONFIRM_SUGGESTION, value="1:1")
    _press(desk, cards.ACTION_ASSIGN_ME, value="1", user="U0STAFF002")

    expected = (
        ":no_entry: INC-1 is resolved; reopen it first (`/incident reopen INC-1`)"
        if finished.status == "resolved"
        else ":no_entry: INC-1 is closed: a closed incident is final"
    )
    assert _refusals(desk)[-3:] == [expected, expected, expected]
    after = incident(desk.rt, 1)
    assert (after.severity, after.status) == (3, finished.status)
    assert after.assignee == finished.assignee
    assert _clocks(desk) == clocks and len(timeline(desk.rt, 1)) == events
    assert thread(desk.api, ACME_CHANNEL, after.customer_thread_ts) == customer_said


def test_a_reopened_incident_can_be_re_rated(desk: Desk) -> None:
    _open_for_acme(desk)
    _resolve(desk)
    desk.slack.command("reopen INC-1 it is back")
    desk.drain()

    _press(desk, cards.ACTION_SEVERITY, block_id="incident-1", selected="2")

    assert incident(desk.rt, 1).severity == 2
    assert thread(desk.api, TRIAGE, incident(desk.rt, 1).card_ts)[-1] == (
        f"<@{STAFF}> changed severity Sev3 Medium → Sev2 High"
    )


def test_a_resolved_card_offers_reopen_and_it_reopens(desk: Desk) -> None:
    _open_for_acme(desk)
    _resolve(desk)
    card_ts = incident(desk.rt, 1).card_ts
    resolved_card = desk.api.message(TRIAGE, card_ts)
    assert _buttons(resolved_card["blocks"]) == [cards.ACTION_REOPEN]
    [reopen] = [b for b in resolved_card["blocks"] if b["type"] == "actions"][0]["elements"]
    assert reopen["confirm"]["title"]["text"] == "Reopen?"  # asked first: clocks run again

    _press(desk, cards.ACTION_REOPEN, value="1")

    reopened = incident(desk.rt, 1)
    assert (reopened.status, reopened.resolved_at) == ("investigating", None)
    assert thread(desk.api, TRIAGE, card_ts)[-1] == f"<@{STAFF}> reopened INC-1"
    current = desk.api.message(TRIAGE, card_ts)
    assert cards.ACTION_RESOLVE in _buttons(current["blocks"])
    assert cards.ACTION_REOPEN not in _buttons(current["blocks"])
    # The same button pressed again, on a copy of the card drawn before: refused, unchanged.
    _press(desk, cards.ACTION_REOPEN, value="1")
    assert _refusals(desk)[-1] == (
        ":no_entry: INC-1 is investigating: only a resolved incident can be reopened"
    )
    assert incident(desk.rt, 1).status == "investigating"


def test_a_closed_card_offers_nothing_and_a_stale_reopen_is_refused(desk: Desk) -> None:
    _open_for_acme(desk)
    _resolve(desk)
    desk.slack.command("close INC-1")
    desk.drain()
    closed = incident(desk.rt, 1)
    assert _buttons(desk.api.message(TRIAGE, closed.card_ts)["blocks"]) == []

    _press(desk, cards.ACTION_REOPEN, value="1")

    assert _refusals(desk)[-1] == (
        ":no_entry: INC-1 is closed: only a resolved incident can be reopened "
        "(a closed one is final; open a new one)"
    )
    assert incident(desk.rt, 1).status == "closed"


def test_only_staff_reopen_from_a_card(desk: Desk) -> None:
    """A customer cannot press a triage card's button, but a forged press is refused too."""
    _open_for_acme(desk)
    _resolve(desk)
    events = len(timeline(desk.rt, 1))

    _press(desk, cards.ACTION_REOPEN, value="1", user=ACME_ALICE, user_team=ACME_TEAM,
           channel=ACME_CHANNEL)  # fmt: skip

    assert _refusals(desk)[-1].startswith(":no_entry: Only the support team can reopen an")
    assert incident(desk.rt, 1).status == "resolved" and len(timeline(desk.rt, 1)) == events
