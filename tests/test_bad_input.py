"""Bad input gets a clear answer and changes nothing already stored (DESIGN.md §2.6, §2.8)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
import requests

from supportbot.contracts.customers import load_contracts
from supportbot.datafiles import DataFileError
from supportbot.incidents.commands import MAX_COMMAND_TEXT
from supportbot.incidents.lifecycle import DESCRIPTION_MAX, TITLE_MAX
from supportbot.slack import cards
from tests.conftest import REPO, Desk
from tests.support.records import (
    ACME_ALICE,
    ACME_CHANNEL,
    ACME_TEAM,
    GLOBEX_HANS,
    answer,
    dump,
    effects,
    incident,
    incidents,
    posts,
    timeline,
)
from tests.support.slack_requests import TRIAGE

CONTRACTS = (REPO / "contracts" / "customers.yaml").read_text()


@pytest.fixture
def opened(desk: Desk) -> Desk:
    """A desk with one Acme incident, its cards posted: the state bad input must not change."""
    desk.slack.command("sev3 exports are slow", channel=ACME_CHANNEL)
    desk.drain()
    return desk


# -- the edge: signatures -----------------------------------------------------------------------
def test_a_forged_signature_is_refused_with_401_and_changes_nothing(opened: Desk) -> None:
    before = dump(opened.rt)

    command = opened.slack.command("sev1 forged", signature="v0=" + "0" * 64)
    event = opened.slack.message(
        "our site is down",
        user=ACME_ALICE,
        channel=ACME_CHANNEL,
        user_team=ACME_TEAM,
        signature="v0=deadbeef",
    )
    action = opened.slack.block_action(cards.ACTION_ESCALATE, value="1", signature="v0=" + "f" * 64)
    opened.drain()

    assert [command.status_code, event.status_code, action.status_code] == [401, 401, 401]
    assert dump(opened.rt) == before
    assert 'supportbot_requests_refused_total{reason="slack_signature"}' in (
        opened.slack.session.get(opened.url + "/metrics").text
    )


def test_a_timestamp_older_than_five_minutes_is_refused_even_if_signed(opened: Desk) -> None:
    before = dump(opened.rt)
    stale = int(time.time()) - 5 * 60 - 5

    response = opened.slack.command("sev1 replayed", timestamp=stale)
    opened.drain()

    assert response.status_code == 401
    assert dump(opened.rt) == before
    # The same request signed now is accepted: only the age was wrong.
    assert opened.slack.command("sev1 fresh").status_code == 200


# -- commands -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sev9 meltdown", "I don't know `sev9`."),
        ("open checkout broken", "I don't know `open`."),
        ("sev2", "`/incident sev2` needs a summary"),
        ("sev2 customer:acme", "`/incident sev2` needs a summary"),
        ("note INC-1", "`/incident note` needs an incident id and text"),
        ("reply", "`/incident reply` needs an incident id and text"),
        ("note banana looks bad", "'banana' is not an incident id; use the form INC-1042"),
        ("reply INC-99 hello", "INC-99 does not exist"),
    ],
)
def test_unknown_or_malformed_command_text_explains_itself(
    opened: Desk, text: str, expected: str
) -> None:
    before = dump(opened.rt)

    said = answer(opened.slack.command(text))
    opened.drain()

    assert expected in said
    assert dump(opened.rt) == before


def test_unknown_command_text_shows_the_usage(opened: Desk) -> None:
    said = answer(opened.slack.command("pleasehelp"))
    assert "Usage:" in said and "`/incident sev1 <summary>`" in said


def test_an_unknown_customer_names_the_known_ones(opened: Desk) -> None:
    before = dump(opened.rt)

    said = answer(opened.slack.command("sev2 customer:umbrella reactor leak"))

    assert said == (
        ":warning: Unknown customer `umbrella`. Known customers: acme, globex, initech."
    )
    assert dump(opened.rt) == before


def test_a_contact_opening_from_a_channel_that_is_not_theirs_is_refused(opened: Desk) -> None:
    before = dump(opened.rt)

    for channel in (TRIAGE, "C0NOBODY01"):
        said = answer(opened.slack.command("sev2 hi", user=ACME_ALICE, channel=channel))
        assert said == (
            ":no_entry: You can open requests only for your own organisation, "
            "in its shared channel."
        )
    assert dump(opened.rt) == before


def test_an_external_user_in_a_channel_no_contract_names_is_told_so(opened: Desk) -> None:
    before = dump(opened.rt, receipts=False)

    opened.slack.message(
        "our site is down",
        user="U0STRANGER",
        channel="C0UNLINKED",
        user_team="T0STRANGERS",
        ts="1700000000.000700",
    )
    opened.drain()

    assert dump(opened.rt, receipts=False) == before
    [note] = opened.api.calls("chat.postEphemeral")
    assert note.params["user"] == "U0STRANGER"
    assert "isn't linked to a support contract" in note.params["text"]


# -- oversized input ----------------------------------------------------------------------------
def test_an_oversized_summary_is_refused_with_its_length(opened: Desk) -> None:
    before = dump(opened.rt)
    summary = "x" * (TITLE_MAX + 1)

    said = answer(opened.slack.command(f"sev2 {summary}"))

    assert said == (
        f":warning: the summary is {TITLE_MAX + 1} characters; keep it to "
        f"{TITLE_MAX} and put the rest in the description"
    )
    assert dump(opened.rt) == before


def test_an_oversized_command_is_refused_before_parsing(opened: Desk) -> None:
    before = dump(opened.rt)

    said = answer(opened.slack.command("sev2 " + "y" * MAX_COMMAND_TEXT))

    assert f"keep commands under {MAX_COMMAND_TEXT}" in said
    assert dump(opened.rt) == before


def test_oversized_form_fields_are_errors_on_those_fields(opened: Desk) -> None:
    before = dump(opened.rt)
    form = {
        "title": "ok",
        "description": "d" * (DESCRIPTION_MAX + 1),
        "customer": {"selected": "internal"},
        "severity": {"selected": "2"},
    }

    long_description = opened.slack.view_submission(cards.CALLBACK_NEW, form).json()
    long_title = opened.slack.view_submission(
        cards.CALLBACK_NEW, form | {"title": "t" * (TITLE_MAX + 1), "description": ""}
    ).json()

    assert long_description["errors"] == {
        "description": (
            f"the description is {DESCRIPTION_MAX + 1} characters; the limit is {DESCRIPTION_MAX}"
        )
    }
    assert list(long_title["errors"]) == ["title"]
    assert dump(opened.rt) == before


def test_an_oversized_resolution_summary_is_a_field_error(opened: Desk) -> None:
    before = dump(opened.rt)

    response = opened.slack.view_submission(
        cards.CALLBACK_RESOLVE, {"summary": "z" * (DESCRIPTION_MAX + 1)}, private_metadata="1"
    )

    assert list(response.json()["errors"]) == ["summary"]
    assert dump(opened.rt) == before


def test_a_huge_severity_1_message_still_opens_with_its_text_cut_to_fit(desk: Desk) -> None:
    text = "\n  \nOur site is down\n" + "stack trace line\n" * 3000

    desk.slack.message(
        text, user=ACME_ALICE, channel=ACME_CHANNEL, user_team=ACME_TEAM, ts="1700000000.000800"
    )
    desk.drain()

    opened = incident(desk.rt, 1)
    assert (opened.severity, opened.title) == (1, "Our site is down")
    assert len(opened.description) == DESCRIPTION_MAX


def test_a_long_message_still_gets_an_offer_that_fits_slack(desk: Desk) -> None:
    text = 'He said "the export is wrong"\n' * 200

    desk.slack.message(
        text, user=ACME_ALICE, channel=ACME_CHANNEL, user_team=ACME_TEAM, ts="1700000000.000900"
    )
    desk.drain()

    [offer] = posts(desk.api, ACME_CHANNEL)
    [button] = offer["blocks"][1]["elements"]
    assert len(button["value"]) <= 2000
    desk.slack.block_action(
        cards.ACTION_OPEN_REQUEST,
        value=button["value"],
        user=ACME_ALICE,
        user_team=ACME_TEAM,
        channel=ACME_CHANNEL,
    )
    desk.drain()
    assert incident(desk.rt, 1).title == 'He said "the export is wrong"'


# -- customers pressing staff buttons -----------------------------------------------------------
@pytest.mark.parametrize(
    ("action_id", "kwargs", "refusal"),
    [
        (
            cards.ACTION_SEVERITY,
            {"block_id": "incident-1", "selected": "1"},
            "change an incident's severity",
        ),
        (cards.ACTION_CONFIRM_SUGGESTION, {"value": "1:1"}, "change an incident's severity"),
        (cards.ACTION_ESCALATE, {"value": "1"}, "escalate an incident"),
        (cards.ACTION_RESOLVE, {"value": "1"}, "resolve an incident"),
        (cards.ACTION_ACK, {"value": "1"}, "acknowledge an incident"),
        (cards.ACTION_ASSIGN_ME, {"value": "1"}, "assign an incident"),
        (cards.ACTION_WAITING, {"value": "1"}, "mark an incident as waiting on the customer"),
    ],
)
@pytest.mark.parametrize("who", [ACME_ALICE, "U0ACMECAROL"])
def test_a_customer_pressing_a_staff_button_is_refused_by_ephemeral(
    opened: Desk, action_id: str, kwargs: dict[str, str], refusal: str, who: str
) -> None:
    before = dump(opened.rt)
    opened.api.clear()

    response = opened.slack.block_action(
        action_id, user=who, user_team=ACME_TEAM, channel=ACME_CHANNEL, **kwargs
    )
    opened.drain()

    assert response.status_code == 200
    [said] = opened.api.responses()
    assert said == {
        "text": f":no_entry: Only the support team can {refusal}. Reply in this "
        "thread and the team will pick it up.",
        "response_type": "ephemeral",
        "replace_original": False,
    }
    assert dump(opened.rt) == before
    assert opened.api.calls("views.open") == []  # Resolve opened no form either
    assert [m for m in effects(opened.api) if m != "response_url"] == []


def test_a_customer_cannot_add_internal_notes_by_command(opened: Desk) -> None:
    before = dump(opened.rt)
    said = answer(opened.slack.command("note INC-1 hi", user=ACME_ALICE, channel=ACME_CHANNEL))
    assert "Internal notes are for the support team" in said
    assert dump(opened.rt) == before


def test_another_orgs_incident_looks_like_one_that_does_not_exist(opened: Desk) -> None:
    before = dump(opened.rt)

    def refusal(number: int) -> list[str]:
        opened.api.clear()
        opened.slack.block_action(
            cards.ACTION_ESCALATE,
            value=str(number),
            user=GLOBEX_HANS,
            user_team="T0GLOBEX01",
            channel="C0GLOBEX",
        )
        opened.settle()
        return [r["text"] for r in opened.api.responses()]

    assert refusal(1) == [":no_entry: INC-1 does not exist"]
    assert refusal(99) == [":no_entry: INC-99 does not exist"]
    said = answer(opened.slack.command("reply INC-1 hello", user=GLOBEX_HANS, channel="C0GLOBEX"))
    assert said == ":warning: INC-1 does not exist"
    assert "INC-1" not in answer(opened.slack.command("list", user=GLOBEX_HANS, channel="C0GLOBEX"))
    # A reply typed into Acme's thread by someone of another org is not recorded either.
    opened.slack.message(
        "me too",
        user=GLOBEX_HANS,
        channel=ACME_CHANNEL,
        user_team="T0GLOBEX01",
        thread_ts=incident(opened.rt, 1).customer_thread_ts,
        ts="1700000000.000999",
    )
    opened.drain()
    assert dump(opened.rt, receipts=False) == {
        k: v for k, v in before.items() if k != "inbound_receipts"
    }


# -- duplicate deliveries -----------------------------------------------------------------------
def _site_down(ts: str = "1700000000.000200") -> dict[str, str]:
    return {
        "type": "message",
        "channel": ACME_CHANNEL,
        "user": ACME_ALICE,
        "text": "our site is down",
        "ts": ts,
        "user_team": ACME_TEAM,
        "channel_type": "channel",
    }


def test_a_retried_event_with_the_same_event_id_opens_one_incident(desk: Desk) -> None:
    desk.slack.event(_site_down(), event_id="Ev0SAME0001")
    desk.drain()
    before = dump(desk.rt)

    for retry in (1, 2, 3):
        response = desk.slack.event(_site_down(), event_id="Ev0SAME0001", retry_num=retry)
        assert response.status_code == 200
    desk.drain()

    assert dump(desk.rt) == before
    assert len(incidents(desk.rt)) == 1
    assert len([p for p in posts(desk.api, TRIAGE) if not p.get("thread_ts")]) == 1


def test_the_same_message_under_another_event_id_opens_one_incident(desk: Desk) -> None:
    desk.slack.event(_site_down(), event_id="Ev0FIRST001")
    desk.slack.event(_site_down(), event_id="Ev0SECOND01")
    desk.drain()

    [only] = incidents(desk.rt)  # not always INC-1: on PostgreSQL the loser of the race
    # for the message spent a sequence number when its insert rolled back
    assert [e.kind for e in timeline(desk.rt, only.id)].count("opened") == 1


def test_concurrent_deliveries_of_one_message_open_one_incident(desk: Desk) -> None:
    statuses: list[int] = []

    def deliver(i: int) -> None:
        client = replace(desk.slack, session=requests.Session())  # one connection each
        statuses.append(client.event(_site_down(), event_id=f"Ev0RACE{i:04d}").status_code)

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    desk.drain()

    assert statuses == [200] * 6

    assert len(incidents(desk.rt)) == 1
    assert len(posts(desk.api, ACME_CHANNEL)) == 1


def test_a_retried_ordinary_message_is_offered_once(desk: Desk) -> None:
    event = _site_down() | {"text": "the export misses a column"}
    desk.slack.event(event, event_id="Ev0OFFER001")
    desk.slack.event(event, event_id="Ev0OFFER001", retry_num=1)
    desk.slack.event(event, event_id="Ev0OFFER002")
    desk.drain()

    assert len(posts(desk.api, ACME_CHANNEL)) == 1
    assert incidents(desk.rt) == []


# -- the contracts file -------------------------------------------------------------------------
def _line_of(text: str, needle: str) -> int:
    """The last line holding ``needle`` (a duplicate is blamed where it repeats)."""
    return [n for n, line in enumerate(text.splitlines(), 1) if needle in line][-1]


@pytest.mark.parametrize(
    ("old", "new", "blame", "message"),
    [
        (
            "contacts: [U0ACMEALICE, U0ACMEBOB]",
            "contacts: [U0ACMEALICE, U0ACMEBOB, U0C3, U0D4]",
            "contacts: [U0ACMEALICE",
            "4 designated contacts given; the contract allows at most 3",
        ),
        (
            "tier: Standard",
            "tier: Gold",
            "tier: Gold",
            "unknown tier 'Gold'; use one of Premier, Standard, Basic",
        ),
        (
            "timezone: Europe/Berlin",
            "timezone: Europe/Atlantis",
            "Europe/Atlantis",
            "unknown time zone 'Europe/Atlantis'",
        ),
        (
            "channels: [C0INITECH]",
            "channels: [C0INITECH, C0GLOBEX]",
            "C0INITECH, C0GLOBEX",
            "channel C0GLOBEX belongs to both 'globex' and 'initech'",
        ),
        ("key: initech", "key: globex", "key: globex", "customer key 'globex' is declared twice"),
        (
            "    timezone: Europe/Berlin",
            "    timezone: Europe/Berlin\n    timezone: Asia/Tokyo",
            "timezone: Asia/Tokyo",
            "duplicate key 'timezone' (first on line",
        ),
        ("    language: de", "    language: [de", "language: [de", "invalid YAML"),
        (
            "    language: de",
            "    language: 2026-02-30",
            "language: 2026-02-30",
            "invalid value '2026-02-30': day is out of range for month",
        ),
        (
            "contacts: [U0GLOBEXHANS]",
            "contacts: [hans@globex.example]",
            "hans@globex",
            "is not a Slack user id",
        ),
    ],
)
def test_a_contracts_file_with_an_error_names_file_and_line(
    tmp_path: Path, old: str, new: str, blame: str, message: str
) -> None:
    broken = CONTRACTS.replace(old, new)
    assert broken != CONTRACTS
    path = tmp_path / "customers.yaml"
    path.write_text(broken)
    blame_line = _line_of(broken, blame)

    with pytest.raises(DataFileError) as caught:
        load_contracts(path)

    problem = next(p for p in caught.value.problems if message in p.message)
    assert problem.path == str(path)
    # A YAML syntax error is found where the parser gives up, at most a line or two later.
    assert blame_line <= (problem.line or 0) <= blame_line + (2 if "YAML" in message else 0)
    assert f"{path}:{problem.line}: " in str(caught.value)


@pytest.mark.parametrize("text", ["", "\n# everything deleted\n"])
def test_an_empty_contracts_file_is_refused_not_read_as_no_customers(
    tmp_path: Path, text: str
) -> None:
    """An editor's truncated save: read as "no customers", a running service dropped every
    customer without a word; refused, the last good copy stays in use."""
    path = tmp_path / "customers.yaml"
    path.write_text(text)
    with pytest.raises(DataFileError, match="the file is empty; write `customers: \\[\\]`"):
        load_contracts(path)
    path.write_text("customers: []\n")
    assert load_contracts(path).customers == ()


def test_a_bad_contracts_file_on_reload_keeps_the_good_copy(rt, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "customers.yaml"
    path.write_text(CONTRACTS)
    rt.settings = rt.settings.model_copy(update={"contracts_file": path})
    rt.reload_files()
    good = rt.contracts

    path.write_text(CONTRACTS.replace("tier: Basic", "tier: Platinum"))
    with pytest.raises(DataFileError):
        rt.reload_files()

    assert rt.contracts is good
    assert rt.contracts.by_key("initech").tier == "basic"  # type: ignore[union-attr]


# -- supportbot check ---------------------------------------------------------------------------
def _check(tmp_path: Path, **env: str) -> tuple[int, str]:
    """Run ``python -m supportbot check`` as an operator would, with only ``env`` configured."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "SUPPORTBOT_", "TWILIO_", "REDIS_", "DATABASE_"))
    }
    clean |= {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "s3cret-s3cret",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SUPPORTBOT_TRIAGE_CHANNEL": TRIAGE,
        "SUPPORTBOT_ONCALL_CHANNEL": "C0ONCALL01",
        "SUPPORTBOT_CONTRACTS_FILE": str(REPO / "contracts" / "customers.yaml"),
        "SUPPORTBOT_TRIAGE_RULES_FILE": str(REPO / "contracts" / "triage.yaml"),
        "SUPPORTBOT_ROTATIONS_DIR": str(REPO / "rotations"),
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-m", "supportbot", "check", "--offline"],  # no slack.com from tests
        cwd=tmp_path,  # no stray .env
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.returncode, done.stdout + done.stderr


def test_check_names_every_problem_and_exits_non_zero(tmp_path: Path, redis_url: str) -> None:
    contracts = tmp_path / "customers.yaml"
    contracts.write_text(CONTRACTS.replace("timezone: Asia/Singapore", "timezone: Mars/Olympus"))

    code, out = _check(
        tmp_path,
        SLACK_API_URL="slack.example/api",
        REDIS_URL="redis://127.0.0.1:1/0",
        SUPPORTBOT_CONTRACTS_FILE=str(contracts),
    )

    assert code != 0, out
    line = _line_of(CONTRACTS, "Asia/Singapore")
    assert f"{contracts}:{line}: customers[2].timezone: unknown time zone 'Mars/Olympus'" in out
    assert "SLACK_API_URL='slack.example/api/' is not an http(s) URL" in out
    assert "Redis at REDIS_URL is unreachable" in out
    assert "s3cret" not in out and "xoxb-test" not in out

    # The same configuration with those three put right has none of these problems.
    code, out = _check(tmp_path, REDIS_URL=redis_url)
    problems = [line for line in out.splitlines() if line.startswith("problem:")]
    assert not [p for p in problems if "customers.yaml" in p or "URL" in p], out
