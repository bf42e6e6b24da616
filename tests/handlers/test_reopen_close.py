"""``/incident reopen`` and ``/incident close``: the way back from a resolution, and the end.

Refusals elsewhere ("INC-1 is resolved; reopen it first") name the command; before it
existed only a re-firing alert could reopen an incident.
"""

from __future__ import annotations

import pytest

from supportbot.desk import actions
from supportbot.incidents.access import Actor
from supportbot.incidents.find import IncidentError
from tests.conftest import Desk
from tests.standins import block_text
from tests.support.records import ACME_ALICE, ACME_CHANNEL, answer, incident, posts, timeline
from tests.support.slack_requests import STAFF, TRIAGE

STAFF_ACTOR = Actor.staff_member(STAFF)


def say(desk: Desk, text: str, **kwargs: str) -> str:
    return answer(desk.slack.command(text, **kwargs))


def resolved_incident(desk: Desk, text: str = "sev3 exports fail", **kwargs: str) -> None:
    assert "Opened *INC-1*" in say(desk, text, **kwargs)
    actions.resolve(desk.rt, 1, STAFF_ACTOR, "restarted the exporter")


def test_staff_reopen_a_resolved_incident_and_its_clocks_run_again(desk: Desk) -> None:
    resolved_incident(desk)
    assert incident(desk.rt, 1).resolved_at is not None

    said = say(desk, "reopen INC-1 the exporter <!channel> failed again")

    assert said == "Reopened INC-1: its clocks run again."
    reopened = incident(desk.rt, 1)
    assert (reopened.status, reopened.resolved_at) == ("investigating", None)
    [event] = [e for e in timeline(desk.rt, 1) if e.text.startswith(f"<@{STAFF}> reopened")]
    assert event.kind == "status:investigating"
    assert "<!channel>" not in event.text and "failed again" in event.text  # inert
    desk.drain()
    card = desk.api.message(TRIAGE, posts(desk.api, TRIAGE)[0]["ts"])
    assert card is not None and "Investigating" in block_text(card["blocks"])


def test_staff_close_a_resolved_incident_and_closed_is_final(desk: Desk) -> None:
    resolved_incident(desk)

    assert say(desk, "close INC-1") == "Closed INC-1."
    assert incident(desk.rt, 1).status == "closed"
    assert say(desk, "reopen INC-1 it is back") == (
        ":warning: INC-1 is closed: only a resolved incident can be reopened "
        "(a closed one is final; open a new one)"
    )
    assert incident(desk.rt, 1).status == "closed"


def test_only_a_resolved_incident_is_reopened_or_closed(desk: Desk) -> None:
    assert "Opened *INC-1*" in say(desk, "sev3 exports fail")
    before = len(timeline(desk.rt, 1))

    assert say(desk, "reopen INC-1") == (
        ":warning: INC-1 is open: only a resolved incident can be reopened"
    )
    assert say(desk, "close INC-1") == ":warning: INC-1: cannot move from open to closed"
    assert (incident(desk.rt, 1).status, len(timeline(desk.rt, 1))) == ("open", before)


def test_a_customer_may_neither_reopen_nor_close(desk: Desk) -> None:
    resolved_incident(desk, "sev3 exports fail customer:acme")

    for word in ("reopen", "close"):
        said = say(desk, f"{word} INC-1", user=ACME_ALICE, channel=ACME_CHANNEL)
        assert said.startswith(f":warning: Only the support team can {word} an incident.")
    assert incident(desk.rt, 1).status == "resolved"


def test_malformed_reopen_and_close_say_how(desk: Desk) -> None:
    resolved_incident(desk)
    assert say(desk, "reopen") == (
        ":warning: `/incident reopen` needs an incident id and, if you like, why, e.g. "
        "`/incident reopen INC-42 the fix did not hold`"
    )
    assert say(desk, "close INC-1 because") == (
        ":warning: `/incident close` needs an incident id only, e.g. `/incident close INC-42`"
    )
    assert say(desk, "reopen INC-1x") == (
        ":warning: 'INC-1x' is not an incident id; use the form INC-1042"
    )
    assert incident(desk.rt, 1).status == "resolved"


def test_a_refusal_on_a_resolved_incident_names_the_command(desk: Desk) -> None:
    resolved_incident(desk)
    with pytest.raises(IncidentError) as refused:
        actions.escalate(desk.rt, 1, STAFF_ACTOR)  # a stale card's Escalate button
    assert str(refused.value) == "INC-1 is resolved; reopen it first (`/incident reopen INC-1`)"
