"""The monthly usage summary goes to each customer's shared channel by itself once the month
ended in the customer's zone: once, customer-safe, after a flushed Redis too, and a manual
``report usage --post`` afterwards posts nothing more."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from redis import Redis

from supportbot.desk import work
from supportbot.digests import usage_posts
from supportbot.digests.schedule import month_ended
from supportbot.incidents.access import Actor
from supportbot.settings import Settings
from tests.conftest import Desk, make_settings
from tests.plans.conftest import INITECH_CHANNEL, INITECH_PETER, write_contract
from tests.standins import SlackStandin
from tests.support.records import GLOBEX_CHANNEL, GLOBEX_HANS, answer
from tests.support.slack_requests import STAFF

HEADER = "*Support usage"
WITH_PLANS = ("acme", "globex", "initech", "umbrella", "wonka", "soylent")


@pytest.fixture
def settings(
    tmp_path: Path, redis: Redis, redis_url: str, database_url: str, slack_api: SlackStandin
) -> Iterator[Settings]:
    contract = write_contract(tmp_path / "customers.yaml")
    yield make_settings(tmp_path, redis_url, database_url, slack_api.api_url,
                        contracts_file=contract, scheduled_reports=True)  # fmt: skip


def summaries(slack_api: SlackStandin, channel: str) -> list[str]:
    return [m["text"] for m in slack_api.messages(channel=channel) if m["text"].startswith(HEADER)]


def at(desk: Desk, when: datetime) -> None:
    desk.travel(when - desk.rt.now())


def work_in_december(desk: Desk) -> None:
    say = desk.slack.command
    assert "Pack: 9 of 10 left" in answer(say("sev3 printers", channel=INITECH_CHANNEL,
                                              user=INITECH_PETER))  # fmt: skip
    say("sev3 the PDF is blank", channel=GLOBEX_CHANNEL, user=GLOBEX_HANS)
    work.log_time(desk.rt, 2, Actor.staff_member(STAFF), 20, "secret: the admin password")
    desk.drain()


def test_each_customer_hears_once_after_its_own_month_end(
    desk: Desk, slack_api: SlackStandin
) -> None:
    work_in_december(desk)
    # 23:59 on 31 December in Singapore: the month has not ended anywhere.
    at(desk, datetime(2026, 12, 31, 15, 59, tzinfo=UTC))
    assert summaries(slack_api, INITECH_CHANNEL) == []

    at(desk, datetime(2026, 12, 31, 16, 0, 30, tzinfo=UTC))  # midnight in Singapore
    assert summaries(slack_api, INITECH_CHANNEL) == [
        "*Support usage for Initech, December 2026*\n"
        "• incident pack: used 1 incident. Pack: 9 of 10 left\n"
        "  – INC-1 printers: 1 incident"
    ]
    assert summaries(slack_api, GLOBEX_CHANNEL) == []  # 17:00 in Berlin, still December

    at(desk, datetime(2026, 12, 31, 23, 0, 30, tzinfo=UTC))  # midnight in Berlin
    [globex] = summaries(slack_api, GLOBEX_CHANNEL)
    assert globex.startswith("*Support usage for Globex GmbH, December 2026*\n")
    assert "INC-2 the PDF is blank: 1 incident" in globex
    assert STAFF not in globex and "password" not in globex and GLOBEX_HANS not in globex

    # Hours, days and a manual re-run later: still one post each.
    for hours in (6, 30, 200):
        at(desk, datetime(2027, 1, 1, tzinfo=UTC) + timedelta(hours=hours))
    channels = [c for c in desk.rt.contracts.customers if c.key in WITH_PLANS]
    for customer in channels:
        assert len(summaries(slack_api, customer.channels[0])) == 1, customer.key
    assert summaries(slack_api, "C0HOOLI") == []  # no plans: nothing to summarise
    december = month_ended(channels[0], datetime(2027, 1, 5, tzinfo=UTC))[0]
    assert usage_posts.post_now(desk.rt, channels[0], december) == "acme: already posted"
    desk.drain()
    assert len(summaries(slack_api, channels[0].channels[0])) == 1


def test_a_summary_lost_with_redis_is_still_posted_once(
    desk: Desk, slack_api: SlackStandin
) -> None:
    work_in_december(desk)
    desk.rt.clock.set(datetime(2026, 12, 31, 16, 0, 30, tzinfo=UTC))  # type: ignore[attr-defined]
    assert usage_posts.redrive(desk.rt) == 1  # Initech's row, its job queued
    desk.rt.dispatcher.flush()
    desk.rt.redis.flushdb()  # the queued post is lost
    desk.drain()
    assert summaries(slack_api, INITECH_CHANNEL) == []

    desk.travel(timedelta(seconds=20))  # the reconciler owes the post again
    assert len(summaries(slack_api, INITECH_CHANNEL)) == 1
    usage_posts.post("usage-post:initech:2026-12")  # run again: posted already
    desk.travel(timedelta(seconds=20))
    assert len(summaries(slack_api, INITECH_CHANNEL)) == 1
