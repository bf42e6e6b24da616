"""``/sla INC-n`` through the real web app: signed requests in, the ephemeral answer out."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from supportbot.contracts.customers import Contracts
from supportbot.slack import cards
from tests.conftest import Desk
from tests.support.records import (
    ACME_ALICE,
    ACME_CHANNEL,
    ACME_TEAM,
    GLOBEX_CHANNEL,
    GLOBEX_HANS,
    answer,
    dump,
    incident,
)
from tests.support.slack_requests import TRIAGE


def sla(desk: Desk, text: str, **kwargs: str) -> str:
    return answer(desk.slack.command(text, command="/sla", **kwargs))


@pytest.fixture
def acme_sev2(desk: Desk) -> Desk:
    """INC-1: Acme (Premier, 24x7), Sev 2: response 2 h, resolution 24 h on the wall clock."""
    desk.slack.command("sev2 payments API slow", channel=ACME_CHANNEL)
    desk.drain()
    return desk


def test_a_running_incident_explains_rule_calendar_and_both_clocks(acme_sev2: Desk) -> None:
    text = sla(acme_sev2, "INC-1")

    assert text.startswith("*INC-1* · Acme Corp · payments API slow")
    assert "Premier Sev 2 (High), 24x7 coverage" in text
    assert "Response due" in text and "2 h of elapsed time (24x7 wall clock)" in text
    assert "Resolution due" in text and "24 h of elapsed time (24x7 wall clock)" in text
    assert "Rule: default Premier Sev 2 (High) response; 24x7 coverage" in text
    assert "Reminders at 50%, 75%, 90% of each target." in text
    assert re.search(r"• Response: \*running\*, due .+, 1h59m left\.", text), text
    assert re.search(r"• Resolution: \*running\*, due .+, 2[34]h\d\dm left\.", text), text
    assert re.search(r"Times in [A-Za-z_/]+; now ", text), text


def test_lower_case_and_bare_numbers_are_accepted(acme_sev2: Desk) -> None:
    assert sla(acme_sev2, "  inc-1 ").startswith("*INC-1*")
    assert sla(acme_sev2, "1").startswith("*INC-1*")


def test_acknowledged_is_met_and_waiting_is_paused(acme_sev2: Desk) -> None:
    acme_sev2.slack.block_action(cards.ACTION_ACK, value="1")
    # Bolt runs each press after answering Slack: let the acknowledgement finish before the
    # second press, as a person's two clicks would (pressed at once they may run either way
    # round, and "waiting" first makes the acknowledgement a refusal).
    acme_sev2.settle()
    acme_sev2.slack.block_action(cards.ACTION_WAITING, value="1")
    acme_sev2.drain()

    text = sla(acme_sev2, "INC-1")

    assert re.search(r"• Response: \*met\* at .+ \(due .+\)\.", text), text
    assert "• Resolution: *paused* while waiting on the customer" in text


def test_a_breach_is_reported_with_its_due_and_recorded_times(acme_sev2: Desk) -> None:
    acme_sev2.travel(timedelta(hours=2, minutes=1))

    text = sla(acme_sev2, "INC-1")

    assert re.search(r"• Response: \*breached\* \(was due .+, breach recorded .+\)\.", text), text
    assert "• Resolution: *running*" in text


def test_a_business_hours_contract_names_its_calendar_and_override(desk: Desk) -> None:
    desk.slack.command("sev2 invoices missing", channel=GLOBEX_CHANNEL)
    desk.drain()

    text = sla(desk, "INC-1")

    assert "Standard Sev 2 (High), business-hours coverage" in text
    calendar = "business hours 08:00–18:00 Mon–Fri Europe/Berlin, holidays DE-BE"
    assert f"2 h of business time ({calendar})" in text
    assert "Rule: contract override for Sev 2 (High) response" in text
    assert "Rule: default Standard Sev 2 (High) resolution" in text
    assert "Reminders at 50%, 80% of each target." in text


def test_an_internal_incident_says_it_has_no_contract(desk: Desk) -> None:
    desk.slack.command("sev2 staging database full", channel=TRIAGE)
    desk.drain()

    text = sla(desk, "INC-1")

    assert "*INC-1* is an internal incident: it has no customer contract" in text
    assert "no SLA clocks run" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "Usage: `/sla INC-1042`"),
        ("   ", "Usage: `/sla INC-1042`"),
        ("help", "Usage: `/sla INC-1042`"),
        ("INC-abc", ":warning: 'INC-abc' is not an incident id; use the form INC-1042."),
        ("1042x", ":warning: '1042x' is not an incident id; use the form INC-1042."),
        ("INC-1 INC-2", ":warning: `/sla` takes one incident id, got `INC-1 INC-2`."),
        ("INC-99", "INC-99 does not exist."),
    ],
)
def test_malformed_or_unknown_input_gets_a_clear_answer(
    acme_sev2: Desk, text: str, expected: str
) -> None:
    before = dump(acme_sev2.rt)

    reply = sla(acme_sev2, text)

    assert reply.startswith(expected), reply
    if "Usage" not in expected:
        assert "Usage: `/sla INC-1042`" in reply or "does not exist" in reply
    assert dump(acme_sev2.rt) == before  # asking changes nothing


def test_a_customer_sees_own_incident_in_own_zone(acme_sev2: Desk) -> None:
    text = sla(acme_sev2, "INC-1", user=ACME_ALICE, channel=ACME_CHANNEL)

    assert text.startswith("*INC-1* · Acme Corp")
    assert "Times in America/New_York" in text
    # The UTC time carries its date when it falls on another day than the local one.
    assert re.search(r"\d\d:\d\d E[SD]T \((\d\d-\d\d )?\d\d:\d\d UTC\)", text), text


def test_another_organisation_asking_is_told_it_does_not_exist(acme_sev2: Desk) -> None:
    other = sla(acme_sev2, "INC-1", user=GLOBEX_HANS, channel=GLOBEX_CHANNEL)
    missing = sla(acme_sev2, "INC-2", user=GLOBEX_HANS, channel=GLOBEX_CHANNEL)

    assert other == "INC-1 does not exist."
    assert missing == "INC-2 does not exist."
    assert "Acme" not in other and "payments" not in other


def test_time_waiting_on_the_customer_moves_the_resolution_due(acme_sev2: Desk) -> None:
    desk = acme_sev2
    desk.slack.block_action(cards.ACTION_ACK, value="1")
    desk.drain()  # each press handled before the next (Bolt runs them on its executor)
    desk.slack.block_action(cards.ACTION_WAITING, value="1")
    desk.drain()
    desk.travel(timedelta(hours=3))
    thread = incident(desk.rt, 1).customer_thread_ts
    assert thread is not None
    desk.slack.message(
        "here is the log",
        user=ACME_ALICE,
        channel=ACME_CHANNEL,
        thread_ts=thread,
        user_team=ACME_TEAM,
    )
    desk.drain()

    text = sla(desk, "INC-1")

    line = next(x for x in text.splitlines() if x.startswith("• Resolution"))
    assert re.search(r"\*running\*, due .+, 2[34]h\d\dm left \(moved from .+ by time waiting", line)


def test_a_customer_no_longer_under_contract_is_named(acme_sev2: Desk) -> None:
    rt = acme_sev2.rt
    rt.contracts = Contracts(customers=tuple(c for c in rt.contracts.customers if c.key != "acme"))

    text = sla(acme_sev2, "INC-1")

    assert text.startswith("*INC-1* belongs to customer `acme`, which is no longer in the")
