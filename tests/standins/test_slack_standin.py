"""The Slack stand-in, driven through the real slack_sdk clients the bot uses."""

from __future__ import annotations

import threading
import time
import urllib.error
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.webhook import WebhookClient

from tests.standins import SLACK_TOKEN, SlackStandin, block_text

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "*INC-1042* site down"}}
MODAL = {"type": "modal", "title": {"type": "plain_text", "text": "New incident"}, "blocks": []}


class FakeClock:
    """A settable clock, like the one the app's tests inject."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def slack() -> Iterator[SlackStandin]:
    with SlackStandin(hang_seconds=0.5) as standin:
        yield standin


def client(slack: SlackStandin, **kwargs: object) -> WebClient:
    return WebClient(base_url=slack.api_url, token=SLACK_TOKEN, **kwargs)  # type: ignore[arg-type]


def test_auth_test_answers_like_slack_and_checks_the_token(slack: SlackStandin) -> None:
    data = client(slack).auth_test().data
    assert isinstance(data, dict)
    assert data["ok"] and data["user_id"] == slack.bot_user_id and data["bot_id"] == slack.bot_id
    assert data["team_id"] == slack.team_id and data["url"].startswith("https://")
    with pytest.raises(SlackApiError) as bad:
        WebClient(base_url=slack.api_url, token="xoxb-wrong").auth_test()
    assert bad.value.response["error"] == "invalid_auth"
    assert slack.calls("auth.test")[-1].headers["authorization"] == "Bearer xoxb-wrong"


def test_post_update_and_find_messages(slack: SlackStandin) -> None:
    web = client(slack)
    first = web.chat_postMessage(channel="C100", text="INC-1042 opened", blocks=[SECTION])
    reply = web.chat_postMessage(channel="C100", text="ack", thread_ts=first["ts"])
    other = web.chat_postMessage(channel="C200", text="unrelated")
    assert first["ts"] < reply["ts"] < other["ts"]
    web.chat_update(channel="C100", ts=first["ts"], text="INC-1042 acknowledged", blocks=[])
    assert [m["text"] for m in slack.messages(channel="C100")] == [
        "INC-1042 opened",
        "ack",
        "INC-1042 acknowledged",
    ]
    assert slack.messages(channel="C100")[0]["blocks"] == [SECTION]
    assert "site down" in block_text(slack.messages()[0]["blocks"])
    assert [m["ts"] for m in slack.messages(thread_ts=first["ts"])] == [reply["ts"]]
    assert slack.message("C100", first["ts"])["text"] == "INC-1042 acknowledged"  # type: ignore[index]
    with pytest.raises(SlackApiError, match="message_not_found"):
        web.chat_update(channel="C100", ts="1.000001", text="x")
    with pytest.raises(SlackApiError, match="no_text"):
        web.api_call("chat.postMessage", json={"channel": "C100"})
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        web.chat_postMessage(channel="C100", text="x", blocks=[SECTION] * 51)


def test_ts_is_unique_under_concurrent_posts(slack: SlackStandin) -> None:
    web = client(slack)
    threads = [
        threading.Thread(target=web.chat_postMessage, kwargs={"channel": "C1", "text": str(i)})
        for i in range(20)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    timestamps = [m["ts"] for m in slack.messages()]
    assert len(set(timestamps)) == 20


def test_ts_follows_the_injected_clock(slack: SlackStandin) -> None:
    slack.set_clock(FakeClock(datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)))
    web = client(slack)
    assert web.chat_postMessage(channel="C1", text="a")["ts"] == "1700000000.000000"
    assert web.chat_postMessage(channel="C1", text="b")["ts"] == "1700000000.000001"


def test_ephemeral_permalink_dm_and_channel_info(slack: SlackStandin) -> None:
    web = client(slack)
    slack.add_channel("C300", "acme-support", is_ext_shared=True)
    assert web.chat_postEphemeral(channel="C300", user="U1", text="only you")["message_ts"]
    link = web.chat_getPermalink(channel="C300", message_ts="1700000000.000100")["permalink"]
    assert link.endswith("/archives/C300/p1700000000000100")
    dm = web.conversations_open(users="U1")["channel"]["id"]
    assert dm.startswith("D") and web.conversations_open(users="U1")["channel"]["id"] == dm
    assert web.conversations_info(channel=dm)["channel"]["is_im"]
    assert web.conversations_info(channel="C300")["channel"]["is_ext_shared"]
    with pytest.raises(SlackApiError, match="channel_not_found"):
        web.conversations_info(channel="C999")


def test_users_info_known_and_unknown(slack: SlackStandin) -> None:
    slack.set_clock(FakeClock(datetime(2026, 7, 1, 12, tzinfo=UTC)))
    slack.add_user("U1", "ana", tz="Europe/Dublin", email="ana@example.com")
    user = client(slack).users_info(user="U1")["user"]
    assert user["tz"] == "Europe/Dublin" and user["tz_offset"] == 3600 and not user["is_bot"]
    assert user["team_id"] == slack.team_id and user["profile"]["email"] == "ana@example.com"
    with pytest.raises(SlackApiError, match="user_not_found"):
        client(slack).users_info(user="U404")


def test_views_open_update_push(slack: SlackStandin) -> None:
    web = client(slack)
    view = web.views_open(trigger_id="t1", view=MODAL)["view"]
    pushed = web.views_push(trigger_id="t1", view=MODAL)["view"]
    assert pushed["root_view_id"] == view["id"] and pushed["previous_view_id"] == view["id"]
    updated = web.views_update(
        view_id=view["id"], hash=view["hash"], view={**MODAL, "blocks": [SECTION]}
    )
    assert updated["view"]["blocks"] == [SECTION] and updated["view"]["hash"] != view["hash"]
    with pytest.raises(SlackApiError, match="hash_conflict"):
        web.views_update(view_id=view["id"], hash=view["hash"], view=MODAL)
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        web.views_open(
            trigger_id="t2", view={**MODAL, "title": {"type": "plain_text", "text": "x" * 25}}
        )


def test_unknown_method_is_answered_and_recorded(slack: SlackStandin) -> None:
    with pytest.raises(SlackApiError, match="unknown_method"):
        client(slack).api_call("pins.add", json={"channel": "C1"})
    assert slack.calls("pins.add")[0].params == {"channel": "C1"}
    slack.on("pins.add", lambda params: {"channel": params["channel"]})
    assert client(slack).api_call("pins.add", json={"channel": "C1"})["ok"]


def test_response_url_posts_are_recorded(slack: SlackStandin) -> None:
    url = slack.response_url()
    assert (
        WebhookClient(url).send(text="Opened INC-1042", response_type="ephemeral").status_code
        == 200
    )
    assert slack.responses(url) == [{"text": "Opened INC-1042", "response_type": "ephemeral"}]
    assert WebhookClient(slack.url + "/response/forged").send(text="x").status_code == 404


def test_429_then_success_with_the_rate_limit_handler(slack: SlackStandin) -> None:
    slack.inject("chat.postMessage", "429", retry_after=0)
    web = client(slack, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
    assert web.chat_postMessage(channel="C1", text="page")["ok"]
    first, second = slack.calls("chat.postMessage")
    assert (first.status, first.fault, first.response["error"]) == (429, "429", "ratelimited")
    assert second.status == 200 and len(slack.messages()) == 1


def test_429_without_a_handler_raises_with_retry_after(slack: SlackStandin) -> None:
    slack.inject("chat.postMessage", "429", retry_after=7)
    with pytest.raises(SlackApiError) as err:
        client(slack).chat_postMessage(channel="C1", text="page")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "7"


@pytest.mark.parametrize("kind", ["500", "503"])
def test_server_error_then_success_with_the_server_error_handler(
    slack: SlackStandin, kind: str
) -> None:
    slack.inject("chat", kind)  # a prefix matches every chat.* method
    fast = FixedValueRetryIntervalCalculator(0.01)
    web = client(slack, retry_handlers=[ServerErrorRetryHandler(interval_calculator=fast)])
    assert web.chat_postMessage(channel="C1", text="page")["ok"]
    assert [c.status for c in slack.calls()] == [int(kind), 200]


def test_slack_error_codes_can_be_injected(slack: SlackStandin) -> None:
    slack.inject("chat.postMessage", "not_in_channel", times=2)
    web = client(slack)
    for _ in range(2):
        with pytest.raises(SlackApiError, match="not_in_channel"):
            web.chat_postMessage(channel="C1", text="x")
    assert web.chat_postMessage(channel="C1", text="x")["ok"]
    with pytest.raises(ValueError):
        slack.inject("chat.postMessage", "Bad Kind")


def test_timeout_fault_is_handled_but_answered_too_late(slack: SlackStandin) -> None:
    slack.inject("chat.postMessage", "timeout")
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        client(slack, timeout=0.1).chat_postMessage(channel="C1", text="slow")
    assert len(slack.messages()) == 1  # the post happened; only the reply was lost


def test_drop_fault_closes_without_handling(slack: SlackStandin) -> None:
    slack.hang_seconds = 0.05
    slack.inject("chat.postMessage", "drop", times=2)
    with pytest.raises((ConnectionError, urllib.error.URLError)):
        client(slack, retry_handlers=[]).chat_postMessage(channel="C1", text="lost")
    assert slack.messages() == [] and slack.calls()[0].status is None
    # slack_sdk's default ConnectionErrorRetryHandler retries a dropped connection once.
    assert client(slack).chat_postMessage(channel="C1", text="retried")["ok"]
    assert [c.status for c in slack.calls()] == [None, None, 200]


def test_outage_window_follows_the_clock(slack: SlackStandin) -> None:
    clock = FakeClock(datetime(2026, 1, 5, 9, tzinfo=UTC))
    slack.set_clock(clock)
    slack.down_until(clock.now + timedelta(minutes=10), method="chat.postMessage")
    web = client(slack)
    with pytest.raises(SlackApiError):
        web.chat_postMessage(channel="C1", text="x")
    assert web.auth_test()["ok"]
    clock.now += timedelta(minutes=10)
    assert web.chat_postMessage(channel="C1", text="x")["ok"]
    slack.set_down(True)
    with pytest.raises(SlackApiError):
        web.auth_test()
    slack.set_down(False)
    assert web.auth_test()["ok"]


def test_wait_for_blocks_until_calls_arrive(slack: SlackStandin) -> None:
    web = client(slack)
    timer = threading.Timer(0.05, lambda: web.chat_postMessage(channel="C9", text="late"))
    timer.start()
    [call] = slack.wait_for(lambda c: c.params.get("channel") == "C9", timeout=2)
    assert call.params["text"] == "late"
    timer.join()
    with pytest.raises(AssertionError, match=r"expected 2 call\(s\).*chat.postMessage"):
        slack.wait_for("chat.postMessage", timeout=0.05, count=2)
    slack.clear()
    assert slack.calls() == []


def test_stop_releases_held_requests() -> None:
    standin = SlackStandin(hang_seconds=30).start()
    standin.inject("auth.test", "drop")
    worker = threading.Thread(
        target=lambda: pytest.raises(OSError, client(standin, retry_handlers=[]).auth_test),
        daemon=True,
    )
    worker.start()
    standin.wait_for("auth.test", timeout=2)
    started = time.monotonic()
    standin.stop()
    worker.join(timeout=5)
    assert not worker.is_alive() and time.monotonic() - started < 2


def test_usergroups_list_create_and_update_with_slacks_errors(slack: SlackStandin) -> None:
    api = client(slack)
    made = api.usergroups_create(name="On call L1", handle="oncall-l1")["usergroup"]
    assert made["handle"] == "oncall-l1" and made["users"] == []
    with pytest.raises(SlackApiError) as taken:
        api.usergroups_create(name="On call L1", handle="other")
    assert taken.value.response["error"] == "name_already_exists"
    with pytest.raises(SlackApiError) as handle:
        api.usergroups_create(name="Other", handle="oncall-l1")
    assert handle.value.response["error"] == "handle_already_exists"
    updated = api.usergroups_users_update(usergroup=made["id"], users=["U1", "U2"])
    assert updated["usergroup"]["users"] == ["U1", "U2"]
    assert slack.usergroup_members("oncall-l1") == ["U1", "U2"]
    with pytest.raises(SlackApiError) as empty:
        api.usergroups_users_update(usergroup=made["id"], users=[])
    assert empty.value.response["error"] == "invalid_users"  # Slack keeps one member at least
    with pytest.raises(SlackApiError) as missing:
        api.usergroups_users_update(usergroup="S0NOPE", users=["U1"])
    assert missing.value.response["error"] == "no_such_subteam"
    listed = api.usergroups_list(include_users=True)["usergroups"]
    assert [(g["handle"], g["users"]) for g in listed] == [("oncall-l1", ["U1", "U2"])]
    assert "users" not in api.usergroups_list()["usergroups"][0]
    assert api.usergroups_users_list(usergroup=made["id"])["users"] == ["U1", "U2"]

    # Faults apply to these methods like any other; the client's retry handler rides a 429.
    slack.inject("usergroups.users.update", "429", retry_after=0)
    slack.inject("usergroups.list", "500")
    patient = WebClient(
        token=SLACK_TOKEN, base_url=slack.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )  # fmt: skip
    patient.usergroups_users_update(usergroup=made["id"], users=["U3"])
    assert [c.status for c in slack.calls("usergroups.users.update")][-2:] == [429, 200]
    with pytest.raises(SlackApiError):
        api.usergroups_list()
    assert slack.usergroup_members("oncall-l1") == ["U3"]


def test_history_and_replies_come_in_pages_with_slacks_cursors(slack: SlackStandin) -> None:
    web = client(slack)
    parent = web.chat_postMessage(channel="C0TRIAGE", text="card")["ts"]
    for n in range(5):
        web.chat_postMessage(channel="C0TRIAGE", text=f"top {n}")
        web.chat_postMessage(channel="C0TRIAGE", text=f"reply {n}", thread_ts=parent)

    def walk(method: str, **where: object) -> list[list[str]]:
        pages, cursor = [], None
        while True:
            page = web.api_call(method, params=where | {"limit": 2, "cursor": cursor})
            pages.append([m["text"] for m in page["messages"]])
            cursor = page["response_metadata"]["next_cursor"]
            assert page["has_more"] == bool(cursor)
            if not cursor:
                return pages

    newest_first = ["top 4", "top 3", "top 2", "top 1", "top 0", "card"]
    assert walk("conversations.history", channel="C0TRIAGE") == [
        newest_first[i : i + 2] for i in range(0, 6, 2)
    ]
    replies = walk("conversations.replies", channel="C0TRIAGE", ts=parent)
    assert sum(replies, []) == ["card"] + [f"reply {n}" for n in range(5)]
    with pytest.raises(SlackApiError, match="invalid_cursor"):
        web.conversations_history(channel="C0TRIAGE", cursor="not a cursor")
