"""Posting once across a crash (delivery/inflight), against the Slack stand-in and a real Redis.

The state a killed worker leaves is made as it would be: the in-flight mark in Redis, and the
message in Slack (it got there) or not (the connection dropped first).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from supportbot.delivery import inflight
from supportbot.runtime import Runtime
from tests.standins import SlackStandin
from tests.support.slack_requests import TRIAGE

KEY = "report-7-customer"
MARK = f"supportbot:slack-post:{KEY}"


def lookups(outcome: str) -> float:
    """Interrupted posts looked for, by outcome, so far in this process."""
    found = REGISTRY.get_sample_value("supportbot_slack_post_lookups_total", {"outcome": outcome})
    return found or 0.0


def posts(api: SlackStandin) -> list[dict[str, object]]:
    return [m for m in api.messages() if m["method"] == "chat.postMessage"]


def interrupted(rt: Runtime, *, reached: bool, **where: str) -> str | None:
    """The state a worker killed mid-post leaves: the mark, and the message if it got there."""
    rt.redis.set(MARK, 1)
    if not reached:
        return None
    made = rt.slack.chat_postMessage(text="the report", metadata=inflight.metadata(KEY), **where)
    return str(made["ts"])


def test_a_first_post_carries_its_key_and_marks_it_until_done(
    rt: Runtime, slack_api: SlackStandin
) -> None:
    ts = inflight.post(rt, KEY, {"channel": TRIAGE, "text": "the report"})
    [made] = posts(slack_api)
    assert made["ts"] == ts and made["metadata"]["event_payload"] == {"post": KEY}
    assert rt.redis.exists(MARK)  # until the caller has recorded the ts
    inflight.done(rt, KEY)
    assert not rt.redis.exists(MARK)
    assert slack_api.calls("conversations.history") == []  # nothing to look for


@pytest.mark.parametrize(
    "where",
    [
        pytest.param({"channel": TRIAGE}, id="channel"),
        pytest.param({"channel": TRIAGE, "thread_ts": "thread"}, id="thread"),
        pytest.param({"channel": "U0STAFF001"}, id="direct-message"),
    ],
)
def test_a_post_an_interrupted_attempt_made_is_found_not_repeated(
    rt: Runtime, slack_api: SlackStandin, where: dict[str, str]
) -> None:
    if "thread_ts" in where:
        parent = rt.slack.chat_postMessage(channel=TRIAGE, text="the card")
        where = where | {"thread_ts": str(parent["ts"])}
    before = interrupted(rt, reached=True, **where)
    count = len(posts(slack_api))

    again = inflight.post(rt, KEY, where | {"text": "the report"})

    assert again == before and len(posts(slack_api)) == count


def test_a_post_that_never_reached_slack_is_made(rt: Runtime, slack_api: SlackStandin) -> None:
    interrupted(rt, reached=False)
    ts = inflight.post(rt, KEY, {"channel": TRIAGE, "text": "the report"})
    assert [m["ts"] for m in posts(slack_api)] == [ts]
    assert len(slack_api.calls("conversations.history")) == 1  # it looked first


def test_when_slack_refuses_the_look_up_it_posts_rather_than_drops(
    rt: Runtime, slack_api: SlackStandin
) -> None:
    interrupted(rt, reached=False)
    slack_api.inject("conversations.history", "missing_scope")
    unchecked = lookups("unchecked")
    ts = inflight.post(rt, KEY, {"channel": TRIAGE, "text": "the report"})
    assert [m["ts"] for m in posts(slack_api)] == [ts]
    assert lookups("unchecked") == unchecked + 1


def test_a_failed_post_raises_and_leaves_its_mark_for_the_retry(
    rt: Runtime, slack_api: SlackStandin
) -> None:
    slack_api.inject("chat.postMessage", "channel_not_found")
    with pytest.raises(Exception, match="channel_not_found"):
        inflight.post(rt, KEY, {"channel": TRIAGE, "text": "the report"})
    assert rt.redis.exists(MARK)
    ts = inflight.post(rt, KEY, {"channel": TRIAGE, "text": "the report"})  # the retry
    assert [m["ts"] for m in posts(slack_api)] == [ts]


def others(rt: Runtime, count: int) -> None:
    """Posts by everyone else in the triage channel (a burst's other cards)."""
    for n in range(count):
        rt.slack.chat_postMessage(channel=TRIAGE, text=f"another card {n}")


def history_pages(api: SlackStandin) -> int:
    return len(api.calls("conversations.history"))


def test_a_post_found_hundreds_of_messages_back_is_not_repeated(
    rt: Runtime, slack_api: SlackStandin
) -> None:
    """A retry that runs after a backlog: the interrupted card is 450 cards back."""
    rt.redis.set(MARK, f"{time.time():.6f}")
    before = str(
        rt.slack.chat_postMessage(
            channel=TRIAGE, text="the report", metadata=inflight.metadata(KEY)
        )["ts"]
    )
    others(rt, 450)
    count, found = len(posts(slack_api)), lookups("found")

    again = inflight.post(rt, KEY, {"channel": TRIAGE, "text": "the report"})

    assert again == before and len(posts(slack_api)) == count
    assert history_pages(slack_api) == 3  # 200 + 200 + the page that holds it
    assert lookups("found") == found + 1


def test_the_look_up_stops_at_messages_older_than_the_attempt(
    rt: Runtime, slack_api: SlackStandin
) -> None:
    """An attempt that never reached Slack, in a channel with a long past: one page read."""
    long_ago = datetime.now(UTC) - timedelta(seconds=inflight.CLOCK_MARGIN_SECONDS + 60)
    slack_api.set_clock(lambda: long_ago)
    others(rt, 450)
    slack_api.set_clock(lambda: datetime.now(UTC))
    rt.redis.set(MARK, f"{time.time():.6f}")
    absent = lookups("absent")

    ts = inflight.post(rt, KEY, {"channel": TRIAGE, "text": "the report"})

    assert posts(slack_api)[-1]["ts"] == ts and len(posts(slack_api)) == 451
    assert history_pages(slack_api) == 1
    assert lookups("absent") == absent + 1


def test_a_mark_that_does_not_say_when_is_looked_for_pages_back(
    rt: Runtime, slack_api: SlackStandin
) -> None:
    """A mark set before marks held their start: found all the same, within MAX_PAGES."""
    before = interrupted(rt, reached=True, channel=TRIAGE)
    others(rt, 250)
    again = inflight.post(rt, KEY, {"channel": TRIAGE, "text": "the report"})
    assert again == before and history_pages(slack_api) == 2


def test_a_post_not_found_within_the_bounded_walk_is_made_and_said(
    rt: Runtime, slack_api: SlackStandin, caplog: pytest.LogCaptureFixture
) -> None:
    rt.redis.set(MARK, "1")  # no start: the walk is bounded by MAX_PAGES
    others(rt, inflight.MAX_PAGES * 200 + 1)
    gave_up, absent = lookups("gave_up"), lookups("absent")
    ts = inflight.post(rt, KEY, {"channel": TRIAGE, "text": "the report"})
    assert posts(slack_api)[-1]["ts"] == ts
    assert history_pages(slack_api) == inflight.MAX_PAGES
    assert f"{KEY}: not found in the last {inflight.MAX_PAGES * 200} messages" in caplog.text
    assert (lookups("gave_up"), lookups("absent")) == (gave_up + 1, absent)


def test_a_post_found_pages_down_a_long_thread_is_not_repeated(
    rt: Runtime, slack_api: SlackStandin
) -> None:
    """A Sev1's thread of hundreds of updates: read oldest first, to the page that holds it."""
    card = str(rt.slack.chat_postMessage(channel=TRIAGE, text="the card")["ts"])
    for n in range(450):
        rt.slack.chat_postMessage(channel=TRIAGE, thread_ts=card, text=f"update {n}")
    before = interrupted(rt, reached=True, channel=TRIAGE, thread_ts=card)
    count, found = len(posts(slack_api)), lookups("found")

    again = inflight.post(rt, KEY, {"channel": TRIAGE, "thread_ts": card, "text": "the report"})

    assert again == before and len(posts(slack_api)) == count
    assert len(slack_api.calls("conversations.replies")) == 3  # 452 messages, 200 a page
    assert lookups("found") == found + 1
