"""Slack rate limits and outages delay posts but lose none, and never post one twice."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import REGISTRY
from rq.registry import ScheduledJobRegistry
from sqlalchemy import update

from supportbot.clock import TravelClock
from supportbot.db.models import Incident
from supportbot.reconciler import reconcile_once
from supportbot.slack import cards
from supportbot.slack.jobs import GRACE, slack_sync_batch
from tests.conftest import Desk
from tests.delivery.test_dispatcher import queued_syncs
from tests.support.records import ACME_CHANNEL, incident, posts, thread
from tests.support.slack_requests import STAFF, TRIAGE

SYNC_JOB = "slack-sync-INC-1"


def _cards(desk: Desk, channel: str = TRIAGE) -> list[dict]:  # type: ignore[type-arg]
    return [p for p in posts(desk.api, channel) if not p.get("thread_ts")]


def _outcomes(desk: Desk, method: str) -> list[int | None]:
    return [c.status for c in desk.api.calls(method)]


def test_a_429_delays_the_card_but_posts_it_exactly_once(desk: Desk) -> None:
    desk.api.inject("chat.postMessage", "429", times=1, retry_after=0)

    desk.slack.command("sev2 checkout is slow")
    desk.drain()

    assert _outcomes(desk, "chat.postMessage")[:2] == [429, 200]
    [card] = _cards(desk)
    assert incident(desk.rt, 1).card_ts == card["ts"]
    assert thread(desk.api, TRIAGE, card["ts"]) == [
        f"<@{STAFF}> opened INC-1 as Sev2 High via /incident: checkout is slow"
    ]


def test_a_500_then_success_posts_exactly_once(desk: Desk) -> None:
    desk.slack.command("sev2 checkout is slow", channel=ACME_CHANNEL)
    desk.api.inject("chat.postMessage", "500", times=1)

    desk.drain()

    assert _outcomes(desk, "chat.postMessage")[:2] == [500, 200]
    assert len(_cards(desk)) == 1
    assert len(_cards(desk, ACME_CHANNEL)) == 1


def test_a_post_slack_took_before_the_connection_reset_is_not_posted_again(
    desk: Desk, clock: TravelClock
) -> None:
    """The client does not retry a post blindly on a dropped connection (Slack may have
    taken it): the job fails, and its retry finds the card in Slack and keeps it."""
    desk.api.inject("chat.postMessage", "reset")

    desk.slack.command("sev2 checkout is slow")
    desk.drain()  # the reset fails the job; RQ retries it later (in a second)
    assert len(desk.api.calls("chat.postMessage")) == 1
    [card] = _cards(desk)  # Slack has it, the database does not know
    assert incident(desk.rt, 1).card_ts is None

    clock.advance(GRACE + timedelta(seconds=1))
    assert reconcile_once(desk.rt)["slack_sync"] == 1
    desk.drain()

    assert _cards(desk) == [card] and incident(desk.rt, 1).card_ts == card["ts"]
    assert len(thread(desk.api, TRIAGE, card["ts"])) == 1
    # A dropped connection on anything but a post is still retried by the client at once.
    updates = len(desk.api.calls("chat.update"))
    desk.api.inject("chat.update", "reset")
    desk.slack.block_action(cards.ACTION_ACK, value="1")
    desk.drain()
    assert [c.status for c in desk.api.calls("chat.update")][updates:] == [200, 200]


def test_slack_down_longer_than_the_retries_is_recovered_by_the_reconciler(
    desk: Desk, clock: TravelClock
) -> None:
    desk.api.set_down(True, "chat.postMessage", "503")

    desk.slack.command("sev2 payments are failing")
    desk.drain()

    # Every attempt failed; the job gave up for now and nothing was posted.
    assert set(_outcomes(desk, "chat.postMessage")) == {503}
    assert len(desk.api.calls("chat.postMessage")) == 4  # the first try and three retries
    assert _cards(desk) == []
    assert incident(desk.rt, 1).card_ts is None
    assert SYNC_JOB in ScheduledJobRegistry(queue=desk.rt.queue).get_job_ids()

    desk.api.set_down(False)
    assert reconcile_once(desk.rt)["slack_sync"] == 0  # still within its grace
    clock.advance(GRACE + timedelta(seconds=1))
    assert reconcile_once(desk.rt)["slack_sync"] == 1
    desk.drain()

    [card] = _cards(desk)
    assert incident(desk.rt, 1).card_ts == card["ts"]
    assert len(thread(desk.api, TRIAGE, card["ts"])) == 1
    # Nothing is owed any more, so the next pass and a late retry post nothing new.
    assert reconcile_once(desk.rt)["slack_sync"] == 0
    from supportbot.slack.jobs import slack_sync

    slack_sync(1)
    assert len(_cards(desk)) == 1 and len(thread(desk.api, TRIAGE, card["ts"])) == 1


def test_an_update_that_failed_is_redriven_and_noted_once(desk: Desk, clock: TravelClock) -> None:
    desk.slack.command("sev2 checkout is slow")
    desk.drain()
    card_ts = incident(desk.rt, 1).card_ts
    desk.api.set_down(True, "chat.update", "fatal_error")  # Slack answers ok=false

    desk.slack.block_action(cards.ACTION_ACK, value="1")
    desk.drain()

    assert incident(desk.rt, 1).status == "acknowledged"  # the database moved on regardless
    assert thread(desk.api, TRIAGE, card_ts) == [thread(desk.api, TRIAGE, card_ts)[0]]

    desk.api.set_down(False)
    clock.advance(GRACE + timedelta(seconds=1))
    assert reconcile_once(desk.rt)["slack_sync"] == 1
    desk.drain()

    assert thread(desk.api, TRIAGE, card_ts)[-1] == f"<@{STAFF}> acknowledged"
    assert thread(desk.api, TRIAGE, card_ts).count(f"<@{STAFF}> acknowledged") == 1
    assert "Acknowledged" in str(desk.api.message(TRIAGE, card_ts)["blocks"])
    assert len(_cards(desk)) == 1


def test_a_customer_channel_slack_refuses_does_not_hold_up_the_team(
    desk: Desk, clock: TravelClock
) -> None:
    desk.api.add_channel(ACME_CHANNEL, is_ext_shared=True, is_archived=True)

    desk.slack.command("sev2 exports are slow", channel=ACME_CHANNEL)
    desk.slack.command("note INC-1 checking the export workers")
    desk.drain()

    # The team's card and its thread are complete; the customer side failed, visibly.
    opened = incident(desk.rt, 1)
    assert len(_cards(desk)) == 1
    assert thread(desk.api, TRIAGE, opened.card_ts)[-1] == (
        f"<@{STAFF}> (internal): checking the export workers"
    )
    assert opened.customer_card_ts is None
    assert SYNC_JOB in ScheduledJobRegistry(queue=desk.rt.queue).get_job_ids()

    desk.api.add_channel(ACME_CHANNEL, is_ext_shared=True, is_archived=False)
    clock.advance(GRACE + timedelta(seconds=1))
    assert reconcile_once(desk.rt)["slack_sync"] == 1
    desk.drain()

    assert len(_cards(desk, ACME_CHANNEL)) == 1
    assert len(_cards(desk)) == 1
    assert len(thread(desk.api, TRIAGE, opened.card_ts)) == 2


def test_a_sync_that_changes_nothing_updates_no_card(desk: Desk) -> None:
    desk.slack.command("sev2 checkout is slow", channel=ACME_CHANNEL)
    desk.drain()
    assert desk.api.calls("chat.update") == []
    from supportbot.slack.jobs import slack_sync

    # A sync owed by something that does not show on the cards (a page going out, a
    # redelivered job) leaves both cards alone.
    slack_sync(1)
    slack_sync(1)
    assert desk.api.calls("chat.update") == []

    # A real change updates each card once.
    desk.slack.block_action(cards.ACTION_ACK, value="1", user=STAFF, channel=TRIAGE)
    desk.drain()
    updated = sorted(call.params["channel"] for call in desk.api.calls("chat.update"))
    assert updated == sorted([TRIAGE, ACME_CHANNEL])
    slack_sync(1)
    assert len(desk.api.calls("chat.update")) == 2

    # Redis losing what the cards last showed costs one identical update, never a miss.
    desk.rt.redis.flushdb()
    slack_sync(1)
    assert len(desk.api.calls("chat.update")) == 4


def test_the_sync_lock_is_renewed_from_its_own_thread(desk: Desk) -> None:
    """A sync that outlives a renewal interval keeps its lock: the renewing thread can
    extend the lock the syncing thread took (no 'lost' lock, no thread traceback)."""
    import time

    from supportbot.delivery.lease import Renewed
    from supportbot.slack import sync

    lock = sync.sync_lock(desk.rt, 1)
    assert lock.acquire()
    held = Renewed(lock, every=sync.RENEW_SECONDS)
    try:
        time.sleep(sync.RENEW_SECONDS * 1.5)
        assert held.lost is None
        # Renewed: more of the lock's life is left than if nobody had extended it.
        ttl_ms = desk.rt.redis.pttl(lock.name)
        assert ttl_ms > (sync.LOCK_SECONDS - sync.RENEW_SECONDS * 1.5) * 1000
    finally:
        held.stop()
        lock.release()


def test_a_batch_of_cards_that_fails_part_way_leaves_the_rest_to_jobs_of_their_own(
    desk: Desk,
) -> None:
    """Cards owed together run as one job; at the first that Slack refuses, it and the ones
    not yet tried are owed again one by one, and nothing already posted is posted twice."""
    for n in range(1, 5):
        desk.slack.command(f"sev3 batch card {n}")
    desk.rt.dispatcher.flush()
    desk.rt.queue.empty()  # what the requests queued; the batch below owes the same cards
    desk.api.add_channel("C0ARCHIVED", is_archived=True)
    with desk.rt.session() as session:
        session.execute(update(Incident).where(Incident.id == 2).values(card_channel="C0ARCHIVED"))
    splits = _splits()

    slack_sync_batch([(1,), (2,), (3,), (4,)])
    desk.rt.dispatcher.flush()

    assert [incident(desk.rt, i).card_ts is not None for i in range(1, 5)] == [
        True, False, False, False  # INC-2 refused; INC-3 and INC-4 not tried
    ]  # fmt: skip
    assert sorted(queued_syncs(desk.rt)) == [2, 3, 4]
    assert _splits() == splits + 1

    with desk.rt.session() as session:
        session.execute(update(Incident).where(Incident.id == 2).values(card_channel=None))
    desk.drain()

    assert [incident(desk.rt, i).card_ts is not None for i in range(1, 5)] == [True] * 4
    assert len(_cards(desk)) == 4  # INC-1's card not posted again


def _splits() -> float:
    found = REGISTRY.get_sample_value("supportbot_batch_splits_total", {"job": "slack_sync_batch"})
    return found or 0.0
