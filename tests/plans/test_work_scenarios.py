"""Scenarios as scripts: signed ``/incident`` commands and buttons come in, time moves, the
ledger, the card and the Slack posts show what was used and what is left."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from supportbot.db.ledger import LedgerEntry, TaskEstimate, WorkTimer
from supportbot.desk import actions
from supportbot.incidents.access import Actor
from supportbot.slack.cards import ACTION_OPEN_REQUEST, CALLBACK_NEW, offer_value
from supportbot.slack.plan_blocks import (
    ACTION_ESTIMATE_APPROVE,
    ACTION_ESTIMATE_DECLINE,
    ACTION_LOG_TIME,
    ACTION_NOTIFY_MANAGER,
    CALLBACK_LOG_TIME,
)
from supportbot.slack.plan_posts import post_estimate
from tests.conftest import Desk
from tests.plans.conftest import (
    HOOLI_CHANNEL,
    HOOLI_GAVIN,
    INITECH_CHANNEL,
    INITECH_PETER,
    SOYLENT_CHANNEL,
    SOYLENT_SOL,
    UMBRELLA_CHANNEL,
    UMBRELLA_JO,
    WONKA_CHANNEL,
    WONKA_WILLY,
)
from tests.standins import block_text
from tests.support.records import (
    ACME_ALICE,
    ACME_BOB,
    ACME_CHANNEL,
    GLOBEX_CHANNEL,
    GLOBEX_HANS,
    answer,
    dump,
    ephemerals,
    everything_sent_to,
    posts,
    timeline,
)
from tests.support.slack_requests import STAFF, TRIAGE

OTHER_STAFF = "U0STAFF002"


def ledger_rows(desk: Desk) -> list[tuple[str, str, int, int, Decimal | None]]:
    with desk.rt.session() as session:
        rows = session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))
        return [(e.kind, e.person, e.quantity, e.minutes, e.amount) for e in rows]


def say(desk: Desk, text: str, **kwargs: str) -> str:
    return answer(desk.slack.command(text, **kwargs))


def test_an_appointment_of_2h40_costs_six_incidents_of_the_pack(desk: Desk) -> None:
    said = say(desk, "sev3 on-site visit needed", channel=INITECH_CHANNEL, user=INITECH_PETER)
    assert said.endswith("\nPack: 9 of 10 left")

    said = say(desk, "appointment INC-1 2h40m replaced the switch")
    assert said == "Appointment of 2 h 40 min on INC-1: 6 incidents\nPack: 3 of 10 left"
    assert ledger_rows(desk) == [
        ("charge", INITECH_PETER, 1, 0, None),
        ("appointment", STAFF, 6, 160, None),
    ]
    desk.drain()
    card = posts(desk.api, TRIAGE)[0]
    assert "Pack: 3 of 10 left" in block_text(card.get("blocks") or [])
    [customer_card] = [p for p in posts(desk.api, INITECH_CHANNEL) if "INC-1" in p["text"]]
    shown = block_text(customer_card["blocks"])
    assert "Pack: 3 of 10 left" in shown and "Log time" not in shown and STAFF not in shown
    # /sla shows the same balance, to the customer's contact too.
    sla = say(desk, "INC-1", command="/sla", channel=INITECH_CHANNEL, user=INITECH_PETER)
    assert "\n• Pack: 3 of 10 left\n" in sla
    # 7 of 10 used is under 80 %: nobody is told yet.
    assert "used" not in everything_sent_to(desk.api, TRIAGE).replace("Pack", "")


def test_a_per_minute_call_with_two_agents_counts_agent_minutes(desk: Desk) -> None:
    # The customer has no deposit: nothing opens, they are told why and can ask for one.
    response = desk.slack.command("sev3 how do I export?", channel=UMBRELLA_CHANNEL,
                                  user=UMBRELLA_JO)  # fmt: skip
    said = answer(response)
    assert "billed per minute and needs a prepaid deposit" in said and "no request" in said
    assert "Notify my account manager" in block_text(response.json()["blocks"])
    assert ledger_rows(desk) == []
    desk.slack.block_action(ACTION_NOTIFY_MANAGER, value="umbrella", user=UMBRELLA_JO,
                            channel=UMBRELLA_CHANNEL)  # fmt: skip
    desk.drain()
    assert "Your account manager has been notified" in ephemerals(desk.api)[-1]
    assert f"<@{UMBRELLA_JO}> of Umbrella asks for a deposit" in everything_sent_to(
        desk.api, TRIAGE
    )

    # Staff can still open it, and two agents work the call.
    assert "Opened *INC-1* for Umbrella" in say(desk, "sev3 export question customer:umbrella")
    assert say(desk, "time INC-1 25m walked through the export").startswith(
        "Logged 25 min on INC-1: walked through the export\nPer minute: 25 agent-minutes"
    )
    said = say(desk, "time INC-1 18m", user=OTHER_STAFF)
    assert said.endswith("Per minute: 43 agent-minutes this month (107.50 USD); no deposit")
    assert ledger_rows(desk) == [
        ("time", STAFF, 25, 25, Decimal("62.50")),
        ("time", OTHER_STAFF, 18, 18, Decimal("45.00")),
    ]


def test_a_timer_per_person_logs_its_started_minutes(desk: Desk) -> None:
    say(desk, "sev3 slow reports", channel=GLOBEX_CHANNEL, user=GLOBEX_HANS)
    say(desk, "sev3 slow exports", channel=GLOBEX_CHANNEL, user=GLOBEX_HANS)
    assert say(desk, "timer start INC-1") == "Timer started."
    said = say(desk, "timer start INC-2")
    assert "You already have a timer running on INC-1" in said
    assert say(desk, "timer stop INC-2") == ":warning: Your timer runs on INC-1, not INC-2"

    desk.rt.clock.advance(timedelta(minutes=31, seconds=1))  # type: ignore[attr-defined]
    said = say(desk, "timer stop INC-1")
    # 31 min 1 s is 32 started minutes; past the 30 min span a second charge opens.
    assert said.startswith("Logged 32 min on INC-1: timer\n1 more charge(s): work beyond 30 min")
    assert said.endswith("Per incident: 3 charged this month (450.00 EUR)")
    with desk.rt.session() as session:
        assert session.scalars(select(WorkTimer)).all() == []
    assert say(desk, "timer stop INC-1") == ":warning: You have no timer running"


def test_a_timer_left_running_over_12_hours_stops_and_logs_nothing(desk: Desk) -> None:
    """A timer forgotten overnight logged all of it (up to any length) as work done."""
    say(desk, "sev3 a question", channel=HOOLI_CHANNEL, user=HOOLI_GAVIN)
    assert say(desk, "timer start INC-1") == "Timer started."
    desk.rt.clock.advance(timedelta(hours=30))  # type: ignore[attr-defined]
    said = say(desk, "timer stop INC-1")
    assert re.fullmatch(
        r"Timer stopped after 30 h( 1 min)?; nothing was logged: a timer left running more "
        r"than 12 h was most likely forgotten\. Log the time you really worked with "
        r"`/incident time INC-1 2h30m`\.",
        said,
    ), said
    assert ledger_rows(desk) == []
    with desk.rt.session() as session:
        assert session.scalars(select(WorkTimer)).all() == []
    assert any(e.kind == "timer" and "left running" in e.text for e in timeline(desk.rt, 1))
    # Under 12 h it is the work done, logged as ever.
    assert say(desk, "timer start INC-1") == "Timer started."
    desk.rt.clock.advance(timedelta(hours=11, minutes=58))  # type: ignore[attr-defined]
    assert re.fullmatch(r"Logged 11 h 5[89] min on INC-1: timer", say(desk, "timer stop INC-1"))
    assert [row[3] for row in ledger_rows(desk)] in ([718], [719])


def test_a_prepaid_hours_task_is_estimated_approved_logged_and_summarised(desk: Desk) -> None:
    say(desk, "sev4 upgrade the search cluster", channel=ACME_CHANNEL, user=ACME_ALICE)
    said = say(desk, "estimate INC-1 6h upgrade and reindex")
    assert said == "Estimate of 6 h sent for approval. Hours: 10 h of 10 h left"
    assert "waiting for a designated contact's approval" in say(desk, "time INC-1 1h")
    desk.drain()
    for contact in (ACME_ALICE, ACME_BOB):
        [dm] = posts(desk.api, contact)
        assert "Estimate for INC-1 (upgrade the search cluster): 6 h of prepaid hours" in dm["text"]
        assert "Approve" in block_text(dm["blocks"]) and "Decline" in block_text(dm["blocks"])

    # Staff cannot approve the customer's money; a designated contact can, once.
    before = dump(desk.rt)
    desk.slack.block_action(ACTION_ESTIMATE_APPROVE, value="1", user=STAFF)
    desk.settle()
    assert "Only a designated contact of the customer can approve" in ephemerals(desk.api)[-1]
    assert dump(desk.rt) == before
    # Another organisation's contact learns nothing, not even that INC-1 exists.
    desk.slack.block_action(ACTION_ESTIMATE_APPROVE, value="1", user=GLOBEX_HANS,
                            channel=GLOBEX_CHANNEL)  # fmt: skip
    desk.settle()
    assert ephemerals(desk.api)[-1] == ":no_entry: That estimate does not exist"
    assert dump(desk.rt) == before
    desk.slack.block_action(ACTION_ESTIMATE_APPROVE, value="1", user=ACME_ALICE,
                            channel=ACME_ALICE)  # fmt: skip
    desk.settle()
    assert ephemerals(desk.api)[-1] == "You approved the estimate of 6 h on INC-1."
    desk.slack.block_action(ACTION_ESTIMATE_APPROVE, value="1", user=ACME_BOB, channel=ACME_BOB)
    desk.settle()
    assert "That estimate was already approved" in ephemerals(desk.api)[-1]

    said = say(desk, "time INC-1 50m reindexed")
    assert said == "Logged 50 min on INC-1: reindexed (billed 1 h)\nHours: 9 h of 10 h left"
    with desk.rt.session() as session:
        [task] = session.scalars(select(TaskEstimate)).all()
        assert (task.state, task.decided_by, task.minutes) == ("approved", ACME_ALICE, 360)
        [entry] = session.scalars(select(LedgerEntry)).all()
        assert (entry.plan, entry.task_id, entry.quantity, entry.minutes) == (
            "prepaid_hours",
            task.id,
            60,
            50,
        )
    kinds = [e.kind for e in timeline(desk.rt, 1)]
    assert kinds.count("estimate") == 1 and "estimate_approved" in kinds and "time" in kinds
    desk.drain()
    card = desk.api.message(TRIAGE, posts(desk.api, TRIAGE)[0]["ts"])
    shown = block_text(card["blocks"])
    assert f"Estimate 6 h: approved by <@{ACME_ALICE}>; 1 h used" in shown
    assert "Hours: 9 h of 10 h left" in shown


def test_time_on_an_incident_without_an_estimate_goes_under_the_agreement(desk: Desk) -> None:
    """Acme holds an agreement and prepaid hours: only a task's approved estimate spends the
    hours; every other incident's time is recorded under the agreement, no estimate asked
    (it demanded one for every log, since time went against the hours first)."""
    say(desk, "sev3 the login page is slow", channel=ACME_CHANNEL, user=ACME_ALICE)
    say(desk, "sev4 upgrade the search cluster", channel=ACME_CHANNEL, user=ACME_ALICE)
    assert say(desk, "time INC-1 50m read the logs") == (
        "Logged 50 min on INC-1: read the logs\nAgreement: unlimited"
    )
    say(desk, "estimate INC-2 6h upgrade and reindex")
    # A task waiting for its approval is not slipped under the agreement.
    assert "waiting for a designated contact's approval" in say(desk, "time INC-2 1h")
    desk.slack.block_action(ACTION_ESTIMATE_APPROVE, value="1", user=ACME_BOB, channel=ACME_BOB)
    desk.settle()
    assert say(desk, "time INC-2 1h reindexed") == (
        "Logged 1 h on INC-2: reindexed\nHours: 9 h of 10 h left"
    )
    assert say(desk, "time INC-1 10m") == "Logged 10 min on INC-1\nAgreement: unlimited"
    with desk.rt.session() as session:
        rows = session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))
        assert [(e.incident_id, e.plan, e.quantity, e.task_id) for e in rows] == [
            (1, "agreement", 50, None),
            (2, "prepaid_hours", 60, 1),
            (1, "agreement", 10, None),
        ]
    assert "Hours: 9 h of 10 h left" in say(desk, "INC-1", command="/sla")


def test_a_customer_with_only_prepaid_hours_needs_an_approved_estimate(desk: Desk) -> None:
    say(desk, "sev3 the chocolate river overflows", channel=WONKA_CHANNEL, user=WONKA_WILLY)
    before = dump(desk.rt)
    said = say(desk, "time INC-1 30m")
    assert said == (
        ":warning: INC-1 is prepaid-hours work: post an estimate first "
        "(`/incident estimate INC-1 6h`) and log time once a contact approves it"
    )
    assert dump(desk.rt) == before
    say(desk, "estimate INC-1 2h")
    assert "waiting for a designated contact's approval" in say(desk, "time INC-1 30m")
    desk.slack.block_action(ACTION_ESTIMATE_APPROVE, value="1", user=WONKA_WILLY,
                            channel=WONKA_WILLY)  # fmt: skip
    desk.settle()
    assert say(desk, "time INC-1 30m") == "Logged 0.5 h on INC-1\nHours: 19.5 h of 20 h left"


def test_a_declined_estimate_asks_for_a_new_one_and_a_closed_incidents_lapses(
    desk: Desk,
) -> None:
    say(desk, "sev4 upgrade the search cluster", channel=ACME_CHANNEL, user=ACME_ALICE)
    say(desk, "estimate INC-1 6h upgrade and reindex")
    desk.slack.block_action(ACTION_ESTIMATE_DECLINE, value="1", user=ACME_ALICE,
                            channel=ACME_ALICE)  # fmt: skip
    desk.settle()
    assert ephemerals(desk.api)[-1] == "You declined the estimate of 6 h on INC-1."
    # It said "post an estimate first", as if none had been posted.
    assert "its estimate was declined: post a new one" in say(desk, "time INC-1 1h")

    say(desk, "estimate INC-1 3h reindex only")
    actions.resolve(desk.rt, 1, Actor.staff_member(STAFF), "done another way")
    actions.close(desk.rt, 1, Actor.staff_member(STAFF))
    before = dump(desk.rt)
    # The customer approved hours for a closed incident, on which no time can be logged.
    desk.slack.block_action(ACTION_ESTIMATE_APPROVE, value="2", user=ACME_ALICE,
                            channel=ACME_ALICE)  # fmt: skip
    desk.settle()
    assert ephemerals(desk.api)[-1] == ":no_entry: INC-1 is closed: the estimate lapsed with it"
    assert dump(desk.rt) == before


def test_a_waiver_is_a_correcting_entry_with_the_contracts_reason(desk: Desk) -> None:
    say(desk, "sev3 the PDF is blank", channel=GLOBEX_CHANNEL, user=GLOBEX_HANS)
    before = dump(desk.rt)
    said = say(desk, "waive INC-1 we felt like it")
    assert said == (
        ":warning: `we felt like it` is not a waiver reason; use `product defect`, "
        "`documentation error`"
    )
    assert "Only the support team can waive a charge" in say(
        desk, "waive INC-1 product defect", channel=GLOBEX_CHANNEL, user=GLOBEX_HANS
    )
    assert dump(desk.rt) == before

    assert say(desk, "waive INC-1 Product Defect") == "Waived 1 unit(s) on INC-1: product defect"
    assert ledger_rows(desk) == [
        ("charge", GLOBEX_HANS, 1, 0, Decimal("150.00")),
        ("waiver", STAFF, -1, 0, Decimal("-150.00")),
    ]
    assert say(desk, "waive INC-1 product defect") == ":warning: INC-1 has no charge to waive"
    [waiver] = [e for e in timeline(desk.rt, 1) if e.kind == "waiver"]
    assert waiver.text == f"<@{STAFF}> waived 1 unit(s) of charges: product defect"
    assert waiver.visibility == "customer"


def test_each_charge_is_waived_under_its_own_plans_reasons(desk: Desk) -> None:
    """Soylent's incident is charged to its pack, its time per minute: a waiver used the
    first plan's reasons for every charge (`dropped call` was refused outright)."""
    say(desk, "sev3 the call dropped twice", channel=SOYLENT_CHANNEL, user=SOYLENT_SOL)
    said = say(desk, "time INC-1 10m on the phone")
    assert said.endswith("10 agent-minutes this month (20.00 EUR); deposit 500.00 EUR")
    before = dump(desk.rt)
    assert say(desk, "waive INC-1 we felt like it") == (
        ":warning: `we felt like it` is not a waiver reason of the incident-pack plan; use "
        "`product defect`; `we felt like it` is not a waiver reason of the per-minute plan; "
        "use `dropped call`"
    )
    assert dump(desk.rt) == before

    assert say(desk, "waive INC-1 Dropped Call") == (
        "Waived 10 unit(s) on INC-1: dropped call\nNot waived: `Dropped Call` is not a "
        "waiver reason of the incident-pack plan; use `product defect`"
    )
    assert say(desk, "waive INC-1 dropped call") == (
        ":warning: `dropped call` is not a waiver reason; use `product defect`"
    )
    assert say(desk, "waive INC-1 product defect") == "Waived 1 unit(s) on INC-1: product defect"
    with desk.rt.session() as session:
        rows = session.scalars(select(LedgerEntry).order_by(LedgerEntry.id))
        assert [(e.plan, e.kind, e.quantity, e.amount, e.reason) for e in rows] == [
            ("incident_pack", "charge", 1, None, None),
            ("per_minute", "time", 10, Decimal("20.00"), None),
            ("per_minute", "waiver", -10, Decimal("-20.00"), "dropped call"),
            ("incident_pack", "waiver", -1, None, "product defect"),
        ]
    assert say(desk, "waive INC-1 product defect") == ":warning: INC-1 has no charge to waive"


def test_time_under_an_agreement_is_not_a_charge_to_waive(desk: Desk) -> None:
    """Hooli has no plans: time is recorded under the implicit agreement, and a waiver finds
    nothing to give back (it answered with a 500 and a KeyError)."""
    say(desk, "sev3 a question", channel=HOOLI_CHANNEL, user=HOOLI_GAVIN)
    assert say(desk, "time INC-1 30m read the logs") == "Logged 0.5 h on INC-1: read the logs"
    before = dump(desk.rt)
    assert say(desk, "waive INC-1 product defect") == ":warning: INC-1 has no charge to waive"
    desk.settle()
    assert dump(desk.rt) == before


def test_bad_work_commands_are_refused_and_store_nothing(desk: Desk) -> None:
    say(desk, "sev3 a question", channel=GLOBEX_CHANNEL, user=GLOBEX_HANS)
    say(desk, "sev3 internal chore")
    before = dump(desk.rt)
    refusals = {
        "time INC-1 -45m": "`-45m` is negative",
        "time INC-1 0m": "`0m` is zero",
        "time INC-1 45": "cannot read `45` as a duration",
        "time INC-1": "`/incident time` needs an incident id and a duration",
        "appointment INC-1 25h": "more than 24 h",
        "timer pause INC-1": "`start` or `stop`",
        "time INC-99 45m": "INC-99 does not exist",
        "time INC-2 45m": "INC-2 is internal: time is logged against a customer's plan",
        "estimate INC-1 6h": "Globex GmbH has no prepaid hours in force to estimate",
        "approve INC-1": "Only a designated contact of the customer can approve",
    }
    for text, said in refusals.items():
        assert said in say(desk, text), text
    assert "Only the support team can log time" in say(
        desk, "time INC-1 45m", channel=GLOBEX_CHANNEL, user=GLOBEX_HANS
    )
    assert dump(desk.rt) == before

    # A closed incident takes no more time.
    actions.resolve(desk.rt, 1, Actor.staff_member(STAFF), "answered")
    actions.close(desk.rt, 1, Actor.staff_member(STAFF))
    before = dump(desk.rt)
    assert say(desk, "time INC-1 45m") == (
        ":warning: INC-1 is closed: no more time can be logged on it"
    )
    assert dump(desk.rt) == before


def test_no_deposit_opens_nothing_by_form_or_offer_either(desk: Desk) -> None:
    form = {"title": "how to export?", "description": "", "customer": {"selected": "umbrella"},
            "severity": {"selected": "3"}}  # fmt: skip
    response = desk.slack.view_submission(
        CALLBACK_NEW, form, user=UMBRELLA_JO, private_metadata=json.dumps({"channel": UMBRELLA_JO})
    )
    assert response.json()["errors"]["customer"].startswith(
        "Umbrella's support is billed per minute and needs a prepaid deposit"
    )
    offered = offer_value("1700000000.000100", "how do I export?")
    desk.slack.block_action(ACTION_OPEN_REQUEST, value=offered, user=UMBRELLA_JO,
                            channel=UMBRELLA_CHANNEL)  # fmt: skip
    desk.settle()
    [said] = desk.api.responses()
    assert "needs a prepaid deposit" in said["text"]
    assert "Notify my account manager" in block_text(said["blocks"])
    assert ledger_rows(desk) == [] and dump(desk.rt)["incidents"] == []
    # Staff open it through the form all the same.
    form["title"] = "export question"
    desk.slack.view_submission(CALLBACK_NEW, form, private_metadata=json.dumps({"channel": TRIAGE}))
    assert len(dump(desk.rt)["incidents"]) == 1


def test_the_cards_log_time_button_opens_a_form_that_logs(desk: Desk) -> None:
    say(desk, "sev3 slow reports", channel=GLOBEX_CHANNEL, user=GLOBEX_HANS)
    desk.drain()
    card = posts(desk.api, TRIAGE)[0]
    buttons = [e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]]
    [log] = [b for b in buttons if b["action_id"] == ACTION_LOG_TIME]
    desk.slack.block_action(ACTION_LOG_TIME, value=log["value"])
    desk.settle()
    [opened] = desk.api.calls("views.open")
    assert opened.params["view"]["callback_id"] == CALLBACK_LOG_TIME

    refused = desk.slack.view_submission(CALLBACK_LOG_TIME, {"duration": "0m", "note": ""},
                                         private_metadata="1")  # fmt: skip
    assert refused.json()["errors"]["duration"].startswith("`0m` is zero")
    done = desk.slack.view_submission(CALLBACK_LOG_TIME, {"duration": "20m", "note": "traced"},
                                      private_metadata="1")  # fmt: skip
    assert done.status_code == 200 and done.text == ""
    desk.drain()
    assert ledger_rows(desk)[-1] == ("time", STAFF, 0, 20, None)
    assert posts(desk.api, STAFF)[-1]["text"].startswith("Logged 20 min on INC-1: traced")


def test_an_estimate_lost_with_redis_still_reaches_the_contacts_once(desk: Desk) -> None:
    say(desk, "sev4 upgrade the search cluster", channel=ACME_CHANNEL, user=ACME_ALICE)
    say(desk, "estimate INC-1 6h upgrade and reindex")
    desk.settle()
    desk.rt.dispatcher.flush()
    desk.rt.redis.flushdb()  # the queued post is lost
    desk.drain()
    assert posts(desk.api, ACME_ALICE) == []

    desk.travel(timedelta(seconds=20))  # the reconciler finds the estimate not posted
    for contact in (ACME_ALICE, ACME_BOB):
        [dm] = posts(desk.api, contact)
        assert "Estimate for INC-1" in dm["text"]
    post_estimate(1)  # run again: posted already, nothing more
    desk.travel(timedelta(seconds=20))
    assert len(posts(desk.api, ACME_ALICE)) == len(posts(desk.api, ACME_BOB)) == 1


def test_every_open_card_of_the_customer_shows_the_balance_now(desk: Desk) -> None:
    """An appointment on INC-2 spent 6 incidents of Initech's pack; INC-1's cards (triage and
    customer) still said `Pack: 8 of 10 left` while `/sla INC-1` said 2 of 10."""
    say(desk, "sev3 printers offline", channel=INITECH_CHANNEL, user=INITECH_PETER)
    say(desk, "sev3 scanner offline", channel=INITECH_CHANNEL, user=INITECH_PETER)
    desk.drain()
    assert say(desk, "appointment INC-2 2h40m").endswith("Pack: 2 of 10 left")
    desk.drain()
    assert "\n• Pack: 2 of 10 left\n" in say(desk, "INC-1", command="/sla")
    for channel in (TRIAGE, INITECH_CHANNEL):
        [first] = [p for p in posts(desk.api, channel) if "INC-1" in p["text"]][:1]
        card = desk.api.message(channel, first["ts"])
        assert ":receipt: Pack: 2 of 10 left" in block_text(card["blocks"]), channel


@pytest.mark.parametrize("policy", ["bill"])
def test_a_waived_overage_does_not_refill_an_exhausted_pack(desk: Desk) -> None:
    """Initech's pack of 10 is used up; INC-2 goes over it (billed) and its overage is
    waived. The pack is still used up: INC-3 is beyond it too, and billed, where the
    waiver used to give a unit back to the pack and INC-3 was taken from it unbilled."""
    say(desk, "sev3 printers offline", channel=INITECH_CHANNEL, user=INITECH_PETER)
    say(desk, "appointment INC-1 2h40m")
    assert say(desk, "appointment INC-1 70m").endswith("Pack: 0 of 10 left")
    say(desk, "sev3 scanner jams", channel=INITECH_CHANNEL, user=INITECH_PETER)
    assert say(desk, "waive INC-2 product defect") == "Waived 1 unit(s) on INC-2: product defect"

    said = say(desk, "sev3 the fax is back", channel=INITECH_CHANNEL, user=INITECH_PETER)

    with desk.rt.session() as session:
        third = [
            (e.kind, e.quantity, e.amount)
            for e in session.scalars(select(LedgerEntry).where(LedgerEntry.incident_id == 3))
        ]
    # The charge row is the opening's own (none of the pack left), the overage is billed.
    assert third == [("charge", 0, None), ("overage", 1, Decimal("200.00"))], said
    assert "0 of 10 left" in said
