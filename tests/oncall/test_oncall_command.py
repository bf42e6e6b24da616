"""``/oncall`` as a script: signed slash commands in, ephemeral answers and channel posts out."""

from __future__ import annotations

from datetime import timedelta

import pytest

from supportbot.oncall import lookup
from tests.conftest import Desk
from tests.oncall.conftest import (
    AOIFE,
    BRAM,
    CHLOE,
    ELENA,
    ONCALL,
    PUBLIC_URL,
    SATURDAY_NOON,
    TUESDAY_10_DUBLIN,
    blocks_text,
    mention,
    oncall_posts,
    override_rows,
)
from tests.support.records import ACME_ALICE, ACME_CHANNEL, answer
from tests.support.slack_requests import STAFF


def oncall_cmd(desk: Desk, text: str = "", *, user: str = STAFF, **kwargs: object):  # type: ignore[no-untyped-def]
    return desk.slack.command(text, command="/oncall", user=user, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def tuesday(desk: Desk) -> None:
    desk.rt.clock.set(TUESDAY_10_DUBLIN)  # type: ignore[attr-defined]


def test_show_on_a_tuesday_morning_in_dublin(desk: Desk) -> None:
    response = oncall_cmd(desk)

    assert response.json()["response_type"] == "ephemeral"
    assert answer(response).startswith("On call at Tue 10 Mar 2026 10:00 UTC")
    shown = blocks_text(response)
    assert "Regions on shift: EMEA (10:00 Europe/Dublin), Asia-Pacific (18:00 Asia/Singapore)" in (
        shown
    )
    assert "*L1 · EMEA · roster*" in shown
    assert f"primary <@{CHLOE}> (Chloé Martin) · secondary <@{AOIFE}> (Aoife Byrne)" in shown
    assert f"primary <@{ELENA}> (Elena Romano)" in shown
    assert "since Tue 10 Mar 08:00 Europe/Dublin · until Tue 10 Mar 13:00 Europe/Dublin" in shown
    assert "EMEA on shift 08:00–20:00 Europe/Dublin; chosen among EMEA, Asia-Pacific" in shown
    # The next handoff, in the incoming region's zone.
    assert "Tue 10 Mar 08:00 America/Chicago (13:00 UTC): EMEA → Americas" in shown
    assert "Wed 11 Mar 08:00 Asia/Singapore (00:00 UTC): Americas → Asia-Pacific" in shown
    assert "+353" not in shown  # no phone numbers in Slack


def test_show_on_a_saturday_names_the_fallback_roster_and_why(desk: Desk) -> None:
    desk.rt.clock.set(SATURDAY_NOON)  # type: ignore[attr-defined]
    shown = blocks_text(oncall_cmd(desk))

    assert "Regions on shift: none (the fallback roster covers)" in shown
    assert "*L1 · Global weekend · fallback*" in shown
    assert "primary <@U0APAC0004> (Lim Jun Jie)" in shown
    assert "no region on shift for L1; fallback roster Global weekend covers" in shown
    assert "Mon 16 Mar 08:00 Asia/Singapore (00:00 UTC): Global weekend → Asia-Pacific" in shown


def test_override_takes_the_pager_from_the_roster_and_is_announced(desk: Desk) -> None:
    text = answer(oncall_cmd(desk, f"override {mention(BRAM, 'bram')} 2h"))

    assert f"<@{STAFF}> set an override: <@{BRAM}> (Bram de Vries) holds L1 primary" in text
    assert "until Tue 10 Mar 12:00 Europe/Dublin (12:00 UTC)" in text
    assert f"instead of <@{CHLOE}> (Chloé Martin) · EMEA roster" in text
    assert f"Announced in <#{ONCALL}>." in text
    [row] = override_rows(desk.rt)
    assert (row.person, row.level, row.slot, row.created_by) == ("bram", "L1", "primary", STAFF)
    assert row.end_at - row.start_at == timedelta(hours=2)

    # The roster says Chloé; the override wins, for /oncall and for the paging lookups.
    shown = blocks_text(oncall_cmd(desk))
    assert "*L1 · EMEA · override*" in shown
    assert f"primary <@{BRAM}> (Bram de Vries) · secondary <@{AOIFE}>" in shown
    with desk.rt.session() as session:
        now = desk.rt.now()
        assert [p.key for p in lookup.people_for(desk.rt, session, "L1", now).people] == [
            "bram",
            "aoife",
        ]
        assert lookup.lead(desk.rt, session, now).people[0].key == "bram"
        assert lookup.people_for(desk.rt, session, "L2", now).people[0].key == "elena"

    desk.drain()
    [post] = oncall_posts(desk.api)
    assert "set an override" in post and f"<@{BRAM}>" in post


def test_overlapping_override_is_refused_with_who_and_until_when(desk: Desk) -> None:
    oncall_cmd(desk, f"override {mention(BRAM)} 2h")
    text = answer(oncall_cmd(desk, f"override {mention(AOIFE)} 30m L1"))

    assert text.startswith(":warning: Bram de Vries (<@U0EMEA0002>) already holds the L1 primary")
    assert "until Tue 10 Mar 12:00 Europe/Dublin (12:00 UTC)" in text
    assert "`/oncall end-override @bram`" in text
    assert len(override_rows(desk.rt)) == 1

    # Another level or the other slot is a different pager: accepted.
    assert "holds L2 primary" in answer(oncall_cmd(desk, f"override {mention(AOIFE)} 1h L2"))
    assert "holds L1 secondary" in answer(
        oncall_cmd(desk, f"override {mention(AOIFE)} secondary 45m")
    )
    assert len(override_rows(desk.rt)) == 3


def test_end_override_gives_the_pager_back_and_is_announced(desk: Desk) -> None:
    oncall_cmd(desk, f"override {mention(BRAM)} 2h")
    desk.rt.clock.advance(timedelta(minutes=30))  # type: ignore[attr-defined]
    text = answer(oncall_cmd(desk, f"end-override {mention(BRAM)}"))

    assert f"<@{STAFF}> ended <@{BRAM}> (Bram de Vries)'s L1 primary override" in text
    assert "(it was to run until Tue 10 Mar 12:00 Europe/Dublin (12:00 UTC))" in text
    assert f"the pager goes to <@{CHLOE}> (Chloé Martin) · EMEA roster" in text
    [row] = override_rows(desk.rt)
    assert row.ended_early_at is not None and row.ended_by == STAFF
    assert "*L1 · EMEA · roster*" in blocks_text(oncall_cmd(desk))

    # Nothing left to end: a clear answer, nothing changes.
    again = answer(oncall_cmd(desk, f"end {mention(BRAM)}"))
    assert "has no override in force; nothing to end" in again

    desk.drain()
    posts = oncall_posts(desk.api)
    assert len(posts) == 2 and "ended" in posts[1]


def test_customers_cannot_see_or_change_the_rota(desk: Desk) -> None:
    for text in ("", f"override {mention(BRAM)} 2h", "calendar"):
        refused = answer(oncall_cmd(desk, text, user=ACME_ALICE, channel=ACME_CHANNEL))
        assert refused == ":no_entry: `/oncall` is for the support team."
    assert override_rows(desk.rt) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"override {mention('U0NOBODY01', 'x')} 1h", "<@U0NOBODY01> is not in the rotation"),
        ("override @zed 1h", "`@zed` is not in the rotation's people"),
        (f"override {mention(BRAM)} 2x", "`2x` is not a duration"),
        (f"override {mention(BRAM)} 1.5h", "`1.5h` is not a duration"),
        (f"override {mention(BRAM)} -1h", "`-1h` is not a duration"),
        (f"override {mention(BRAM)} 0m", "`0m` is not a positive duration"),
        (f"override {mention(BRAM)} 15d", "`15d` is longer than 14 days"),
        (f"override {mention(BRAM)} 99999999d", "is not a duration"),
        (f"override {mention(BRAM)}", "say for how long"),
        ("override", "say who and for how long"),
        (f"override {mention(BRAM)} 1h 2h", "unexpected `2h`"),
        (f"override {mention(BRAM)} 1h L1 L2", "two levels (`L1` and `L2`): say one"),
        (f"override {mention(BRAM)} 1h primary secondary", "both `primary` and `secondary`"),
        ("end-override", "say whose override to end"),
        ("frobnicate", "Unknown `/oncall frobnicate`"),
    ],
)
def test_bad_input_gets_a_clear_answer_and_changes_nothing(
    desk: Desk, text: str, expected: str
) -> None:
    assert expected in answer(oncall_cmd(desk, text))
    assert override_rows(desk.rt) == []


def test_words_come_in_any_order_and_a_rotation_key_works_like_a_mention(desk: Desk) -> None:
    assert "holds L3 primary" in answer(oncall_cmd(desk, "override @fionn 1h30m L3"))
    assert "holds L2 secondary" in answer(
        oncall_cmd(desk, f"override 1d l2 secondary {mention(BRAM)}")
    )
    assert "say who takes the pager" in answer(oncall_cmd(desk, "override 2h L1"))
    rows = override_rows(desk.rt)
    assert [(r.person, r.level, r.slot, r.end_at - r.start_at) for r in rows] == [
        ("fionn", "L3", "primary", timedelta(minutes=90)),
        ("bram", "L2", "secondary", timedelta(days=1)),
    ]


def test_calendar_answers_with_the_callers_own_feed_url(desk: Desk) -> None:
    text = answer(oncall_cmd(desk, "calendar", user=AOIFE))
    assert f"Your on-call calendar (Aoife Byrne), 7 days back and 90 ahead: {PUBLIC_URL}" in text
    path = text.split(PUBLIC_URL, 1)[1].split()[0]
    feed = desk.slack.session.get(desk.url + path, timeout=10)
    assert feed.status_code == 200 and b"On call: Aoife Byrne" in feed.content

    outsider = answer(oncall_cmd(desk, "calendar"))
    assert "You are not in the rotation files" in outsider


def test_help_lists_the_subcommands(desk: Desk) -> None:
    text = answer(oncall_cmd(desk, "help"))
    assert "/oncall override @person 2h" in text and "/oncall calendar" in text


def test_an_override_that_leaves_a_level_one_person_says_so(desk: Desk) -> None:
    """The L1 secondary made L1 primary too: the level now pages one person, not two, and
    whoever sets it is told, with how to give the secondary to someone else."""
    with desk.rt.session() as session:
        now = lookup.on_call(desk.rt, session, "L1", desk.rt.now())
    assert now is not None and now.secondary is not None
    secondary = now.secondary

    text = answer(oncall_cmd(desk, f"override @{secondary.key} 1h"))

    assert "holds L1 primary" in text
    assert "was already the L1 secondary, so L1 pages one person, not two" in text
    assert "`/oncall override @someone <duration> L1 secondary`" in text
    with desk.rt.session() as session:
        l3 = lookup.on_call(desk.rt, session, "L3", desk.rt.now())
    assert l3 is not None
    other = next(
        k for k in ("fionn", "greta", "dieter") if l3.secondary is None or l3.secondary.key != k
    )
    assert ":warning:" not in answer(oncall_cmd(desk, f"override @{other} 1h L3"))
