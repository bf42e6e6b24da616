"""Property-based fuzz of the edge: every request validly signed, none answered 5xx.

For ``/slack/events`` (slash commands, ``block_actions``, ``view_submission``,
``message_action``, ``event_callback`` and kinds no listener handles) and the Twilio
webhooks (``/twilio/sms``, ``/twilio/voice``, ``/twilio/voice/gather``, ``/twilio/status``),
payloads are drawn from strategies that mix the shapes Slack and Twilio send with wrong
types, missing keys, unicode, huge strings and nested junk. For every request:

- the status is below 500, and it is not the signature's refusal (the request reached the
  product: a fuzz that only exercised 401/403 would prove nothing);
- the answer comes within Slack's 3 seconds;
- no log record carries a traceback, and no Bolt listener raised;
- for a request drawn from an always-invalid sub-strategy, nothing stored changes.

After the run the worker drains everything the requests queued, and it must not log a
traceback either. Each test reuses one live desk for all its examples; the examples are
derandomized, so CI runs the same requests every time.

Bodies slack_bolt itself cannot read (not a JSON object, a number where Bolt's context
extraction expects an id or an object, an ``event`` that is not an object) are refused by
``web.py`` with 400 before Bolt sees them; the junk objects here use Bolt's keys too, so those
answers are part of the run.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.http import twilio
from supportbot.oncall import swaps
from supportbot.slack import cards
from tests.conftest import SIGNING_SECRET, Desk
from tests.edge.conftest import FROM_NUMBER
from tests.edge.helpers import (
    SLACK_DEADLINE,
    LogWatch,
    post_twilio,
    refused,
    signed_slack_headers,
)
from tests.standins import TwilioStandin
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
from tests.support.slack_requests import STAFF, TEAM_ID, TRIAGE

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
#: Twilio waits 15 seconds for a webhook; the product promises Slack's 3 everywhere.
DEADLINE = SLACK_DEADLINE

# -- building blocks ----------------------------------------------------------------------------
#: Text people and programs send: any unicode (no surrogates: not encodable), Slack markup,
#: ids typed by hand, control characters, and now and then something huge.
HUGE = st.builds(
    lambda chunk, n: chunk * n,
    st.sampled_from(["x", "²", "<!channel>", "\x00", "INC-", "💥", " \n"]),
    st.integers(500, 20_000),
)
TYPED = st.sampled_from(
    [
        "",
        " ",
        "INC-1",
        "inc-1",
        "1",
        "INC-²",
        "INC-0",
        "INC--1",
        "INC-99999999999999999999",
        "９",
        "1:1",
        "1:L1",
        "1:²",
        "<!channel>",
        "<@U0STAFF001>",
        "<https://evil.example|x>",
        "null",
        "{}",
        "[]",
        '{"ts": "1.2", "text": "site down"}',
        "\u202e\u0000\ufeff",
    ]
)
#: Around the sizes of the columns ids and timestamps are stored in (40, 50, 64 characters).
MEDIUM = st.text(min_size=35, max_size=80)
TEXT = st.one_of(st.text(max_size=40), st.text(max_size=40), TYPED, MEDIUM, HUGE)
SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    TEXT,
)
#: Keys slack_bolt reads, or recurses into, while it builds its request: junk objects use
#: them now and then, so the refusal of what Bolt cannot read is fuzzed too.
BOLT_KEYS = (
    "user team channel enterprise authorizations response_urls event is_ext_shared_channel "
    "message previous_message item assistant_thread is_enterprise_install "
    "function_execution_id bot_access_token function_data"
).split()
KEY = st.one_of(st.text(max_size=12), st.text(max_size=12), st.sampled_from(BOLT_KEYS))
JUNK = st.recursive(
    SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEY, inner, max_size=4)),
    max_leaves=8,
)


def _no_nul(text: str) -> str:
    """Tame values carry no NUL character: the edge refuses one anywhere (PostgreSQL cannot
    store it), so a tame payload with one would never reach a listener."""
    return text.replace("\x00", "")


#: Ids: mostly ones the desk knows, now and then any string an id field holds (the columns
#: take 50 characters; longer ones are wild, and refused).
ANY_ID = (
    st.one_of(st.text(min_size=1, max_size=50), st.text(min_size=38, max_size=50))
    .map(_no_nul)
    .filter(bool)
)
USERS = st.one_of(
    st.sampled_from([STAFF, "U0STAFF002", ACME_ALICE, "U0ACMECAROL", GLOBEX_HANS, "U0NOBODY"]),
    ANY_ID,
)
TEAMS = st.sampled_from([TEAM_ID, ACME_TEAM, "T0GLOBEX01", "T0STRANGERS"])
CHANNELS = st.one_of(
    st.sampled_from([TRIAGE, ACME_CHANNEL, GLOBEX_CHANNEL, "C0NOBODY01", "D0DIRECT01"]), ANY_ID
)
ACTION_IDS = st.sampled_from(
    [
        cards.ACTION_ACK,
        cards.ACTION_ASSIGN_ME,
        cards.ACTION_WAITING,
        cards.ACTION_SEVERITY,
        cards.ACTION_CONFIRM_SUGGESTION,
        cards.ACTION_ESCALATE,
        cards.ACTION_RESOLVE,
        cards.ACTION_OPEN_REQUEST,
        swaps.ACTION_ACCEPT,
        swaps.ACTION_DECLINE,
    ]
)


#: Junk at a key Bolt reads: mostly the types it can read (an id, an array, an object, null),
#: now and then anything.
BOLT_WILD = st.one_of(
    st.none(),
    TEXT,
    st.lists(JUNK, max_size=3),
    st.dictionaries(st.sampled_from(["id", "team_id", "name"]), JUNK, max_size=3),
    JUNK,
)
#: Values of the right type: an id of 1 to 64 characters, a message timestamp, free text.
ID = st.text(min_size=1, max_size=30).map(_no_nul).filter(bool)
TS = st.one_of(
    st.just("1700000000.000100"),
    st.floats(1.6e9, 1.8e9).map(lambda f: f"{f:.6f}"),
    ANY_ID.map(lambda t: t[:40]),  # a ts column holds 40
)
VALUE = st.one_of(TYPED, TEXT).map(_no_nul)
_serial = itertools.count(1)


def _fresh(prefix: str) -> st.SearchStrategy[str]:
    """An id never drawn before (a trigger id, a view id, an event id): Slack sends each once,
    and a repeated one is refused as a replay or a redelivery before any listener runs."""
    return st.builds(lambda: f"{prefix}{next(_serial):08d}")


FRESH_TRIGGER = _fresh("trigger.fuzz.")


@dataclass
class Pick:
    """Draws the fields of one payload. A tame payload has every key Slack sends, each of the
    right type (its text and ids still anything); a wild one now and then leaves a key out or
    puts junk of any type there. Half the examples are tame, so many reach the listeners."""

    draw: st.DrawFn
    tame: bool

    @classmethod
    def start(cls, draw: st.DrawFn) -> Pick:
        return cls(draw, draw(st.integers(0, 3).map(lambda i: i < 2)))

    def __call__(self, valid: st.SearchStrategy[Any], wild: st.SearchStrategy[Any] = JUNK) -> Any:
        if self.tame:
            return self.draw(valid)
        return self.draw(st.one_of(valid, valid, valid, wild))

    def put(
        self,
        out: dict[str, Any],
        key: str,
        valid: st.SearchStrategy[Any],
        wild: st.SearchStrategy[Any] = JUNK,
    ) -> None:
        """Set ``key``; in a wild payload, one time in five leave it out."""
        if self.tame or self.draw(st.integers(0, 4)):
            out[key] = self(valid, wild)


def _no_url() -> st.SearchStrategy[Any]:
    """Junk in place of a response URL: never a URL of another host (127.0.0.1 only)."""
    return st.one_of(
        TEXT.filter(lambda t: "://" not in t),
        SCALAR.filter(lambda v: not (isinstance(v, str) and "://" in v)),
    )


def _minted(minted: Callable[[], str]) -> st.SearchStrategy[str]:
    """A response URL the Slack stand-in minted (a fresh one per example)."""
    return st.builds(minted)


# -- Slack payloads -----------------------------------------------------------------------------
@st.composite
def command_fields(draw: st.DrawFn, minted: Callable[[], str]) -> dict[str, str]:
    """A slash command's form fields (always strings: the body is form-encoded)."""
    pick = Pick.start(draw)
    verb = st.sampled_from(
        ["", "sev1", "sev2", "SEV3", "sev4", "sev9", "note", "reply", "list", "help", "open"]
    )
    words = st.lists(st.one_of(TYPED, st.text(max_size=15), verb), max_size=5)
    text = st.one_of(
        st.builds(lambda v, w: " ".join([v, *w]), verb, words),
        st.builds(lambda v, k, w: f"{v} {k} {w}", st.sampled_from(["note", "reply"]), TYPED, TEXT),
        st.builds(lambda c, w: f"sev2 {w} customer:{c}", TEXT, st.text(max_size=20)),
        TEXT,
    ).map(_no_nul)
    fields: dict[str, str] = {"token": "legacy"}
    pick.put(fields, "command", st.sampled_from(["/incident", "/sla", "/oncall"]), TEXT)
    pick.put(fields, "text", text, TEXT)
    pick.put(fields, "user_id", USERS, TEXT)
    pick.put(fields, "team_id", TEAMS, TEXT)
    pick.put(fields, "channel_id", CHANNELS, TEXT)
    pick.put(fields, "trigger_id", FRESH_TRIGGER, TEXT)
    pick.put(fields, "response_url", _minted(minted), _no_url().map(str))
    if not pick.tame:
        fields |= draw(st.dictionaries(KEY.filter(lambda k: k not in fields), TEXT, max_size=2))
    return fields


def _user(pick: Pick) -> Any:
    return pick(st.fixed_dictionaries({"id": USERS, "team_id": TEAMS}), BOLT_WILD)


def _action(pick: Pick) -> dict[str, Any]:
    action: dict[str, Any] = {"type": "button"}
    pick.put(action, "action_id", ACTION_IDS)
    pick.put(action, "value", VALUE)
    pick.put(action, "block_id", st.sampled_from(["incident-1", "incident-2", "b"]) | VALUE)
    if pick.draw(st.booleans()):
        option = st.fixed_dictionaries({"value": st.sampled_from("12345") | VALUE})
        action |= {"type": "static_select", "selected_option": pick(option)}
    return action


def _message(pick: Pick) -> Any:
    """The message a button or shortcut was on: Bolt reads its ``user`` too."""
    message = st.fixed_dictionaries(
        {"text": VALUE, "ts": TS}, optional={"user": st.one_of(USERS, BOLT_WILD)}
    )
    return pick(message, st.one_of(st.none(), TEXT, st.lists(JUNK, max_size=2)))


@st.composite
def block_actions(draw: st.DrawFn, minted: Callable[[], str]) -> dict[str, Any]:
    pick = Pick.start(draw)
    payload: dict[str, Any] = {"type": "block_actions", "team": {"id": TEAM_ID}}
    payload["user"] = _user(pick)
    pick.put(payload, "channel", st.fixed_dictionaries({"id": CHANNELS}), BOLT_WILD)
    shape = draw(st.sampled_from(["several", "junk", "one", "one", "one"]))
    if shape == "one" or (pick.tame and shape == "junk"):
        payload["actions"] = [_action(pick)]
    elif shape == "several":
        payload["actions"] = [_action(pick) for _ in range(draw(st.integers(0, 3)))]
    else:
        payload["actions"] = draw(st.one_of(st.just([]), st.just({}), JUNK))
    pick.put(payload, "trigger_id", FRESH_TRIGGER)
    pick.put(payload, "response_url", _minted(minted), _no_url())
    payload["message"] = _message(pick)
    return payload


def _state(pick: Pick) -> Any:
    text_input = st.fixed_dictionaries({"type": st.just("plain_text_input"), "value": VALUE})
    option = st.sampled_from(["1", "2", "4", "9", "internal", "acme", "globex", "umbrella"])
    select = st.fixed_dictionaries(
        {
            "type": st.just("static_select"),
            "selected_option": st.one_of(st.fixed_dictionaries({"value": option | VALUE}), JUNK),
        }
    )
    element = st.one_of(text_input, text_input, select, st.dictionaries(KEY, JUNK, max_size=3))
    blocks = st.sampled_from(["title", "description", "customer", "severity", "summary"]) | VALUE
    values = st.dictionaries(blocks, st.fixed_dictionaries({"value": element}), max_size=6)
    return pick(st.fixed_dictionaries({"values": values}))


@st.composite
def view_submission(draw: st.DrawFn) -> dict[str, Any]:
    pick = Pick.start(draw)
    view: dict[str, Any] = {"type": "modal"}
    pick.put(view, "id", _fresh("V"))
    pick.put(view, "callback_id", st.sampled_from([cards.CALLBACK_NEW, cards.CALLBACK_RESOLVE]))
    metadata = st.one_of(
        st.builds(
            lambda c, ts: json.dumps({"channel": c, "ts": ts}), CHANNELS | JUNK, st.none() | TS
        ),
        st.sampled_from(["1", "2", ""]),
        VALUE,
    )
    pick.put(view, "private_metadata", metadata)
    view["state"] = _state(pick)
    payload: dict[str, Any] = {"type": "view_submission", "team": {"id": TEAM_ID}}
    payload["user"] = _user(pick)
    payload["view"] = view  # Bolt reads view.app_installed_team_id: an object it stays
    return payload


@st.composite
def message_shortcut(draw: st.DrawFn, minted: Callable[[], str]) -> dict[str, Any]:
    pick = Pick.start(draw)
    payload: dict[str, Any] = {"type": "message_action", "team": {"id": TEAM_ID}}
    pick.put(payload, "callback_id", st.just(cards.SHORTCUT_OPEN))
    payload["user"] = _user(pick)
    pick.put(payload, "channel", st.fixed_dictionaries({"id": CHANNELS}), BOLT_WILD)
    payload["message"] = _message(pick)
    pick.put(payload, "trigger_id", FRESH_TRIGGER)
    pick.put(payload, "response_url", _minted(minted), _no_url())
    return payload


@st.composite
def message_event(draw: st.DrawFn, threads: list[str]) -> dict[str, Any]:
    pick = Pick.start(draw)
    kind = st.sampled_from(["message"] * 6 + ["app_mention", "reaction_added"])
    event: dict[str, Any] = {"type": pick(kind)}
    pick.put(event, "channel", CHANNELS, BOLT_WILD)
    pick.put(event, "user", USERS, BOLT_WILD)
    pick.put(event, "text", st.one_of(VALUE, st.just("our site is down")))
    pick.put(event, "ts", TS)
    if draw(st.booleans()):
        event["thread_ts"] = draw(st.sampled_from(threads) | TS)
    for key, valid in (
        ("subtype", st.sampled_from(["bot_message", "message_changed", "thread_broadcast"])),
        ("bot_id", ID),
        ("user_team", TEAMS),
        ("team", TEAMS),
    ):
        if draw(st.integers(0, 3)) == 0:
            event[key] = pick(valid, BOLT_WILD if key in ("user_team", "team") else JUNK)
    return event


@st.composite
def event_callback(draw: st.DrawFn, threads: list[str]) -> dict[str, Any]:
    pick = Pick.start(draw)
    body: dict[str, Any] = {"token": "legacy", "team_id": TEAM_ID, "type": "event_callback"}
    body["event"] = draw(message_event(threads))
    pick.put(body, "event_id", _fresh("Ev"))
    return body


#: Objects made of the keys Bolt reads, nested the ways it looks through them.
BOLT_SHAPED = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.sampled_from(["U0X", "", "T0X"])),
    lambda inner: st.one_of(
        st.dictionaries(st.sampled_from([*BOLT_KEYS, "id", "team_id"]), inner, max_size=3),
        st.lists(inner, max_size=2),
    ),
    max_leaves=10,
)


@st.composite
def other_kind(draw: st.DrawFn) -> dict[str, Any]:
    """Kinds no listener handles, or no kind at all, with junk around them."""
    body: dict[str, Any] = dict(draw(st.dictionaries(KEY, JUNK, max_size=5)))
    kind = st.sampled_from(
        ["shortcut", "block_suggestion", "view_closed", "interactive_message", "workflow_step"]
    )
    if draw(st.integers(0, 4)):
        body["type"] = draw(kind | TEXT)
    if draw(st.booleans()):
        body["callback_id"] = draw(st.just(cards.SHORTCUT_OPEN) | TEXT)
    if draw(st.booleans()):
        body["actions"] = draw(st.one_of(st.just([]), st.just({}), JUNK))
    return body


# -- always invalid: refused by the typed models, or by the id parser ---------------------------
@st.composite
def invalid_interaction(draw: st.DrawFn, minted: Callable[[], str]) -> dict[str, Any]:
    """A handled kind broken in one way its model refuses."""
    kind = draw(st.sampled_from(["block_actions", "view_submission", "message_action"]))
    if kind == "block_actions":
        payload = draw(block_actions(minted))
        breaks: dict[str, Any] = {
            "user": draw(st.one_of(USERS, st.lists(TEXT, max_size=2), st.none())),
            "actions": draw(st.one_of(st.just([]), TEXT, st.dictionaries(TEXT, JUNK))),
        }
    elif kind == "view_submission":
        payload = draw(view_submission())
        values = st.one_of(TEXT, st.lists(JUNK, max_size=3), st.none(), st.integers())
        breaks = {"view": payload["view"] | {"state": {"values": draw(values)}}}
    else:
        payload = draw(message_shortcut(minted))
        breaks = {
            "trigger_id": draw(st.just("") | st.just("t" * 65) | st.lists(TEXT, max_size=1)),
            "user": draw(USERS),
        }
    key = draw(st.sampled_from(sorted(breaks)))
    return payload | {key: breaks[key]}


@st.composite
def invalid_event(draw: st.DrawFn, threads: list[str]) -> dict[str, Any]:
    """A message event whose ``ts`` no message has."""
    body = draw(event_callback(threads))
    event = dict(body["event"]) | {"type": "message", "channel": draw(CHANNELS)}
    event["user"] = draw(USERS)
    event["ts"] = draw(st.one_of(st.just(""), st.lists(TEXT, max_size=2), st.just("9" * 65)))
    return body | {"event": event}


@st.composite
def invalid_command(draw: st.DrawFn, minted: Callable[[], str]) -> dict[str, str]:
    """A slash command refused with an answer: an id no incident can have, a missing user or
    channel. (A command that also carries a ``type`` is refused as an interaction.)"""
    fields = dict(draw(command_fields(minted)))
    bad_id = st.sampled_from(["INC-²", "INC-0", "INC-99999999999999999999", "inc-", "INC-1.5"])
    how = draw(st.sampled_from(["sla", "note", "reply", "no-channel", "no-user", "typed"]))
    fields |= {"user_id": draw(USERS), "channel_id": draw(CHANNELS), "team_id": draw(TEAMS)}
    fields |= {"response_url": minted(), "trigger_id": f"trigger.bad.{time.time_ns()}"}
    fields |= {"command": draw(st.sampled_from(["/incident", "/sla", "/oncall"]))}
    fields.pop("type", None)
    if how == "sla":
        fields |= {"command": "/sla", "text": draw(bad_id)}
    elif how in ("note", "reply"):
        fields |= {"command": "/incident", "text": f"{how} {draw(bad_id)} {draw(TEXT)}x"}
    elif how == "no-channel":
        fields |= {"channel_id": ""}
    elif how == "no-user":
        fields |= {"user_id": ""}
    else:
        fields |= {"type": draw(st.sampled_from(["block_actions", "view_submission"]))}
    return fields


# -- the harness --------------------------------------------------------------------------------
@dataclass
class Edge:
    """Sends signed requests to the live desk and checks the properties after each."""

    desk: Desk
    logs: LogWatch
    threads: list[str]  # thread timestamps that exist (INC-1's in Acme's channel)
    session: requests.Session = field(default_factory=requests.Session)
    statuses: dict[int, int] = field(default_factory=dict)
    accepted: int = 0  # answered 2xx and not refused as malformed or replayed

    def assert_exercised(self, share: float = 0.25) -> None:
        """Enough examples passed the edge's checks to reach the listeners: a fuzz whose
        every request is refused up front tests the refusal and nothing behind it."""
        total = sum(self.statuses.values())
        assert self.accepted >= share * total, (self.accepted, self.statuses)

    def _check(self, send: Callable[[], requests.Response], invalid: bool) -> requests.Response:
        before = dump(self.desk.rt) if invalid else None
        refusals = refused("slack_malformed") + refused("slack_replay")
        self.logs.clear()
        started = time.monotonic()
        response = send()
        took = time.monotonic() - started
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        try:
            assert response.status_code < 500, (response.status_code, response.text[:300])
            assert response.status_code not in (401, 403), "the request never reached the product"
            assert took < DEADLINE, f"answered after {took:.2f}s"
        finally:
            # Every listener Bolt started has finished and none raised; also when the answer
            # already failed, so that no error is left over for the next example.
            self.desk.settle()
        self.logs.assert_no_traceback()
        if before is not None:
            assert dump(self.desk.rt) == before, "an invalid request changed what is stored"
        if response.status_code < 300 and refusals == refused("slack_malformed") + refused(
            "slack_replay"
        ):
            self.accepted += 1
        return response

    def slack(self, body: bytes, content_type: str, *, invalid: bool = False) -> requests.Response:
        headers = signed_slack_headers(SIGNING_SECRET, body, content_type)
        url = self.desk.slack.url
        return self._check(
            lambda: self.session.post(url, data=body, headers=headers, timeout=10), invalid
        )

    def command(self, fields: dict[str, str], *, invalid: bool = False) -> requests.Response:
        return self.slack(urlencode(fields).encode(), FORM, invalid=invalid)

    def interactive(self, payload: dict[str, Any], *, invalid: bool = False) -> requests.Response:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self.slack(body, FORM, invalid=invalid)

    def event(self, body: dict[str, Any], *, invalid: bool = False) -> requests.Response:
        return self.slack(json.dumps(body).encode(), JSON, invalid=invalid)

    def twilio(
        self, path: str, params: dict[str, str], *, invalid: bool = False
    ) -> requests.Response:
        return self._check(lambda: post_twilio(self.session, self.desk.url, path, params), invalid)

    def finish(self) -> None:
        """The worker runs whatever the requests queued; it must not log a traceback."""
        from tests.edge.helpers import refused

        print(
            "STATUSES",
            self.statuses,
            "malformed",
            refused("slack_malformed"),
            "replay",
            refused("slack_replay"),
            "listeners",
            len(self.desk.api.calls()),
        )
        self.logs.clear()
        self.desk.drain()
        self.logs.assert_no_traceback()


@pytest.fixture
def edge(desk: Desk, logs: LogWatch) -> Iterator[Edge]:
    # One real incident with its cards and an offer-able customer thread, so that drawn ids
    # (INC-1, page 1…) sometimes name something that exists.
    desk.slack.command("sev3 exports are slow", channel=ACME_CHANNEL)
    desk.drain()
    thread = incident(desk.rt, 1).customer_thread_ts
    assert thread is not None
    found = Edge(desk, logs, threads=[thread, "1700000000.000100"])
    yield found
    found.session.close()


# -- the properties -----------------------------------------------------------------------------
def test_slash_commands(edge: Edge) -> None:
    minted = edge.desk.api.response_url

    @FUZZ
    @given(fields=command_fields(minted))
    def one(fields: dict[str, str]) -> None:
        edge.command(fields)

    one()
    edge.finish()
    edge.assert_exercised()


def test_interactions(edge: Edge) -> None:
    minted = edge.desk.api.response_url
    payloads = st.one_of(block_actions(minted), view_submission(), message_shortcut(minted))

    @FUZZ
    @given(payload=payloads)
    def one(payload: dict[str, Any]) -> None:
        edge.interactive(payload)

    one()
    edge.finish()
    edge.assert_exercised()


def test_events_and_unhandled_kinds(edge: Edge) -> None:
    events = event_callback(edge.threads)

    @FUZZ
    @given(body=st.one_of(events, events, other_kind()), form=st.booleans())
    def one(body: dict[str, Any], form: bool) -> None:
        if form and body.get("type") != "event_callback":
            edge.interactive(body)
        else:
            edge.event(body)

    one()
    edge.finish()
    edge.assert_exercised(0.2)  # a third are kinds no listener handles


def test_bodies_shaped_like_what_bolt_reads(edge: Edge) -> None:
    """Objects built from the keys slack_bolt reads while it builds its request, nested the
    ways it recurses through them, as form payloads and as JSON: answered, never a 500."""
    kinds = st.sampled_from(["block_actions", "event_callback", "view_submission", "x"])

    @FUZZ
    @given(shaped=BOLT_SHAPED, kind=st.none() | kinds, form=st.booleans())
    def one(shaped: Any, kind: str | None, form: bool) -> None:
        body = shaped if isinstance(shaped, dict) else {"payload": shaped}
        if kind is not None:
            body = {**body, "type": kind}
        if form:
            edge.interactive(body)
        else:
            edge.event(body)

    one()
    edge.finish()


def test_invalid_slack_requests_change_nothing(edge: Edge) -> None:
    minted = edge.desk.api.response_url
    requests_ = st.one_of(
        invalid_command(minted).map(lambda f: ("command", f)),
        invalid_interaction(minted).map(lambda p: ("interactive", p)),
        invalid_event(edge.threads).map(lambda b: ("event", b)),
    )

    @FUZZ
    @given(request=requests_)
    def one(request: tuple[str, dict[str, Any]]) -> None:
        kind, body = request
        if kind == "command":
            said = edge.command(body, invalid=True)
            if said.status_code == 400:  # a field Bolt reads, of a shape it cannot read
                assert said.text.startswith("malformed Slack request: ")
            elif "type" not in body:
                assert answer(said).strip(), "a refused command says why"
        elif kind == "interactive":
            edge.interactive(body, invalid=True)
        else:
            edge.event(body, invalid=True)

    one()
    edge.finish()


# -- Twilio -------------------------------------------------------------------------------------
TWILIO_KEYS = st.sampled_from(
    [
        "From",
        "To",
        "Body",
        "Digits",
        "MessageSid",
        "CallSid",
        "MessageStatus",
        "CallStatus",
        "ErrorCode",
        "AccountSid",
        "SmsStatus",
    ]
)
STATUSES = st.sampled_from(
    ["queued", "sent", "delivered", "undelivered", "failed", "completed", "busy", "no-answer"]
)


@st.composite
def twilio_request(draw: st.DrawFn, known: dict[str, list[str]]) -> tuple[str, dict[str, str]]:
    route = draw(
        st.sampled_from(["/twilio/sms", "/twilio/voice", "/twilio/voice/gather", "/twilio/status"])
    )
    page = st.one_of(st.sampled_from(known["pages"]), TYPED, st.text(max_size=25), HUGE)
    query: dict[str, str] = {}
    if draw(st.integers(0, 4)):
        query["page"] = draw(page)
    query |= draw(st.dictionaries(st.text(min_size=1, max_size=8), TEXT, max_size=2))
    form: dict[str, str] = dict(draw(st.dictionaries(TWILIO_KEYS, TEXT, max_size=6)))
    values = {
        "From": st.sampled_from(known["phones"]) | TEXT,
        "Body": st.sampled_from(["ack", "ACK", "1A", "1a", "help", "stop"]) | TEXT,
        "Digits": st.sampled_from(["1", "2", "#", "", "11"]) | TEXT,
        "MessageSid": st.sampled_from(known["sids"]) | TEXT,
        "CallSid": st.sampled_from(known["sids"]) | TEXT,
        "MessageStatus": STATUSES | TEXT,
        "CallStatus": STATUSES | TEXT,
        "ErrorCode": st.sampled_from(["30003", "21610", "0", "-1", "²"]) | TEXT,
    }
    for key, value in values.items():
        if key in form or draw(st.integers(0, 3)) == 0:
            form[key] = draw(value)
    form |= draw(st.dictionaries(st.text(min_size=1, max_size=8), TEXT, max_size=2))
    return route + ("?" + urlencode(query) if query else ""), form


@pytest.fixture
def paged(edge: Edge, twilio_api: TwilioStandin) -> dict[str, list[str]]:
    """A Severity 1 paged by SMS and call, so drawn page ids, sids and numbers exist."""
    edge.desk.slack.command("sev1 checkout is down")
    edge.desk.drain()
    pages = [str(n) for n in range(1, 7)]
    sids = [str(r["sid"]) for r in [*twilio_api.messages(), *twilio_api.voice_calls()]]
    phones = sorted({str(r["to"]) for r in [*twilio_api.messages(), *twilio_api.voice_calls()]})
    assert sids and phones, "the Severity 1 paged nobody"
    assert incident(edge.desk.rt, 2).severity == 1
    return {"pages": pages, "sids": sids, "phones": [*phones, FROM_NUMBER, "+15550000000"]}


def test_twilio_webhooks(edge: Edge, paged: dict[str, list[str]]) -> None:
    @FUZZ
    @given(request=twilio_request(paged))
    def one(request: tuple[str, dict[str, str]]) -> None:
        path, form = request
        edge.twilio(path, form)

    one()
    edge.finish()
    # The sids and numbers drawn from are the pages actually sent, which vary with how far the
    # escalation got on a loaded machine: 47 of 150 reached the listeners here, 37 in one CI run.
    edge.assert_exercised(share=0.2)


def test_twilio_requests_naming_no_page_change_nothing(
    edge: Edge, paged: dict[str, list[str]]
) -> None:
    bad_page = st.one_of(
        st.sampled_from(["²", "-1", "0", "1.0", "0x1", "9" * 30, " ", "", "١"]),
        st.text(max_size=20).filter(lambda t: not (t.strip().isascii() and t.strip().isdigit())),
    )

    @FUZZ
    @given(
        route=st.sampled_from(["/twilio/voice", "/twilio/voice/gather"]),
        page=st.none() | bad_page,
        form=st.dictionaries(TWILIO_KEYS, TEXT, max_size=6),
    )
    def one(route: str, page: str | None, form: dict[str, str]) -> None:
        query = "" if page is None else "?" + urlencode({"page": page})
        response = edge.twilio(route + query, form, invalid=True)
        # A form larger than any Twilio sends is refused before it is read (handlers/http/twilio).
        too_large = len(urlencode(form)) > twilio.MAX_BODY
        assert response.status_code == (413 if too_large else 400)

    one()
    edge.finish()
