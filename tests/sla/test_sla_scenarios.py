"""SLA clocks as a script: open → time travels → reminders → breach → escalation.

A real Redis and a real RQ worker (burst mode) run the jobs; the clock travels, and the
reconciler hands over every timer that has come due, exactly as after a long sleep.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from supportbot.db.models import Incident, Notification, SlaClock, SlaTimer
from supportbot.reconciler import reconcile_once
from supportbot.slack import cards
from tests.conftest import Desk
from tests.standins import block_text

ACME = "C0ACMESHARED"  # Premier, 24x7: Sev2 response 2 h, resolution 24 h (wall clock)


def thread_texts(desk: Desk) -> list[str]:
    with desk.rt.session() as session:
        card_ts = session.scalar(select(Incident.card_ts))
    return [m["text"] for m in desk.api.messages(channel="C0TRIAGE01", thread_ts=card_ts)]


def timers(desk: Desk) -> dict[tuple[str, int], str]:
    with desk.rt.session() as session:
        return {(t.clock, t.threshold): t.state for t in session.scalars(select(SlaTimer))}


def test_reminders_then_breach_escalates_and_notifies(desk: Desk) -> None:
    assert desk.slack.command("sev2 payments API slow", channel=ACME).status_code == 200
    desk.drain()
    assert timers(desk) == {("response", p): "pending" for p in (50, 75, 90, 100)} | {
        ("resolution", p): "pending" for p in (50, 75, 90, 100)
    }

    desk.travel(timedelta(minutes=61))  # 50 % of the 2 h response target
    reminders = [t for t in thread_texts(desk) if "response target 50% used" in t]
    assert len(reminders) == 1, thread_texts(desk)
    assert re.search(r"5[89]m left", reminders[0]), reminders[0]
    # No assignee yet: the on-shift lead gets the direct message.
    with desk.rt.session() as session:
        dms = session.scalars(select(Notification).where(Notification.kind == "reminder")).all()
        assert len(dms) == 1 and dms[0].sent_at is not None

    desk.travel(timedelta(minutes=30))  # 75 %
    desk.travel(timedelta(minutes=30))  # past 100 %: 90 % and the breach are both due
    texts = thread_texts(desk)
    assert sum("response target 75% used" in t for t in texts) == 1
    # A reminder that only comes round after its target has passed says nothing new.
    assert not [t for t in texts if "response target 90% used" in t]
    assert timers(desk)[("response", 90)] == "skipped"

    assert sum("breached its response target" in t for t in texts) == 1
    assert any("escalated to L2 after the response breach" in t for t in texts)
    with desk.rt.session() as session:
        incident = session.scalars(select(Incident)).one()
        assert incident.level == "L2"
        clock = session.scalar(select(SlaClock).where(SlaClock.kind == "response"))
        assert clock is not None and clock.state == "breached"

    # Running everything again changes nothing: each reminder fired once.
    before = len(desk.api.messages())
    reconcile_once(desk.rt)
    desk.drain()
    assert len(desk.api.messages()) == before


def test_acknowledge_stops_response_clock_and_cancels_its_timers(desk: Desk) -> None:
    desk.slack.command("sev2 checkout errors", channel=ACME)
    desk.drain()
    desk.slack.block_action(cards.ACTION_ACK, value="1")
    desk.drain()
    state = timers(desk)
    assert all(state[("response", p)] == "cancelled" for p in (50, 75, 90, 100))
    assert all(state[("resolution", p)] == "pending" for p in (50, 75, 90, 100))
    desk.travel(timedelta(hours=3))
    assert not [t for t in thread_texts(desk) if "response target" in t]
    with desk.rt.session() as session:
        clock = session.scalar(select(SlaClock).where(SlaClock.kind == "response"))
        assert clock is not None and clock.state == "met"


def test_waiting_on_customer_pauses_resolution_and_reply_resumes(desk: Desk) -> None:
    desk.slack.command("sev2 export broken", channel=ACME)
    desk.drain()
    desk.slack.block_action(cards.ACTION_ACK, value="1")
    desk.drain()  # each press handled before the next (Bolt runs them on its executor)
    desk.slack.block_action(cards.ACTION_WAITING, value="1")
    desk.drain()
    with desk.rt.session() as session:
        clock = session.scalar(select(SlaClock).where(SlaClock.kind == "resolution"))
        assert clock is not None and clock.state == "paused" and clock.due_at is None
    desk.travel(timedelta(hours=30))  # longer than the whole 24 h target: nothing fires
    assert not [t for t in thread_texts(desk) if "resolution target" in t]
    # The customer's reply in their thread resumes the clock, 30 h later.
    with desk.rt.session() as session:
        incident = session.scalars(select(Incident)).one()
        thread = incident.customer_thread_ts
        opened = incident.opened_at
    desk.slack.message(
        "here is the export log",
        user="U0ACMEALICE",
        channel=ACME,
        thread_ts=thread,
        user_team="T0ACME",
    )
    desk.drain()
    with desk.rt.session() as session:
        clock = session.scalar(select(SlaClock).where(SlaClock.kind == "resolution"))
        assert clock is not None and clock.state == "running"
        assert clock.due_at is not None
        # Paused for ~30 h, so the 24 h target is due ~54 h after opening.
        assert timedelta(hours=53) < clock.due_at - opened < timedelta(hours=55)


def test_severity_change_recomputes_from_start_and_reschedules(desk: Desk) -> None:
    desk.slack.command("sev3 report slow", channel=ACME)  # Premier Sev3: 8 h response
    desk.drain()
    with desk.rt.session() as session:
        opened = session.scalar(select(Incident.opened_at))
        due = session.scalar(select(SlaClock.due_at).where(SlaClock.kind == "response"))
        assert due is not None and due - opened == timedelta(hours=8)
    desk.travel(timedelta(hours=1, minutes=10))
    desk.slack.block_action(cards.ACTION_SEVERITY, block_id="incident-1", selected="2")
    desk.drain()
    with desk.rt.session() as session:
        due = session.scalar(select(SlaClock.due_at).where(SlaClock.kind == "response"))
        assert due is not None and due - opened == timedelta(hours=2)
    # 50 % of the new target (1 h) is already past: it fires at once, and only it.
    desk.travel(timedelta(seconds=10))
    state = timers(desk)
    assert state[("response", 50)] == "fired"
    assert state[("response", 75)] == "pending"
    assert len([t for t in thread_texts(desk) if "response target 50% used" in t]) == 1


def test_overdue_reminders_collapse_to_the_latest_after_a_severity_change(desk: Desk) -> None:
    desk.slack.command("sev3 report slow", channel=ACME)
    desk.drain()
    desk.travel(timedelta(hours=1, minutes=40))  # past 50 % and 75 % of a 2 h target
    desk.slack.block_action(cards.ACTION_SEVERITY, block_id="incident-1", selected="2")
    desk.drain()
    desk.travel(timedelta(seconds=10))
    state = timers(desk)
    assert state[("response", 50)] == "skipped"
    assert state[("response", 75)] == "fired"
    texts = thread_texts(desk)
    assert not [t for t in texts if "response target 50% used" in t]
    assert len([t for t in texts if "response target 75% used" in t]) == 1


def test_sev1_engages_l3_within_15_minutes_even_when_acknowledged(desk: Desk) -> None:
    desk.slack.command("sev1 site down", channel=ACME)
    desk.drain()
    desk.slack.block_action(cards.ACTION_ACK, value="1")
    desk.drain()
    desk.travel(timedelta(minutes=15, seconds=6))
    with desk.rt.session() as session:
        assert session.scalar(select(Incident.level)) == "L3"
    assert any("L3 engaged" in t for t in thread_texts(desk))


def card_text(desk: Desk) -> str:
    with desk.rt.session() as session:
        incident = session.scalars(select(Incident)).one()
        channel, ts = incident.card_channel, incident.card_ts
    assert channel and ts
    message = desk.api.message(channel, ts)
    assert message is not None
    return block_text(message.get("blocks"))


def test_card_shows_both_clocks_with_due_time_left_and_state(desk: Desk) -> None:
    desk.slack.command("sev2 slow search", channel=ACME)  # Premier 24x7: 2 h / 24 h
    desk.drain()
    text = card_text(desk)
    assert re.search(r"\*Response\*: due .+ · 1h59m left · :hourglass_flowing_sand: running", text)
    assert re.search(
        r"\*Resolution\*: due .+ · 23h59m left · :hourglass_flowing_sand: running", text
    )
    desk.slack.block_action(cards.ACTION_ACK, value="1")
    desk.drain()  # each press handled before the next (Bolt runs them on its executor)
    desk.slack.block_action(cards.ACTION_WAITING, value="1")
    desk.drain()
    text = card_text(desk)
    assert ":white_check_mark: met" in text  # the response clock stopped at the ack
    assert "*Resolution*: :double_vertical_bar: paused" in text
    desk.slack.command("sev2 internal thing")  # no customer, no contract
    desk.drain()
    with desk.rt.session() as session:
        internal = session.get_one(Incident, 2)
    message = desk.api.message(internal.card_channel or "", internal.card_ts or "")
    assert message is not None
    assert "No contract SLA (internal incident)" in block_text(message.get("blocks"))
