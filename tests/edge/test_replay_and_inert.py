"""Replays are refused; what people write is re-posted inert; nobody learns other customers.

- The same signed bytes sent twice are one request: Slack never sends one trigger id twice.
- A customer's ``<!channel>``, ``<!here>``, ``<@U…>`` and ``<https://…|label>`` reach the
  triage channel, the customer's channel and DMs escaped (``&lt;!channel&gt;``), so they
  notify nobody and link nowhere; staff keep plain mentions in their notes, never broadcasts.
- A customer-side user naming a customer learns nothing about the others.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import urlencode

import pytest
import requests

from supportbot.slack import cards
from tests.conftest import SIGNING_SECRET, Desk
from tests.edge.helpers import LogWatch, Rendered, refused, rendered_posts, signed_slack_headers
from tests.support.records import (
    ACME_ALICE,
    ACME_CHANNEL,
    ACME_TEAM,
    GLOBEX_CHANNEL,
    GLOBEX_HANS,
    answer,
    dump,
    ephemerals,
    incident,
    incidents,
    posts,
    timeline,
)
from tests.support.slack_requests import STAFF, TEAM_ID, TRIAGE

FORM = "application/x-www-form-urlencoded"
REPLAYED = ":no_entry: This request was already received, so nothing more was done."

#: Every control sequence a person can type into Slack, as Slack delivers it.
HOSTILE = "<!channel> <!here> <@U0STAFF001> <https://evil.example|your bank> <!everyone>"
#: Live forms that must never appear in what the bot posts from someone's text.
BROADCASTS = ("<!channel>", "<!here>", "<!everyone>", "<https://evil")
#: ...nor the mention a customer typed (in a test where that staff member does nothing).
LIVE = (*BROADCASTS, "<@U0STAFF001>")


# -- replays ------------------------------------------------------------------------------------
def _command_bytes(
    desk: Desk, text: str, *, user: str = STAFF, channel: str = TRIAGE, team: str = TEAM_ID
) -> bytes:
    """A slash command's form body, as Slack posts it (one trigger id, never sent again)."""
    fields = {
        "token": "legacy",
        "team_id": team,
        "team_domain": "test",
        "channel_id": channel,
        "user_id": user,
        "user_name": user.lower(),
        "command": "/incident",
        "text": text,
        "api_app_id": "A0APP00001",
        "response_url": desk.api.response_url(),
        "trigger_id": f"trigger.replay.{uuid.uuid4().hex}",
    }
    return urlencode(fields).encode()


def test_the_same_signed_command_bytes_twice_open_one_incident(desk: Desk, logs: LogWatch) -> None:
    body = _command_bytes(desk, "sev2 checkout is slow")
    headers = signed_slack_headers(SIGNING_SECRET, body, FORM)
    replays = refused("slack_replay")
    session = requests.Session()

    first = session.post(desk.slack.url, data=body, headers=headers, timeout=10)
    second = session.post(desk.slack.url, data=body, headers=headers, timeout=10)
    desk.drain()

    assert answer(first).startswith("Opened *INC-1* as ")
    assert answer(second) == REPLAYED
    assert [i.title for i in incidents(desk.rt)] == ["checkout is slow"]
    assert [e.kind for e in timeline(desk.rt, 1)].count("opened") == 1
    assert len([p for p in posts(desk.api, TRIAGE) if not p.get("thread_ts")]) == 1
    assert refused("slack_replay") == replays + 1
    logs.assert_no_traceback()


def test_a_replay_changes_nothing_even_after_the_first_was_worked(
    desk: Desk, logs: LogWatch
) -> None:
    body = _command_bytes(
        desk, "sev3 exports are slow", user=ACME_ALICE, channel=ACME_CHANNEL, team=ACME_TEAM
    )
    headers = signed_slack_headers(SIGNING_SECRET, body, FORM)
    session = requests.Session()
    assert answer(session.post(desk.slack.url, data=body, headers=headers, timeout=10))
    desk.drain()
    before = dump(desk.rt)

    for _ in range(3):
        again = session.post(desk.slack.url, data=body, headers=headers, timeout=10)
        assert answer(again) == REPLAYED
    desk.drain()

    assert dump(desk.rt) == before
    logs.assert_no_traceback()


def test_a_replayed_opening_is_refused_by_its_receipt_when_redis_has_forgotten(
    desk: Desk, logs: LogWatch
) -> None:
    """An opening's trigger is stored with the incident, in its transaction: a replay is
    refused even after Redis lost every key (a restart, an eviction, a flush)."""
    body = _command_bytes(desk, "sev2 checkout is slow")
    headers = signed_slack_headers(SIGNING_SECRET, body, FORM)
    session = requests.Session()
    assert answer(session.post(desk.slack.url, data=body, headers=headers, timeout=10))
    desk.drain()
    before = dump(desk.rt)
    replays = refused("slack_replay")

    desk.rt.redis.flushdb()
    again = session.post(desk.slack.url, data=body, headers=headers, timeout=10)
    desk.drain()

    assert answer(again) == REPLAYED
    assert dump(desk.rt) == before
    assert refused("slack_replay") == replays + 1
    logs.assert_no_traceback()


def test_the_same_opening_sent_at_once_from_many_connections_opens_one(
    desk: Desk, logs: LogWatch
) -> None:
    """Eight copies of one signed opening arrive together (they share a group commit or
    race for it): one is opened, seven are refused as replays, nothing is lost."""
    body = _command_bytes(desk, "sev3 exports are slow")
    headers = signed_slack_headers(SIGNING_SECRET, body, FORM)
    replays = refused("slack_replay")
    start = threading.Barrier(8)

    def send(_: int) -> str:
        start.wait()
        return answer(requests.post(desk.slack.url, data=body, headers=headers, timeout=10))

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, range(8)))
    desk.drain()

    assert Counter(a.split(" as ")[0] for a in answers) == {"Opened *INC-1*": 1, REPLAYED: 7}
    assert [i.title for i in incidents(desk.rt)] == ["exports are slow"]
    assert len([p for p in posts(desk.api, TRIAGE) if not p.get("thread_ts")]) == 1
    assert refused("slack_replay") == replays + 7
    logs.assert_no_traceback()


def test_the_commands_other_uses_are_still_refused_when_replayed(
    desk: Desk, logs: LogWatch
) -> None:
    """A note is checked by its trigger in Redis, before anything is written."""
    desk.slack.command("sev3 exports are slow")
    desk.drain()
    body = _command_bytes(desk, "note INC-1 the export job is stuck")
    headers = signed_slack_headers(SIGNING_SECRET, body, FORM)
    session = requests.Session()

    first = session.post(desk.slack.url, data=body, headers=headers, timeout=10)
    second = session.post(desk.slack.url, data=body, headers=headers, timeout=10)
    desk.drain()

    assert answer(first) == "Added to INC-1."
    assert answer(second) == REPLAYED
    notes = [e for e in timeline(desk.rt, 1) if "the export job is stuck" in e.text]
    assert len(notes) == 1
    logs.assert_no_traceback()


def test_a_replayed_button_press_is_refused_by_ephemeral(desk: Desk, logs: LogWatch) -> None:
    desk.slack.command("sev3 exports are slow", channel=ACME_CHANNEL)
    desk.drain()
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID},
        "user": {"id": STAFF, "team_id": TEAM_ID},
        "channel": {"id": TRIAGE},
        "trigger_id": f"trigger.replay.{uuid.uuid4().hex}",
        "response_url": desk.api.response_url(),
        "actions": [{"action_id": cards.ACTION_ESCALATE, "value": "1:L1", "type": "button"}],
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    headers = signed_slack_headers(SIGNING_SECRET, body, FORM)
    session = requests.Session()

    assert session.post(desk.slack.url, data=body, headers=headers, timeout=10).status_code == 200
    desk.drain()
    assert incident(desk.rt, 1).level == "L2"
    before = dump(desk.rt)
    desk.api.clear()

    again = session.post(desk.slack.url, data=body, headers=headers, timeout=10)
    desk.drain()

    assert (again.status_code, again.text) == (200, "")
    assert dump(desk.rt) == before
    deadline = time.monotonic() + 3
    while not ephemerals(desk.api) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert ephemerals(desk.api) == [REPLAYED]
    logs.assert_no_traceback()


# -- customer text is inert ---------------------------------------------------------------------
def _live_in(found: list[Rendered], live: tuple[str, ...] = LIVE) -> list[Rendered]:
    return [r for r in found if any(sequence in r.text for sequence in live)]


def _escaped(found: list[Rendered], channel: str) -> list[str]:
    return [r.text for r in found if r.channel == channel and "&lt;!channel&gt;" in r.text]


def test_a_contacts_message_that_opens_a_request_is_reposted_inert(
    desk: Desk, logs: LogWatch
) -> None:
    text = f"Our site is down {HOSTILE}\nplease call us"

    desk.slack.message(
        text, user=ACME_ALICE, channel=ACME_CHANNEL, user_team=ACME_TEAM, ts="1700000000.000100"
    )
    desk.drain()

    [opened] = incidents(desk.rt)
    assert opened.severity == 1 and opened.customer == "acme"
    assert opened.title.startswith("Our site is down <!channel>")  # stored as written
    found = rendered_posts(desk.api)
    assert _live_in(found) == []
    assert _escaped(found, TRIAGE), "the card shows the title, escaped"
    assert _escaped(found, ACME_CHANNEL), "the customer card shows the title, escaped"
    assert "&lt;https://evil.example|your bank&gt;" in "\n".join(r.text for r in found)
    logs.assert_no_traceback()


def test_an_offered_message_is_reposted_inert_once_opened(desk: Desk, logs: LogWatch) -> None:
    text = f"the export misses a column {HOSTILE}"

    desk.slack.message(
        text, user=ACME_ALICE, channel=ACME_CHANNEL, user_team=ACME_TEAM, ts="1700000000.000200"
    )
    desk.drain()
    [offer] = posts(desk.api, ACME_CHANNEL)
    [button] = offer["blocks"][1]["elements"]
    desk.slack.block_action(
        cards.ACTION_OPEN_REQUEST,
        value=button["value"],
        user=ACME_ALICE,
        user_team=ACME_TEAM,
        channel=ACME_CHANNEL,
    )
    desk.drain()

    assert [i.title for i in incidents(desk.rt)] == [f"the export misses a column {HOSTILE}"]
    found = rendered_posts(desk.api)
    assert _live_in(found) == []
    assert _escaped(found, TRIAGE) and _escaped(found, ACME_CHANNEL)
    logs.assert_no_traceback()


def test_a_customer_reply_in_the_thread_reaches_the_triage_thread_inert(
    desk: Desk, logs: LogWatch
) -> None:
    desk.slack.command("sev3 exports are slow", channel=ACME_CHANNEL)
    desk.drain()
    desk.api.clear()

    desk.slack.message(
        f"more detail {HOSTILE}",
        user=ACME_ALICE,
        channel=ACME_CHANNEL,
        user_team=ACME_TEAM,
        thread_ts=incident(desk.rt, 1).customer_thread_ts,
        ts="1700000000.000300",
    )
    desk.drain()

    found = rendered_posts(desk.api)
    copied = [r.text for r in found if r.channel == TRIAGE and "more detail" in r.text]
    assert copied and all("&lt;!channel&gt;" in t and "&lt;!here&gt;" in t for t in copied)
    assert _live_in(found) == []
    logs.assert_no_traceback()


def test_a_customers_command_reply_is_reposted_inert(desk: Desk, logs: LogWatch) -> None:
    desk.slack.command("sev3 exports are slow", channel=ACME_CHANNEL)
    desk.drain()
    desk.api.clear()

    said = answer(
        desk.slack.command(
            f"reply INC-1 more detail {HOSTILE}",
            user=ACME_ALICE,
            channel=ACME_CHANNEL,
            user_team=ACME_TEAM,
        )
    )
    desk.drain()

    assert said == "Added to INC-1."
    found = rendered_posts(desk.api)
    assert [r for r in found if "more detail" in r.text], "the reply was posted"
    assert _live_in(found) == []
    logs.assert_no_traceback()


def test_a_staff_note_keeps_a_plain_mention_live_but_never_a_broadcast(
    desk: Desk, logs: LogWatch
) -> None:
    desk.slack.command("sev3 exports are slow", channel=ACME_CHANNEL)
    desk.drain()
    desk.api.clear()

    said = answer(
        desk.slack.command(
            "note INC-1 cc <@U0STAFF002> and <#C0ONCALL01|oncall> <!here> "
            "<https://evil.example|runbook>"
        )
    )
    desk.drain()

    assert said == "Added to INC-1."
    [note] = [r.text for r in rendered_posts(desk.api) if "(internal)" in r.text]
    assert "<@U0STAFF002>" in note and "<#C0ONCALL01|oncall>" in note
    assert "&lt;!here&gt;" in note and "<!here>" not in note
    assert "&lt;https://evil.example|runbook&gt;" in note and "<https://evil" not in note
    assert all(r.channel == TRIAGE for r in rendered_posts(desk.api) if "(internal)" in r.text)
    logs.assert_no_traceback()


def test_a_staff_reply_keeps_mentions_but_not_broadcasts_in_the_customers_channel(
    desk: Desk, logs: LogWatch
) -> None:
    desk.slack.command("sev3 exports are slow", channel=ACME_CHANNEL)
    desk.drain()
    desk.api.clear()

    answer(desk.slack.command("reply INC-1 <@U0ACMEALICE> fixed <!channel> <!here>"))
    desk.drain()

    found = rendered_posts(desk.api)
    [reply] = [r.text for r in found if r.channel == ACME_CHANNEL and "fixed" in r.text]
    assert "<@U0ACMEALICE>" in reply
    assert "&lt;!channel&gt;" in reply and "&lt;!here&gt;" in reply
    assert not [r for r in found if "<!channel>" in r.text or "<!here>" in r.text]
    logs.assert_no_traceback()


@pytest.mark.parametrize("who", ["staff", "contact"])
def test_a_title_with_control_sequences_is_escaped_on_both_cards(
    desk: Desk, logs: LogWatch, who: str
) -> None:
    title = "<!channel> checkout <https://evil.example|login here> <!subteam^S0ALL|all> <@U0X1>"
    if who == "staff":
        said = answer(desk.slack.command(f"sev3 {title} customer:acme"))
    else:
        said = answer(
            desk.slack.command(
                f"sev3 {title}", user=ACME_ALICE, channel=ACME_CHANNEL, user_team=ACME_TEAM
            )
        )
    desk.drain()

    assert said.startswith("Opened *INC-1*")
    found = rendered_posts(desk.api)
    for channel in (TRIAGE, ACME_CHANNEL):
        shown = [r.text for r in found if r.channel == channel and "checkout" in r.text]
        assert shown, f"nothing about the incident reached {channel}"
        assert any("&lt;!channel&gt; checkout &lt;https://evil.example|login here&gt;" in t
                   for t in shown)  # fmt: skip
    assert not [r for r in found if "<!channel>" in r.text or "<https://evil" in r.text]
    assert not [r for r in found if "<!subteam" in r.text or "<@U0X1>" in r.text]
    logs.assert_no_traceback()


def test_a_form_title_reaches_the_openers_dm_inert(desk: Desk, logs: LogWatch) -> None:
    response = desk.slack.view_submission(
        cards.CALLBACK_NEW,
        {
            "title": "<!here> payments down <https://evil.example|status>",
            "description": "details <!channel>",
            "customer": {"selected": "acme"},
            "severity": {"selected": "2"},
        },
        private_metadata=json.dumps({"channel": TRIAGE}),
    )
    desk.drain()

    assert response.status_code == 200
    found = rendered_posts(desk.api)
    dms = [r.text for r in found if r.channel == STAFF]
    assert dms and all("&lt;!here&gt; payments down" in t for t in dms)
    assert _live_in(found, BROADCASTS) == []
    logs.assert_no_traceback()


def test_sla_and_list_answers_show_titles_inert(desk: Desk, logs: LogWatch) -> None:
    desk.slack.command(
        f"sev3 exports {HOSTILE}", user=ACME_ALICE, channel=ACME_CHANNEL, user_team=ACME_TEAM
    )
    desk.drain()

    for said in (
        answer(desk.slack.command("INC-1", command="/sla")),
        answer(desk.slack.command("list")),
        answer(
            desk.slack.command("list", user=ACME_ALICE, channel=ACME_CHANNEL, user_team=ACME_TEAM)
        ),
    ):
        assert "exports &lt;!channel&gt;" in said
        assert not any(live in said for live in LIVE)
    logs.assert_no_traceback()


def test_every_dm_and_post_of_a_worked_incident_stays_inert(desk: Desk, logs: LogWatch) -> None:
    """A customer's Severity 1 worked to resolution: every post anywhere, the DMs too."""
    desk.slack.message(
        f"site down {HOSTILE}",
        user=ACME_ALICE,
        channel=ACME_CHANNEL,
        user_team=ACME_TEAM,
        ts="1700000000.000400",
    )
    desk.drain()
    for action, value in ((cards.ACTION_ACK, "1"), (cards.ACTION_ASSIGN_ME, "1")):
        desk.slack.block_action(action, value=value)
        desk.drain()
    desk.travel(timedelta(hours=3, minutes=30))  # L3 engaged, resolution reminders: DMs
    desk.slack.view_submission(
        cards.CALLBACK_RESOLVE,
        {"summary": f"restarted the pool; thanks {HOSTILE}"},
        private_metadata="1",
    )
    desk.drain()

    found = rendered_posts(desk.api)
    assert incident(desk.rt, 1).status == "resolved"
    assert {r.channel for r in found} >= {TRIAGE, ACME_CHANNEL}
    dms = [r for r in found if r.channel.startswith(("U", "D")) and "site down" in r.text]
    assert {r.channel for r in dms} >= {STAFF}, "the assignee was reminded by DM"
    assert all(
        "site down &lt;!channel&gt; &lt;!here&gt; &lt;@U0STAFF001&gt;" in r.text for r in dms
    )
    # U0STAFF001 worked it, so their mention is live where the bot names them; a broadcast
    # or a disguised link never is, and the customer's own text never mentions anyone.
    assert _live_in(found, BROADCASTS) == []
    from_customer = [r for r in found if "site down" in r.text]
    assert from_customer and not [r for r in from_customer if "<@U0STAFF001>" in r.text]
    logs.assert_no_traceback()


# -- no enumeration -----------------------------------------------------------------------------
CUSTOMER_WORDS = ("acme", "acme corp", "globex", "globex gmbh", "initech")


def _names_nobody(said: str, typed: str) -> None:
    """Nothing in ``said`` names a customer, apart from the word the person typed."""
    rest = said.lower().replace(f"`{typed.lower()}`", "``")
    named = [w for w in CUSTOMER_WORDS if re.search(rf"\b{re.escape(w)}\b", rest)]
    assert named == [], f"{said!r} names {named}"


@pytest.mark.parametrize("typed", ["globex", "initech", "umbrella", "Globex", "acme-corp"])
@pytest.mark.parametrize(
    ("user", "channel"),
    [(ACME_ALICE, ACME_CHANNEL), (ACME_ALICE, TRIAGE), ("U0ACMECAROL", ACME_CHANNEL)],
    ids=["contact", "contact-elsewhere", "undesignated"],
)
def test_a_customer_naming_a_customer_learns_nothing_about_the_others(
    desk: Desk, logs: LogWatch, typed: str, user: str, channel: str
) -> None:
    before = dump(desk.rt)

    said = answer(
        desk.slack.command(
            f"sev2 customer:{typed} x", user=user, channel=channel, user_team=ACME_TEAM
        )
    )
    desk.drain()

    assert said == f":warning: No customer of yours is called `{typed}`."
    _names_nobody(said, typed)
    assert dump(desk.rt) == before
    logs.assert_no_traceback()


def test_a_foreign_and_an_unknown_customer_get_the_same_answer(desk: Desk) -> None:
    def said(typed: str) -> str:
        text = f"sev2 customer:{typed} x"
        return answer(
            desk.slack.command(
                text, user=GLOBEX_HANS, channel=GLOBEX_CHANNEL, user_team="T0GLOBEX01"
            )
        )

    assert said("acme").replace("acme", "?") == said("umbrella").replace("umbrella", "?")


def test_a_customer_name_that_is_slack_markup_is_shown_inert(desk: Desk) -> None:
    said = answer(
        desk.slack.command(
            "sev2 customer:<!channel> x", user=ACME_ALICE, channel=ACME_CHANNEL, user_team=ACME_TEAM
        )
    )
    assert "<!channel>" not in said


def test_staff_naming_an_unknown_customer_get_the_known_ones(desk: Desk) -> None:
    before = dump(desk.rt)

    said = answer(desk.slack.command("sev2 customer:umbrella reactor leak"))

    assert said == ":warning: Unknown customer `umbrella`. Known customers: acme, globex, initech."
    assert dump(desk.rt) == before


# The form once named other customers to a contact: the chosen key was looked up for anyone,
# and a channel-owner mismatch named both customers ("This channel belongs to Acme Corp; open
# Globex GmbH's…"), while an unknown key got "Unknown customer …".


def _submit_form(desk: Desk, customer: str, channel: str) -> str:
    response = desk.slack.view_submission(
        cards.CALLBACK_NEW,
        {
            "title": "x",
            "description": "",
            "customer": {"selected": customer},
            "severity": {"selected": "2"},
        },
        user=ACME_ALICE,
        user_team=ACME_TEAM,
        private_metadata=json.dumps({"channel": channel}) if channel else "",
    )
    said = response.json()
    assert said["response_action"] == "errors"
    [message] = said["errors"].values()
    return str(message)


@pytest.mark.parametrize(
    "channel",
    [
        ACME_CHANNEL,
        TRIAGE,
        "",
    ],
)
@pytest.mark.parametrize("typed", ["globex", "initech"])
def test_a_contacts_form_naming_another_customer_names_nobody(
    desk: Desk, logs: LogWatch, typed: str, channel: str
) -> None:
    """The form offers a contact only their own organisation; a submission naming another
    (Slack checks a select's options, so only a forged one could) learns nothing either."""
    before = dump(desk.rt)

    message = _submit_form(desk, typed, channel)
    desk.drain()

    _names_nobody(message.replace(repr(typed), f"`{typed}`"), typed)
    assert dump(desk.rt) == before
    logs.assert_no_traceback()


@pytest.mark.parametrize("channel", [ACME_CHANNEL, TRIAGE, ""])
def test_a_contacts_form_cannot_tell_a_foreign_customer_from_an_unknown_one(
    desk: Desk, channel: str
) -> None:
    foreign = _submit_form(desk, "globex", channel).replace("globex", "?")
    unknown = _submit_form(desk, "umbrella", channel).replace("umbrella", "?")
    assert foreign == unknown
