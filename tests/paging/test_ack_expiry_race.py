"""The acknowledgement's expiry racing a person, many times: whoever wins, the outcome is one
of the two consistent ones.

Tuesday 24 November 2026, 10:00 in Dublin. Several Severity 1 incidents are opened and
acknowledged by SMS by the EMEA L1 primary at once; at 10:30 each is reminded, and at 10:40
each release is due. Then, per incident, two threads start together at a barrier: one runs
the expiry job (as the worker would), the other is the person acting through the real edge at
the same instant: a note (`/incident note`), a status change (*Waiting on customer*), or the
acknowledge code sent again by SMS in answer to the reminder. Either the expiry wins (the
incident is released once, paging resumes once, and the person's action lands on the released
incident: a later acknowledgement takes it back cleanly), or the person wins (the expiry does
nothing, and the incident stays with them). Never both, never neither: no double release or
escalation, no acknowledgement lost, no card or thread message posted twice.

Run it on SQLite (the default) and on PostgreSQL (DATABASE_URL), where the row locks decide.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from supportbot.attention import ackwatch
from supportbot.clock import TravelClock
from supportbot.db.attention import AckWatch
from supportbot.db.models import Escalation, Incident, Page, TimelineEvent
from supportbot.slack import cards
from tests.paging.conftest import EMEA_L1, EMEA_L1_SLACK, TUESDAY_10_DUBLIN, Pager, emea_l1_on
from tests.support.races import race
from tests.support.slack_requests import STAFF, TRIAGE

PRIMARY = emea_l1_on(TUESDAY_10_DUBLIN.date())[0]
PHONE, SLACK_ID = EMEA_L1[PRIMARY], EMEA_L1_SLACK[PRIMARY]
ROUNDS = 24  # incidents, each one race; the three kinds of action take turns
KINDS = ("note", "waiting", "sms")
RELEASED = "un-acknowledged"


@pytest.fixture
def clock() -> TravelClock:
    return TravelClock(TUESDAY_10_DUBLIN)


def _open_and_acknowledge(pager: Pager) -> dict[int, str]:
    """ROUNDS Sev1 incidents acknowledged by SMS at 10:00; incident id → acknowledge code."""
    for n in range(ROUNDS):
        opened = pager.desk.slack.command(f"sev1 checkout down in shard {n}")
        assert opened.status_code == 200, opened.text
    pager.desk.drain()
    with pager.desk.rt.session() as session:
        codes = dict(session.execute(select(Escalation.incident_id, Escalation.ack_code)).all())
    assert sorted(codes) == list(range(1, ROUNDS + 1))
    for code in codes.values():
        assert "Acknowledged" in pager.reply(PHONE, code)[1]
    pager.desk.drain()
    return codes


def _act(pager: Pager, kind: str, incident_id: int, code: str) -> Callable[[], str]:
    """The person's action, through the edge; returns what they were told."""
    if kind == "note":
        return lambda: (
            pager.desk.slack.command(
                f"note INC-{incident_id} found the stuck consumer", user=SLACK_ID
            ).text
        )
    if kind == "waiting":
        return lambda: str(
            pager.desk.slack.block_action(
                cards.ACTION_WAITING, value=str(incident_id), user=SLACK_ID
            ).status_code
        )
    return lambda: pager.reply(PHONE, code)[1]


def _race(job: Callable[[], str], person: Callable[[], str], jitter: random.Random) -> list[str]:
    """Both at once after a barrier; one side sometimes a moment late, so both orders occur."""
    delays = [0.0, 0.0]
    delays[jitter.randrange(2)] = jitter.choice((0.0, 0.005, 0.02, 0.05))
    return [str(result) for result in race([job, person], delays)]


def _state(pager: Pager, incident_id: int) -> tuple[Incident, AckWatch, Escalation]:
    with pager.desk.rt.session() as session:
        incident = session.get_one(Incident, incident_id)
        watch = session.scalars(select(AckWatch).where(AckWatch.incident_id == incident_id)).one()
        episode = session.scalars(
            select(Escalation).where(Escalation.incident_id == incident_id)
        ).one()
        session.expunge_all()
        return incident, watch, episode


def _timeline(pager: Pager, incident_id: int) -> list[tuple[str, str]]:
    with pager.desk.rt.session() as session:
        rows = session.execute(
            select(TimelineEvent.kind, TimelineEvent.text)
            .where(TimelineEvent.incident_id == incident_id)
            .order_by(TimelineEvent.id)
        ).all()
        return [(kind, text) for kind, text in rows]


def _releases(timeline: list[tuple[str, str]]) -> int:
    return sum(1 for kind, text in timeline if kind == "status:open" and RELEASED in text)


def _check_pages_once(pager: Pager) -> None:
    """No double escalation: each step of each episode paged each person once."""
    with pager.desk.rt.session() as session:
        repeated = session.execute(
            select(Page.escalation_id, Page.step_index, Page.person, Page.channel, func.count())
            .where(Page.escalation_id.is_not(None), Page.bundled_into.is_(None))
            .group_by(Page.escalation_id, Page.step_index, Page.person, Page.channel)
            .having(func.count() > 1)
        ).all()
    assert repeated == []


def _check_posts_once(pager: Pager) -> None:
    """No duplicate card or thread posts: one card per incident, one release message each."""
    posts = [
        m for m in pager.desk.api.messages(channel=TRIAGE) if m["method"] == "chat.postMessage"
    ]
    top = [m for m in posts if not m.get("thread_ts")]
    cards_per_incident = Counter(m["text"].split(" ")[0] for m in top)
    assert all(n == 1 for n in cards_per_incident.values()), [m["text"] for m in top][:8]
    released = Counter((m.get("thread_ts"), m["text"]) for m in posts if RELEASED in m["text"])
    assert all(n == 1 for n in released.values()), released


def test_the_expiry_and_a_person_at_the_same_instant_agree(pager: Pager) -> None:
    codes = _open_and_acknowledge(pager)
    pager.desk.travel(timedelta(minutes=30, seconds=10))  # 10:30:10: every one reminded
    with pager.desk.rt.session() as session:
        assert session.scalar(select(func.count()).where(AckWatch.reminded_at.is_not(None))) == (
            ROUNDS
        )
    # 10:40:20: every release is due; the worker has not run them yet.
    pager.desk.rt.clock.advance(timedelta(minutes=10, seconds=10))  # type: ignore[attr-defined]

    jitter = random.Random(13)
    won: Counter[tuple[str, str]] = Counter()
    for incident_id, code in sorted(codes.items()):
        kind = KINDS[incident_id % len(KINDS)]
        job = lambda i=incident_id: ackwatch.run(pager.desk.rt, i)  # noqa: E731
        outcome, told = _race(job, _act(pager, kind, incident_id, code), jitter)
        pager.desk.settle()
        assert outcome in ("released", "early", "stale"), outcome
        won[(kind, "expiry" if outcome == "released" else "person")] += 1
        _check_one(pager, incident_id, kind, outcome, told)

    # The worker now runs what both sides owed (the scheduled expiry jobs, the resumed steps,
    # the card syncs): nothing is released a second time.
    pager.desk.travel(timedelta(seconds=10))
    for incident_id in codes:
        timeline = _timeline(pager, incident_id)
        assert _releases(timeline) <= 1, timeline
    _check_pages_once(pager)
    _check_posts_once(pager)
    # The expiry's winners are taken back cleanly by a later acknowledgement.
    for incident_id in codes:
        incident, watch, episode = _state(pager, incident_id)
        if incident.status == "open":
            pager.desk.slack.block_action(cards.ACTION_ACK, value=str(incident_id), user=STAFF)
    pager.desk.drain()
    for incident_id in codes:
        incident, watch, episode = _state(pager, incident_id)
        assert incident.status in ("acknowledged", "waiting_on_customer"), incident.status
        assert episode.state == "acknowledged"
        if incident.status == "acknowledged":
            assert watch.state == "watching" and watch.released_at is None
    _check_pages_once(pager)
    _check_posts_once(pager)
    print(f"who won each race: {dict(won)}")


def _check_one(pager: Pager, incident_id: int, kind: str, outcome: str, told: str) -> None:
    incident, watch, episode = _state(pager, incident_id)
    timeline = _timeline(pager, incident_id)
    kinds = [k for k, _ in timeline]
    releases = _releases(timeline)
    if outcome == "released":
        # The expiry won: released once, and the person's action came after it.
        assert releases == 1, timeline
        released_at = next(i for i, (k, t) in enumerate(timeline) if RELEASED in t)
        if kind == "note":
            assert "note" in kinds[released_at:] and incident.status == "open"
            assert watch.state == "released" and watch.released_at is not None
            assert episode.state == "active"  # paging resumed
        elif kind == "waiting":
            assert incident.status == "waiting_on_customer" and watch.state == "released"
            assert episode.state == "acknowledged"  # waiting stops the resumed paging
        else:  # the code again: it re-acknowledges the released incident
            assert "Acknowledged INC-" in told, told
            assert incident.status == "acknowledged" and episode.state == "acknowledged"
            assert watch.state == "watching" and watch.owner == SLACK_ID
            assert watch.released_at is None and watch.reminded_at is None  # afresh
        return
    # The person won: the expiry did nothing, and the incident is still theirs.
    assert releases == 0 and watch.released_at is None, timeline
    assert episode.state == "acknowledged"
    if kind == "waiting":
        assert incident.status == "waiting_on_customer" and watch.state == "ended"
        return
    assert incident.status == "acknowledged" and watch.state == "watching"
    assert incident.assignee == SLACK_ID
    if kind == "sms":
        assert "INC-" in told and "renewed" in told, told
