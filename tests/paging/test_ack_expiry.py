"""Ack and forget, as scripts: an acknowledgement without progress is reminded, then released.

Tuesday 24 November 2026, 10:00 in Dublin (EMEA holds the pager). The built-in rule: a
Severity 1 acknowledgement expires after 30 minutes without progress, and is released 10
minutes after the reminder; a Severity 2 after 2 hours, released 30 minutes later.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from supportbot.attention import ackwatch
from supportbot.clock import TravelClock
from supportbot.db.attention import AckWatch
from supportbot.db.models import Escalation, Incident, TimelineEvent
from supportbot.delivery import job_ids
from supportbot.oncall import parse_rotation
from supportbot.oncall.ack_rules import AckRule, ack_due, ack_rule
from supportbot.slack import cards
from supportbot.slack.followup_blocks import CALLBACK_UPDATE
from tests.paging.conftest import EMEA_L1, EMEA_L1_SLACK, TUESDAY_10_DUBLIN, Pager, emea_l1_on
from tests.standins import block_text

ACME = "C0ACMESHARED"
PRIMARY, SECONDARY = emea_l1_on(TUESDAY_10_DUBLIN.date())


@pytest.fixture
def clock() -> TravelClock:
    """Still: it moves only when a test moves it, so every instant below is exact."""
    return TravelClock(TUESDAY_10_DUBLIN)


def open_sev(pager: Pager, severity: int, summary: str = "checkout down for everyone") -> None:
    response = pager.desk.slack.command(f"sev{severity} {summary}", channel=ACME)
    assert response.status_code == 200, response.text
    pager.desk.drain()


def card_text(pager: Pager) -> str:
    with pager.desk.rt.session() as session:
        incident = session.get_one(Incident, 1)
        channel, ts = incident.card_channel, incident.card_ts
    assert channel and ts
    message = pager.desk.api.message(channel, ts)
    assert message is not None
    return block_text(message.get("blocks"))


def thread(pager: Pager) -> list[str]:
    with pager.desk.rt.session() as session:
        return list(session.scalars(select(TimelineEvent.text).order_by(TimelineEvent.id)))


def dms(pager: Pager, user: str) -> list[str]:
    """The direct messages of the acknowledgement watch. A Sev1 with a customer also owes a
    customer update every 30 minutes (followups, merged alongside), whose missed-update
    reminder (`:memo:`) reaches the same assignee at 10:30: not this watch's."""
    texts = [m.get("text", "") for m in pager.desk.api.messages(channel=user)]
    return [t for t in texts if not t.startswith(":memo:")]


def test_sev1_ack_without_progress_is_reminded_then_released_and_paging_resumes(
    pager: Pager,
) -> None:
    open_sev(pager, 1)
    with pager.desk.rt.session() as session:
        code = session.scalars(select(Escalation.ack_code)).one()
    status, body = pager.reply(EMEA_L1[PRIMARY], code)  # 10:00: acknowledged by SMS
    assert "Acknowledged INC-1" in body
    pager.desk.drain()
    assert "Ack by" in card_text(pager) and "expires Tue 24 Nov 10:30 GMT" in card_text(pager)

    pager.desk.travel(timedelta(minutes=29))  # 10:29: nothing yet
    assert dms(pager, EMEA_L1_SLACK[PRIMARY]) == []
    assert len(pager.twilio.messages(to=EMEA_L1[PRIMARY])) == 1

    pager.desk.travel(timedelta(minutes=1, seconds=10))  # 10:30:10: the reminder, DM and SMS
    reminder = dms(pager, EMEA_L1_SLACK[PRIMARY])
    assert len(reminder) == 1 and "no progress for 30 min" in reminder[0], reminder
    assert "10:40" in reminder[0]
    sms = pager.twilio.messages(to=EMEA_L1[PRIMARY])
    assert len(sms) == 2 and "your ack has had no progress" in sms[1]["body"]
    assert "released Tue 24 Nov 10:40 GMT unless there is progress" in card_text(pager)
    assert pager.twilio.messages(to=EMEA_L1[SECONDARY]) == []

    pager.desk.travel(timedelta(minutes=9))  # 10:39:10: still within the grace period
    with pager.desk.rt.session() as session:
        assert session.get_one(Incident, 1).status == "acknowledged"

    pager.desk.travel(timedelta(minutes=1, seconds=10))  # 10:40:20: released, step 2 pages
    with pager.desk.rt.session() as session:
        incident = session.get_one(Incident, 1)
        assert incident.status == "open" and incident.assignee is None
        episode = session.scalars(select(Escalation)).one()
        assert episode.state == "active" and episode.step_index == 2
    assert len(pager.twilio.messages(to=EMEA_L1[SECONDARY])) == 1  # step 2: primary + secondary
    assert len(pager.twilio.messages(to=EMEA_L1[PRIMARY])) == 3
    card = card_text(pager)
    assert "Un-acknowledged" in card and "expired at Tue 24 Nov 10:40 GMT" in card, card
    assert any("un-acknowledged" in t and "Paging resumes at step 2" in t for t in thread(pager))

    # The later steps keep their spacing: L2 five minutes after the resumed step.
    pager.desk.travel(timedelta(minutes=4, seconds=50))
    with pager.desk.rt.session() as session:
        assert session.scalars(select(Escalation)).one().step_index == 2
    pager.desk.travel(timedelta(seconds=20))  # 10:45:30
    with pager.desk.rt.session() as session:
        assert session.scalars(select(Escalation)).one().step_index == 3

    # The same code acknowledges again, and the watch starts afresh.
    status, body = pager.reply(EMEA_L1[SECONDARY], code)
    assert "Acknowledged INC-1" in body
    pager.desk.drain()
    with pager.desk.rt.session() as session:
        watch = session.scalars(select(AckWatch)).one()
        assert watch.state == "watching" and watch.owner == EMEA_L1_SLACK[SECONDARY]
        assert watch.reminded_at is None


def test_progress_moves_the_expiry_and_a_reminder_is_answered_by_a_note(pager: Pager) -> None:
    open_sev(pager, 1)
    pager.desk.slack.block_action(cards.ACTION_ACK, value="1", user="U0STAFF001")
    pager.desk.drain()
    pager.desk.travel(timedelta(minutes=20))  # 10:20: a note is progress
    pager.desk.slack.command("note INC-1 restarting the payment workers", user="U0STAFF001")
    pager.desk.drain()
    assert "expires Tue 24 Nov 10:50 GMT" in card_text(pager)

    pager.desk.travel(timedelta(minutes=15))  # 10:35: the old instant passed, nothing happens
    assert dms(pager, "U0STAFF001") == []
    pager.desk.travel(timedelta(minutes=15, seconds=10))  # 10:50:10: reminded
    assert len(dms(pager, "U0STAFF001")) == 1
    # Not on the rotation: no phone number, and the timeline says so.
    assert any("no SMS: not on the rotation" in t for t in thread(pager))

    pager.desk.travel(timedelta(minutes=5))  # 10:55: moving to investigating is progress
    pager.desk.slack.command("reply INC-1 we are on it", user="U0STAFF001")
    pager.desk.drain()
    pager.desk.travel(timedelta(minutes=10))  # 11:05: past the old release instant
    with pager.desk.rt.session() as session:
        assert session.get_one(Incident, 1).status == "acknowledged"
    assert "expires Tue 24 Nov 11:25 GMT" in card_text(pager)


def test_time_logged_is_progress_and_moves_the_expiry(pager: Pager) -> None:
    # Globex pays per incident: time is logged without an estimate.
    opened = pager.desk.slack.command("sev2 reports slow", channel="C0GLOBEX")
    assert opened.status_code == 200
    pager.desk.drain()
    pager.desk.slack.block_action(cards.ACTION_ACK, value="1", user="U0STAFF001")
    pager.desk.drain()
    pager.desk.travel(timedelta(hours=1, minutes=50))  # 11:50: an hour's work is logged
    logged = pager.desk.slack.command("time INC-1 1h bisected the slow query", user="U0STAFF001")
    assert logged.status_code == 200 and "Logged 1 h on INC-1" in logged.text, logged.text
    pager.desk.drain()
    assert "expires Tue 24 Nov 13:50 GMT" in card_text(pager)
    pager.desk.travel(timedelta(minutes=10, seconds=10))  # 12:00:10: the old instant passed
    assert dms(pager, "U0STAFF001") == []
    pager.desk.travel(timedelta(hours=1, minutes=50))  # 13:50:10: two hours since the log
    reminder = dms(pager, "U0STAFF001")
    assert len(reminder) == 1 and "no progress for 120 min" in reminder[0], reminder


def test_a_customer_update_is_progress_and_moves_the_expiry(pager: Pager) -> None:
    open_sev(pager, 1)
    pager.desk.slack.block_action(cards.ACTION_ACK, value="1", user="U0STAFF001")
    pager.desk.drain()
    pager.desk.travel(timedelta(minutes=25))  # 10:25: the customer is told, as the cadence asks
    posted = pager.desk.slack.view_submission(
        CALLBACK_UPDATE, {"update": "Payments are failing over."}, private_metadata="1"
    )
    assert posted.status_code == 200 and posted.text == ""
    pager.desk.drain()
    assert "expires Tue 24 Nov 10:55 GMT" in card_text(pager)
    pager.desk.travel(timedelta(minutes=15, seconds=10))  # 10:40:10: past the old release
    assert dms(pager, "U0STAFF001") == []
    with pager.desk.rt.session() as session:
        assert session.get_one(Incident, 1).status == "acknowledged"


def test_sev2_release_tells_the_level_on_call(pager: Pager) -> None:
    open_sev(pager, 2, "reports slow")
    pager.desk.slack.block_action(cards.ACTION_ACK, value="1", user="U0STAFF001")
    pager.desk.drain()
    pager.desk.travel(timedelta(hours=2, seconds=10))  # 12:00: reminded by DM only
    assert len(dms(pager, "U0STAFF001")) == 1
    assert pager.twilio.messages() == []
    pager.desk.travel(timedelta(minutes=30, seconds=10))  # 12:30:20: released, L1 is told
    with pager.desk.rt.session() as session:
        assert session.get_one(Incident, 1).status == "open"
        assert session.scalars(select(Escalation)).all() == []
    told = dms(pager, EMEA_L1_SLACK[PRIMARY])
    assert told and "was un-acknowledged" in told[-1]


def test_waiting_on_the_customer_ends_the_watch(pager: Pager) -> None:
    open_sev(pager, 2, "reports slow")
    pager.desk.slack.block_action(cards.ACTION_ACK, value="1", user="U0STAFF001")
    pager.desk.drain()  # each press handled before the next (Bolt runs them on its executor)
    pager.desk.slack.block_action(cards.ACTION_WAITING, value="1", user="U0STAFF001")
    pager.desk.drain()
    pager.desk.travel(timedelta(hours=3))
    assert dms(pager, "U0STAFF001") == []
    with pager.desk.rt.session() as session:
        assert session.scalars(select(AckWatch.state)).one() == "ended"


def test_a_run_before_the_instant_only_owes_itself_again(pager: Pager) -> None:
    rt, clock = pager.desk.rt, pager.desk.rt.clock
    assert isinstance(clock, TravelClock)
    open_sev(pager, 1)
    pager.desk.slack.block_action(cards.ACTION_ACK, value="1", user="U0STAFF001")
    pager.desk.drain()
    due = TUESDAY_10_DUBLIN + timedelta(minutes=30)
    clock.set(due - timedelta(milliseconds=300))
    assert ackwatch.run(rt, 1) == "early"
    rt.dispatcher.flush()
    job = job_ids.ack_watch(1)
    assert rt.urgent_queue.scheduled_job_registry.get_scheduled_time(job) == due
    assert dms(pager, "U0STAFF001") == []
    clock.set(due)
    assert ackwatch.run(rt, 1) == "reminded"
    assert ackwatch.run(rt, 1) == "early"  # the release is owed 10 minutes on, not now
    clock.set(due + timedelta(minutes=10))
    assert ackwatch.run(rt, 1) == "released"
    assert ackwatch.run(rt, 1) == "stale"


BASE = """\
people: {a: {slack: U0A, phone: '+15125550101'}}
management: [a]
fallback:
  name: F
  time_zone: Etc/UTC
  rosters: {L1: {rotation: weekly, handoff_time: "12:00", start: 2025-01-03, primary: [a]}}
"""


def test_rules_from_the_rotation_files_and_their_bad_input() -> None:
    base = BASE
    policy = "escalation:\n  sev{n}:\n    steps: [{{after: 0m, page: [management]}}]\n{extra}"
    text = base + policy.format(n=2, extra="    ack_expires_after: 45m\n    ack_grace: 5m\n")
    rotation = parse_rotation(text)
    rule = ack_rule(rotation, 2)
    assert rule == AckRule(timedelta(minutes=45), timedelta(minutes=5))
    assert ack_rule(rotation, 1) == AckRule(timedelta(minutes=30), timedelta(minutes=10))
    assert ack_rule(rotation, 3) is None
    off = parse_rotation(base + policy.format(n=1, extra="    ack_expires_after: 'off'\n"))
    assert ack_rule(off, 1) is None
    # The reminder is void once there was progress after it.
    at = TUESDAY_10_DUBLIN
    assert ack_due(rule, at, None).at == at + timedelta(minutes=45)
    assert ack_due(rule, at, at + timedelta(minutes=45)).stage == "release"
    assert ack_due(rule, at + timedelta(hours=1), at + timedelta(minutes=45)).stage == "remind"
    for bad, message in [
        ("    ack_expires_after: 0m\n", "must be positive"),
        ("    ack_expires_after: soon\n", "invalid duration"),
        ("    ack_grace: -5m\n", "invalid duration"),
    ]:
        with pytest.raises(Exception, match=message) as caught:
            parse_rotation(base + policy.format(n=1, extra=bad), "r.yaml")
        assert "r.yaml:" in str(caught.value)


def test_a_flushed_redis_loses_no_reminder_and_a_severity_change_moves_the_expiry(
    pager: Pager,
) -> None:
    open_sev(pager, 2, "reports slow")
    pager.desk.slack.block_action(cards.ACTION_ACK, value="1", user="U0STAFF001")
    pager.desk.drain()
    assert "expires Tue 24 Nov 12:00 GMT" in card_text(pager)
    pager.desk.travel(timedelta(minutes=10))
    # Raised to Sev1 at 10:10: a change, and a status-free one, so the 30 minutes count from
    # the acknowledgement: the reminder is owed at 10:30.
    pager.desk.slack.block_action(
        cards.ACTION_SEVERITY, block_id="incident-1", selected="1", user="U0STAFF001"
    )
    pager.desk.drain()
    assert "expires Tue 24 Nov 10:30 GMT" in card_text(pager)
    pager.desk.rt.redis.flushdb()  # every scheduled job is gone
    pager.desk.travel(timedelta(minutes=20, seconds=10))
    assert len(dms(pager, "U0STAFF001")) == 1
    with pager.desk.rt.session() as session:
        assert session.scalars(select(AckWatch.reminded_at)).one() is not None


def test_an_integration_is_never_the_owner_reminded(pager: Pager) -> None:
    open_sev(pager, 2, "reports slow")
    rt = pager.desk.rt
    with rt.session() as session:
        incident = session.get_one(Incident, 1)
        incident.status, incident.assignee = "investigating", None
        ackwatch.follow(session, rt, incident, "alerts:prometheus")  # nobody to remind
        assert session.scalars(select(AckWatch)).all() == []
        ackwatch.follow(session, rt, incident, "U0STAFF001")
        assert session.scalars(select(AckWatch.owner)).one() == "U0STAFF001"
