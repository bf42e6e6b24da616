"""Loss tests: Redis only delivers, so a killed worker or a flushed Redis loses no reminder.

A real Redis, real RQ workers (a ``supportbot worker`` subprocess, and burst workers in this
process) and the Slack stand-in. After each loss the reconciler finds the owed work in the
database and queues it again; deduplication keeps every reminder to one post.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from supportbot.clock import TravelClock
from supportbot.db.models import Incident, Notification, SlaTimer, TimelineEvent
from supportbot.delivery import job_ids
from supportbot.delivery.kinds import SLA_TIMER
from supportbot.desk import intake
from supportbot.reconciler import reconcile_once
from supportbot.runtime import Runtime, set_runtime
from supportbot.sla import firing
from supportbot.slack.jobs import GRACE
from supportbot.slack.sync import LOCK_SECONDS, sync_lock
from tests.standins import SLACK_TOKEN, SlackStandin
from tests.support.live import drain
from tests.support.slack_requests import TRIAGE

REMINDER_50 = "response target 50% used"
SYNC_LOCK = "supportbot:lock:slack-sync:{}"


def open_acme_sev2(rt: Runtime, clock: TravelClock, *, ago: timedelta) -> int:
    """Open an Acme (Premier 24x7) Sev 2 incident ``ago`` in the past; post its card.

    Its response target is 2 h, so the 50 % reminder is due one hour after opening.
    """
    now = datetime.now(UTC)
    clock.set(now - ago)
    acme = rt.contracts.by_key("acme")
    incident = intake.open_incident(
        rt, title="checkout errors", severity=2, reporter="U0STAFF001", customer=acme
    )
    clock.set(now)  # back to real time, which the worker subprocess also reads
    drain(rt)  # the card and the "opened" post; scheduled timers stay scheduled
    return incident.id


def timer(rt: Runtime, incident_id: int, clock: str, pct: int) -> SlaTimer:
    with rt.session() as session:
        found = session.scalar(
            select(SlaTimer).where(
                SlaTimer.incident_id == incident_id,
                SlaTimer.clock == clock,
                SlaTimer.threshold == pct,
            )
        )
        assert found is not None
        return found


def thread_posts(rt: Runtime, api: SlackStandin, incident_id: int, needle: str) -> list[str]:
    """Texts containing ``needle`` that Slack accepted into the incident's triage thread."""
    with rt.session() as session:
        card_ts = session.scalar(select(Incident.card_ts).where(Incident.id == incident_id))
    assert card_ts is not None
    return [
        m["text"]
        for m in api.messages(channel=TRIAGE, thread_ts=card_ts)
        if m["method"] == "chat.postMessage" and needle in m["text"]
    ]


def notifications_sent_once(rt: Runtime, api: SlackStandin, incident_id: int) -> None:
    """Every notification row is marked sent, and Slack got each exactly once."""
    with rt.session() as session:
        notes = session.scalars(
            select(Notification).where(Notification.incident_id == incident_id)
        ).all()
    for note in notes:
        assert note.sent_at is not None, note.text
        same = [
            m
            for m in api.messages(channel=note.recipient)
            if m["method"] == "chat.postMessage"
            and m["text"] == note.text
            and not m.get("thread_ts")
        ]
        assert len(same) == 1, (note.recipient, note.text, len(same))


def unposted(rt: Runtime, incident_id: int) -> list[str]:
    with rt.session() as session:
        return list(
            session.scalars(
                select(TimelineEvent.kind).where(
                    TimelineEvent.incident_id == incident_id,
                    TimelineEvent.posted_internal_at.is_(None),
                )
            )
        )


def worker_env(rt: Runtime, tmp_path: Path) -> dict[str, str]:
    s = rt.settings
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "SUPPORTBOT_", "TWILIO_", "REDIS_", "DATABASE_"))
    }
    return env | {
        "SLACK_BOT_TOKEN": SLACK_TOKEN,
        "SLACK_SIGNING_SECRET": "test-signing-secret-0123456789",
        "SLACK_API_URL": s.slack_api_url,
        "REDIS_URL": str(s.redis_url),
        "DATABASE_URL": s.sqlalchemy_url,
        "SUPPORTBOT_TRIAGE_CHANNEL": TRIAGE,
        "SUPPORTBOT_CONTRACTS_FILE": str(s.contracts_file),
        "SUPPORTBOT_TRIAGE_RULES_FILE": str(s.triage_rules_file),
        "SUPPORTBOT_ROTATIONS_DIR": str(s.rotations_dir),
        "SUPPORTBOT_DATA_DIR": str(tmp_path / "worker-var"),
        # This test drives the reconciler itself, with the clock it travels.
        "SUPPORTBOT_RECONCILE_INTERVAL_SECONDS": "3600",
        "SUPPORTBOT_LOG_LEVEL": "INFO",
    }


@pytest.fixture
def worker_process(rt: Runtime, tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Start ``supportbot worker`` subprocesses on demand; kill any left at the end."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        kill_group(process)


def start_worker(rt: Runtime, tmp_path: Path, started: list[subprocess.Popen[bytes]]):  # type: ignore[no-untyped-def]
    with (tmp_path / f"worker-{len(started)}.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "supportbot", "worker"],
            cwd=tmp_path,
            env=worker_env(rt, tmp_path),
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own process group: RQ forks the scheduler as a child, and a kill of the
            # worker must take it too (as a container's OOM kill would), or it outlives us.
            start_new_session=True,
        )
    started.append(process)
    return process


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and its scheduler child (the group this test started)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(10)


def kill_mid_post(
    rt: Runtime,
    api: SlackStandin,
    tmp_path: Path,
    started: list[subprocess.Popen[bytes]],
    fault: str,
) -> int:
    """Run a real worker until it is posting the 50 % reminder, then SIGKILL it there."""
    incident_id = open_acme_sev2(rt, rt.clock, ago=timedelta(minutes=60, seconds=2))  # type: ignore[arg-type]
    assert timer(rt, incident_id, "response", 50).state == "pending"
    api.hang_seconds = 60  # hold the post far longer than the test takes to kill
    api.inject("chat.postMessage", fault)

    worker = start_worker(rt, tmp_path, started)
    held = api.wait_for(lambda c: c.method == "chat.postMessage" and c.fault == fault, timeout=30)
    assert REMINDER_50 in held[0].params["text"]  # the job is mid-flight on the reminder
    kill_group(worker)
    assert worker.returncode == -signal.SIGKILL
    return incident_id


def recover(rt: Runtime, clock: TravelClock, incident_id: int) -> None:
    """What the reconciler does a pass later: re-drive the owed posts, and a worker runs them."""
    # The dead worker's sync lock expires on its own within LOCK_SECONDS (not minutes);
    # Redis time cannot travel, so expire it now, as that much later.
    ttl = rt.redis.ttl(SYNC_LOCK.format(incident_id))
    assert 0 < ttl <= LOCK_SECONDS, ttl
    rt.redis.delete(SYNC_LOCK.format(incident_id))
    clock.advance(GRACE + timedelta(seconds=5))
    assert reconcile_once(rt)["slack_sync"] == 1
    drain(rt)


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param("drop", id="post-never-reached-slack"),
        pytest.param("timeout", id="slack-took-the-post-reply-lost"),
    ],
)
def test_worker_killed_mid_post_the_reminder_still_arrives_once(
    rt: Runtime,
    clock: TravelClock,
    slack_api: SlackStandin,
    worker_process: list[subprocess.Popen[bytes]],
    tmp_path: Path,
    fault: str,
) -> None:
    incident_id = kill_mid_post(rt, slack_api, tmp_path, worker_process, fault)
    # The timer fired in its own transaction before the post; the post is still owed by
    # the timeline and notification rows.
    fired = timer(rt, incident_id, "response", 50)
    assert fired.state == "fired" and fired.fired_at is not None
    assert "reminder:response:50" in unposted(rt, incident_id)

    recover(rt, clock, incident_id)

    assert len(thread_posts(rt, slack_api, incident_id, REMINDER_50)) == 1
    # The re-drive found the post marked in flight and looked for it in Slack first.
    assert len(slack_api.calls("conversations.replies")) == 1
    assert unposted(rt, incident_id) == []
    notifications_sent_once(rt, slack_api, incident_id)
    again = timer(rt, incident_id, "response", 50)
    assert (again.state, again.fired_at) == ("fired", fired.fired_at)


def test_redis_flushed_with_timers_scheduled_each_reminder_arrives_once(
    rt: Runtime, clock: TravelClock, slack_api: SlackStandin
) -> None:
    incident_id = open_acme_sev2(rt, clock, ago=timedelta(0))
    assert f"sla-INC-{incident_id}-response-50" in rt.queue.scheduled_job_registry.get_job_ids()

    rt.redis.flushdb()  # every scheduled job is gone; the rows still say what is owed
    assert rt.queue.scheduled_job_registry.get_job_ids() == []

    for step, pcts in ((61, [50]), (30, [75]), (18, [90]), (12, [100])):
        clock.advance(timedelta(minutes=step))
        assert reconcile_once(rt)["sla_timer"] == len(pcts)
        drain(rt)
        for pct in pcts:
            assert timer(rt, incident_id, "response", pct).state == "fired"
    for pct in (50, 75, 90):
        posts = thread_posts(rt, slack_api, incident_id, f"response target {pct}% used")
        assert len(posts) == 1, (pct, posts)
    assert len(thread_posts(rt, slack_api, incident_id, "breached its response target")) == 1
    assert unposted(rt, incident_id) == []
    notifications_sent_once(rt, slack_api, incident_id)

    # Another pass, and another flush, find nothing more to do.
    rt.redis.flushdb()
    before = len(slack_api.messages())
    assert reconcile_once(rt)["sla_timer"] == 0
    drain(rt)
    assert len(slack_api.messages()) == before


def test_a_timer_job_that_runs_twice_posts_nothing_new(
    rt: Runtime, clock: TravelClock, slack_api: SlackStandin
) -> None:
    incident_id = open_acme_sev2(rt, clock, ago=timedelta(0))
    clock.advance(timedelta(minutes=61))
    reconcile_once(rt)
    drain(rt)
    fired = timer(rt, incident_id, "response", 50)
    assert fired.state == "fired"
    posts_before, calls_before = len(slack_api.messages()), len(slack_api.calls())

    # The same job again, under its own id, as a redelivery or a second reconciler would;
    # then the job function called directly, twice; then a full reconciler pass.
    job_id = job_ids.sla_timer(fired.incident_id, fired.clock, fired.threshold)
    job = rt.queue.enqueue(SLA_TIMER.func, fired.id, job_id=job_id)
    drain(rt)
    assert job.return_value() == "stale"
    from supportbot.sla.firing import sla_timer

    set_runtime(rt)
    assert [sla_timer(fired.id), sla_timer(fired.id)] == ["stale", "stale"]
    reconcile_once(rt)
    drain(rt)

    again = timer(rt, incident_id, "response", 50)
    assert (again.state, again.fired_at) == ("fired", fired.fired_at)
    assert len(thread_posts(rt, slack_api, incident_id, REMINDER_50)) == 1
    assert len(slack_api.messages()) == posts_before
    assert len(slack_api.calls()) == calls_before  # not even a card update


def test_an_interrupted_post_that_cannot_be_checked_is_posted_again(
    rt: Runtime, clock: TravelClock, slack_api: SlackStandin
) -> None:
    """If Slack refuses the look-up (say, a missing history scope), post rather than drop."""
    incident_id = open_acme_sev2(rt, clock, ago=timedelta(minutes=60, seconds=10))
    set_runtime(rt)
    # Another worker's sync holds the incident, so the pump leaves the post to the sync.
    busy = sync_lock(rt, incident_id)
    assert busy.acquire(blocking=False)
    assert firing.fire(rt, timer(rt, incident_id, "response", 50).id) == "reminded"
    busy.release()
    with rt.session() as session:
        event_id = session.scalar(
            select(TimelineEvent.id).where(TimelineEvent.kind == "reminder:response:50")
        )
    rt.redis.set(f"supportbot:slack-post:event-{event_id}-internal", 1)  # as if interrupted
    slack_api.inject("conversations.replies", "missing_scope")

    drain(rt)

    assert [c.response["error"] for c in slack_api.calls("conversations.replies")] == [
        "missing_scope"
    ]
    assert len(thread_posts(rt, slack_api, incident_id, REMINDER_50)) == 1
    assert unposted(rt, incident_id) == []
    assert not rt.redis.exists(f"supportbot:slack-post:event-{event_id}-internal")


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param("drop", id="card-never-reached-slack"),
        pytest.param("timeout", id="slack-took-the-card-reply-lost"),
    ],
)
def test_worker_killed_mid_card_post_the_card_is_posted_once(
    rt: Runtime,
    clock: TravelClock,
    slack_api: SlackStandin,
    worker_process: list[subprocess.Popen[bytes]],
    tmp_path: Path,
    fault: str,
) -> None:
    """A worker killed between Slack taking the card and the commit of its ts: the next sync
    finds the card by its metadata and keeps it, rather than posting a second card."""
    clock.set(datetime.now(UTC))
    slack_api.hang_seconds = 60
    slack_api.inject("chat.postMessage", fault)
    incident = intake.open_incident(
        rt, title="checkout errors", severity=2, reporter="U0STAFF001",
        customer=rt.contracts.by_key("acme"),
    )  # fmt: skip
    rt.dispatcher.flush()  # the card's sync is queued for the worker, not run here
    worker = start_worker(rt, tmp_path, worker_process)
    [held] = slack_api.wait_for(
        lambda c: c.method == "chat.postMessage" and c.fault == fault, timeout=30
    )
    assert held.params["channel"] == TRIAGE and not held.params.get("thread_ts")  # the card
    kill_group(worker)
    with rt.session() as session:
        assert session.get(Incident, incident.id).card_ts is None  # type: ignore[union-attr]

    recover(rt, clock, incident.id)

    cards = [
        m
        for m in slack_api.messages(channel=TRIAGE)
        if m["method"] == "chat.postMessage" and not m.get("thread_ts")
    ]
    assert len(cards) == 1, [m["text"] for m in cards]
    with rt.session() as session:
        assert session.get(Incident, incident.id).card_ts == cards[0]["ts"]  # type: ignore[union-attr]
    # Looked for in Slack only when it may have got there (the mark outlived the kill).
    assert len(slack_api.calls("conversations.history")) == 1
    assert len(thread_posts(rt, slack_api, incident.id, "opened")) >= 1
    assert unposted(rt, incident.id) == []
    assert not rt.redis.exists(f"supportbot:slack-post:card-{incident.id}-internal")
