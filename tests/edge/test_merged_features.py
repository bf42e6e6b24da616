"""The features merged together (plans, credits, follow-ups, attention), tried as a user and as
an attacker through the real edges: each test here failed before its fix."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import yaml
from sqlalchemy import select

from handlers.commands.oncall import USAGE as ONCALL_USAGE
from supportbot.db.ledger import LedgerEntry, WorkTimer
from supportbot.db.reporting import MaintenanceWindow
from supportbot.desk import actions
from supportbot.incidents.access import Actor
from supportbot.incidents.commands import (
    CREDIT_WORDS,
    USAGE,
    WORK,
    ParsedCommand,
    parse_incident_command,
)
from supportbot.slack.plan_blocks import CALLBACK_LOG_TIME
from tests.conftest import REPO, Desk
from tests.edge.helpers import LogWatch
from tests.support.records import (
    ACME_ALICE,
    ACME_CHANNEL,
    GLOBEX_CHANNEL,
    GLOBEX_HANS,
    answer,
    posts,
    timeline,
)
from tests.support.slack_requests import STAFF


def say(desk: Desk, text: str, **kwargs: str) -> str:
    return answer(desk.slack.command(text, **kwargs))


def _timers(desk: Desk) -> list[WorkTimer]:
    with desk.rt.session() as session:
        return list(session.scalars(select(WorkTimer)))


def _time_entries(desk: Desk) -> int:
    with desk.rt.session() as session:
        return len(list(session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "time"))))


# -- a timer whose time cannot be logged still stops ---------------------------------------------
def test_a_timer_on_prepaid_work_without_an_approved_estimate_stops_and_logs_nothing(
    desk: Desk, logs: LogWatch
) -> None:
    say(desk, "sev4 upgrade the search cluster", channel=ACME_CHANNEL, user=ACME_ALICE)
    # A task: its time goes against the prepaid hours once a contact approves the estimate
    # (an incident without one logs under Acme's agreement).
    say(desk, "estimate INC-1 6h upgrade")
    assert say(desk, "timer start INC-1") == "Timer started."
    desk.rt.clock.advance(timedelta(minutes=20))  # type: ignore[attr-defined]

    said = say(desk, "timer stop INC-1")

    assert not said.startswith(":warning:"), said
    # The clock ticks on while the request travels: 20 min and a little are 21 started minutes.
    assert re.match(
        r"Timer stopped after 2[01] min; nothing was logged: INC-1's estimate is waiting", said
    )
    assert re.search(r"`/incident time INC-1 2[01]m` once it can be\.$", said)
    assert _timers(desk) == [] and _time_entries(desk) == 0
    # Before the fix the refusal rolled the stop back: the timer ran on and could neither be
    # stopped nor replaced by another one.
    assert say(desk, "timer start INC-1") == "Timer started."
    assert logs.tracebacks() == []


def test_a_timer_on_an_incident_closed_meanwhile_stops_and_logs_nothing(desk: Desk) -> None:
    say(desk, "sev4 upgrade the search cluster", channel=ACME_CHANNEL, user=ACME_ALICE)
    say(desk, "sev4 another request", channel=ACME_CHANNEL, user=ACME_ALICE)
    assert say(desk, "timer start INC-1") == "Timer started."
    staff = Actor.staff_member("U0STAFF002")
    actions.resolve(desk.rt, 1, staff, "done")
    actions.close(desk.rt, 1, staff)
    desk.rt.clock.advance(timedelta(minutes=5))  # type: ignore[attr-defined]

    said = say(desk, "timer stop INC-1")

    assert re.match(r"Timer stopped after [56] min; nothing was logged: INC-1 is closed", said)
    assert _timers(desk) == [] and _time_entries(desk) == 0
    assert any(e.kind == "timer" and "nothing logged" in e.text for e in timeline(desk.rt, 1))
    assert say(desk, "timer start INC-2") == "Timer started."


# -- `waive credit` is read with any white space and case -----------------------------------------
@pytest.mark.parametrize(
    ("text", "summary"),
    [
        ("waive credit INC-4 paged the wrong rota", "INC-4 paged the wrong rota"),
        ("waive credit\tINC-4 paged the wrong rota", "INC-4 paged the wrong rota"),
        ("waive Credit\nINC-4 paged", "INC-4 paged"),
        ("waive CREDIT", ""),
        ("waive availability acme 2026-11 dns", "availability acme 2026-11 dns"),
        ("waive Availability\tacme 2026-11 dns", "availability acme 2026-11 dns"),
    ],
)
def test_a_credit_waiver_is_read_whatever_the_white_space_and_case(text: str, summary: str) -> None:
    assert parse_incident_command(text) == ParsedCommand("credit_waive", summary=summary)


def test_a_credit_waiver_typed_with_a_tab_reaches_the_credit_rules(desk: Desk) -> None:
    say(desk, "sev2 checkout slow", channel=ACME_CHANNEL, user=ACME_ALICE)
    # Before the fix this was "'credit' is not an incident id" (a plan waiver of INC-credit).
    assert say(desk, "waive credit\tINC-1 our mistake") == (
        ":warning: INC-1 owes no response credit to waive"
    )
    assert say(desk, "waive Credit INC-1 our mistake") == (
        ":warning: INC-1 owes no response credit to waive"
    )


# -- the help text and the manifest name every subcommand ------------------------------------------
INCIDENT_WORDS = sorted(
    {
        *WORK,
        *(w for w in CREDIT_WORDS if w != "credit_waive"),
        "list",
        "note",
        "reply",
        "handover",
        "reopen",
        "close",
    }
    | {"help", "waive credit", "waive availability", "maintenance list", "maintenance cancel"}
)


def _hint(command: str) -> str:
    manifest = yaml.safe_load((REPO / "slack-app-manifest.yaml").read_text())
    (found,) = [c for c in manifest["features"]["slash_commands"] if c["command"] == command]
    return str(found["usage_hint"])


@pytest.mark.parametrize("word", INCIDENT_WORDS)
def test_incident_help_and_the_manifest_name_every_subcommand(word: str) -> None:
    assert f"`/incident {word}" in USAGE
    hint = " " + _hint("/incident").replace("|", " | ").replace("[", " ") + " "
    first, *more = word.split()
    assert f" {first} " in hint or f" {first}|" in _hint("/incident"), (word, hint)
    for rest in more:
        assert rest in hint, (word, hint)


def test_every_example_in_incident_help_is_understood() -> None:
    """Each example the help gives (placeholders filled in) parses: no example the parser
    refuses."""
    examples = re.findall(r"`(/incident [^`]+)`", USAGE)
    assert len(examples) >= 15, examples
    for example in examples:
        text = example.removeprefix("/incident ")
        text = re.sub(r"<[^>]+>|\[[^\]]*\]", "because", text)
        text = re.sub(r"(\w+)(\|\w+)+", r"\1", text)  # `start|stop`: the first of each
        text = text.replace("sev1–sev4", "sev1").replace("…", "").strip()
        parse_incident_command(text)  # raises CommandError on a refused example


@pytest.mark.parametrize("verb", ["override", "end-override", "swap", "calendar"])
def test_oncall_help_and_the_manifest_name_every_subcommand(verb: str) -> None:
    assert f"`/oncall {verb}" in ONCALL_USAGE
    assert verb in _hint("/oncall")


# -- /oncall swap: a time the clocks skip, and what was typed echoed short and inert --------------
AOIFE = "U0EMEA0001"  # in the example rotation, EMEA (Europe/Dublin)


def swap(desk: Desk, text: str) -> str:
    return answer(desk.slack.command(f"swap {text}", command="/oncall", user=AOIFE))


def test_a_swap_at_a_local_time_the_clocks_skip_is_refused_as_such(desk: Desk) -> None:
    # Dublin goes from 01:00 to 02:00 on Sunday 28 March 2027: 01:30 never happens there.
    said = swap(desk, "<@U0EMEA0002> 2027-03-28 01:30")
    assert said == (
        ":warning: 2027-03-28 01:30 does not exist in Europe/Dublin (the clocks skip it); "
        "name the day alone, or a time on either side of the change"
    )
    # The hour that happens twice (25 October 2026) is a real time: no such refusal.
    assert "does not exist" not in swap(desk, "<@U0EMEA0002> 2026-10-25 01:30")


@pytest.mark.parametrize(
    "text",
    [
        "<@U0EMEA0002> <!channel>",
        "<@U0EMEA0002> 2026-12-01 <!here>",
        "<@U0EMEA0002> 2026-12-01 08:00 <!everyone>",
        "<@U0EMEA0002> " + "x" * 3000,
    ],
)
def test_a_bad_swap_echoes_what_was_typed_short_and_inert(desk: Desk, text: str) -> None:
    said = swap(desk, text)
    assert said.startswith(":warning: ") and ("&lt;!" in said or "x…`" in said), said
    assert "<!" not in said
    assert len(said) < 400, len(said)


# -- /incident answers echo what was typed inert ---------------------------------------------------
def test_the_opened_answer_and_an_unknown_word_are_echoed_inert(desk: Desk) -> None:
    said = say(desk, "sev3 <!channel> look <https://evil.example|here>", channel=ACME_CHANNEL,
               user=ACME_ALICE)  # fmt: skip
    assert said.startswith("Opened *INC-1* for Acme Corp as Sev3 Medium: &lt;!channel&gt; look")
    assert "<!channel>" not in said and "<https://evil" not in said
    said = say(desk, "<!here>" + "x" * 3000)
    assert said.startswith(":warning: I don't know `&lt;!here&gt;xxx") and "<!here>" not in said
    assert len(said) < 2000


# -- the Log time form delivered twice logs once -----------------------------------------------
def test_the_log_time_form_delivered_twice_logs_the_time_once(desk: Desk, logs: LogWatch) -> None:
    say(desk, "sev3 exports fail", channel=GLOBEX_CHANNEL, user=GLOBEX_HANS)
    # A refusal stores nothing, so the same form corrected and sent again still counts.
    first = desk.slack.view_submission(CALLBACK_LOG_TIME, {"duration": "0m", "note": ""},
                                       private_metadata="1", view_id="V0LOGTIME1")  # fmt: skip
    assert first.json()["errors"]["duration"].startswith("`0m` is zero")
    for _ in range(2):  # Slack's retry, or a replayed request: the same view id
        sent = desk.slack.view_submission(CALLBACK_LOG_TIME, {"duration": "20m", "note": "traced"},
                                          private_metadata="1", view_id="V0LOGTIME1")  # fmt: skip
        assert sent.status_code == 200 and sent.text == ""
    desk.drain()
    assert _time_entries(desk) == 1
    assert [p["text"] for p in posts(desk.api, STAFF)] == [
        "Logged 20 min on INC-1: traced\nPer incident: 1 charged this month (150.00 EUR)"
    ]
    assert [e.kind for e in timeline(desk.rt, 1)].count("time") == 1
    assert logs.tracebacks() == []


# -- months and days at the end of the calendar -------------------------------------------------
@pytest.mark.parametrize(
    ("command", "text", "said"),
    [
        ("/sla", "report 9999-12", ":warning: '9999-12' is not a month; write it as YYYY-MM"),
        ("/sla", "report acme 9999-12", ":warning: '9999-12' is not a month; write it as YYYY-MM"),
        (
            "/incident",
            "waive availability acme 9999-12 their DNS",
            ":warning: '9999-12' is not a month; write it as YYYY-MM",
        ),
        (
            "/incident",
            "maintenance acme 9999-12-31 23:00 2h upgrade",
            ":warning: a maintenance window is declared at most a year ahead",
        ),
        (
            "/incident",
            "maintenance acme 2030-01-01 02:00 2h upgrade",
            ":warning: a maintenance window is declared at most a year ahead",
        ),
    ],
)
def test_the_last_month_and_day_of_the_calendar_are_refused_not_a_500(
    desk: Desk, logs: LogWatch, command: str, text: str, said: str
) -> None:
    response = desk.slack.command(text, command=command)
    desk.settle()  # before the fix: a listener raised ValueError / OverflowError (HTTP 500)
    assert answer(response).startswith(said)
    assert logs.tracebacks() == []
    with desk.rt.session() as session:
        assert session.scalars(select(MaintenanceWindow)).all() == []


def test_commands_that_take_an_at_mention_have_slack_escape_it() -> None:
    """`/incident handover INC-n @person` and `/oncall override|swap @person` read the person
    from ``<@U…>``; Slack sends a typed @mention that way only with ``should_escape: true``
    (otherwise as the bare text ``@name``, which is nobody's Slack id)."""
    manifest = yaml.safe_load((REPO / "slack-app-manifest.yaml").read_text())
    escaped = {c["command"]: c.get("should_escape") for c in manifest["features"]["slash_commands"]}
    assert escaped["/incident"] is True and escaped["/oncall"] is True
