"""Handoff announcements as a script: the sun moves, the reconciler runs, the channel hears
about each change of region exactly once, across passes, restarts and a lost Redis."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from supportbot.oncall.announcements import CATCH_UP, announce_handoffs, handoffs_since
from supportbot.reconciler import reconcile_once
from supportbot.runtime import build_runtime, set_runtime
from tests.conftest import Desk
from tests.oncall.conftest import BRAM, CARLA, CHLOE, mention, oncall_posts, post_rows
from tests.support.live import drain
from tests.support.records import ACME_CHANNEL

TUESDAY = datetime(2026, 3, 10, tzinfo=UTC)  # EMEA → Americas at 13:00 UTC


def at(hour: int, minute: int = 0, day: int = 0) -> datetime:
    return TUESDAY + timedelta(days=day, hours=hour, minutes=minute)


def travel_to(desk: Desk, instant: datetime) -> None:
    desk.rt.clock.set(instant)  # type: ignore[attr-defined]


def handoff_posts(desk: Desk) -> list[str]:
    return [text for text in oncall_posts(desk.api) if ":arrows_counterclockwise:" in text]


def test_each_handoff_is_announced_once_with_open_incidents_and_their_clocks(desk: Desk) -> None:
    travel_to(desk, at(12, 30))
    # Acme is Premier 24x7: Sev1 response in 15 min, resolution in 4 h.
    desk.slack.command("sev1 checkout returns 500 for everyone", channel=ACME_CHANNEL)
    desk.drain()
    reconcile_once(desk.rt)  # the first pass ever starts from now
    desk.drain()
    assert handoff_posts(desk) == []

    travel_to(desk, at(13, 30))
    reconcile_once(desk.rt)
    desk.drain()
    [post] = handoff_posts(desk)
    lines = post.splitlines()
    assert lines[0] == (
        ":arrows_counterclockwise: *Handoff* Tue 10 Mar 08:00 America/Chicago (13:00 UTC): "
        "*EMEA* hands over to *Americas*"
    )
    assert lines[1] == (
        f"• L1: <@{CHLOE}> (Chloé Martin) · EMEA → <@{CARLA}> (Carla Costa) · Americas"
    )
    assert lines[2].startswith("• L2: ") and lines[3].startswith("• L3: ")
    assert lines[4] == "*Open incidents (1)*"
    assert lines[5].startswith(
        "• INC-1 Sev1 Critical · Acme Corp · open · unassigned: checkout returns 500"
    )
    # The clock ticks from each instant the test sets, so minutes are matched loosely.
    assert re.fullmatch(
        r"   response due Tue 10 Mar 07:45 America/Chicago \(12:45 UTC\) \(overdue by 4[45]m\)"
        r" · resolution due Tue 10 Mar 11:30 America/Chicago \(16:30 UTC\) \(in (3h00|2h59)m\)",
        lines[6],
    ), lines[6]

    # Later passes in the same stretch announce nothing more.
    travel_to(desk, at(13, 45))
    reconcile_once(desk.rt)
    reconcile_once(desk.rt)
    desk.drain()
    assert len(handoff_posts(desk)) == 1

    # A restart: a new process (runtime, caches) on the same database, and an old worker
    # still running beside it. Neither repeats the 13:00 handoff; the next one comes once.
    restarted = build_runtime(desk.rt.settings, clock=desk.rt.clock)
    try:
        reconcile_once(restarted)
        drain(restarted)
        assert len(handoff_posts(desk)) == 1
        travel_to(desk, at(0, 30, day=1))
        reconcile_once(restarted)
        reconcile_once(desk.rt)
        drain(restarted)
    finally:
        restarted.engine.dispose()
        set_runtime(desk.rt)
    posts = handoff_posts(desk)
    assert len(posts) == 2
    assert posts[1].startswith(
        ":arrows_counterclockwise: *Handoff* Wed 11 Mar 08:00 Asia/Singapore (00:00 UTC): "
        "*Americas* hands over to *Asia-Pacific*"
    )
    assert [row.key for row in post_rows(desk.rt)] == [
        f"handoff-{int(at(13).timestamp())}",
        f"handoff-{int(at(0, day=1).timestamp())}",
    ]


def test_override_changes_are_announced_by_the_command_and_the_natural_end_by_the_pass(
    desk: Desk,
) -> None:
    travel_to(desk, at(9, 55))
    reconcile_once(desk.rt)
    desk.slack.command(f"override {mention(BRAM)} 1h", command="/oncall")
    travel_to(desk, at(10, 30))
    reconcile_once(desk.rt)
    desk.drain()
    texts = oncall_posts(desk.api)
    assert len(texts) == 1 and "set an override" in texts[0]  # not announced twice

    travel_to(desk, at(11))  # the override ran out at 10:55
    reconcile_once(desk.rt)
    desk.drain()
    [change] = handoff_posts(desk)
    assert change.splitlines()[:2] == [
        ":arrows_counterclockwise: *Pager change* Tue 10 Mar 10:55 Europe/Dublin (10:55 UTC)",
        f"• L1: <@{BRAM}> (Bram de Vries) · EMEA · override → <@{CHLOE}> (Chloé Martin) · EMEA",
    ]
    assert change.splitlines()[2] == "No open incidents."


def test_after_a_long_outage_only_recent_handoffs_are_announced_and_the_gap_is_said(
    desk: Desk,
) -> None:
    travel_to(desk, at(12, 30))
    reconcile_once(desk.rt)
    travel_to(desk, at(13, 30, day=3))  # Friday afternoon; the worker was down for 3 days
    assert announce_handoffs(desk.rt) == 2
    desk.drain()
    posts = handoff_posts(desk)
    # Only the last 12 h: Friday 08:00 and 13:00 UTC, not the 00:00 handoff nor earlier days.
    assert CATCH_UP == timedelta(hours=12)
    assert [p.splitlines()[0].split("UTC): ")[1] for p in posts] == [
        "*Asia-Pacific* hands over to *EMEA*",
        "*EMEA* hands over to *Americas*",
    ]
    assert posts[0].splitlines()[1] == (
        "_(announcements were paused since Tue 10 Mar 12:30 UTC; earlier handoffs not posted)_"
    )
    assert "paused" not in posts[1]


def test_a_lost_post_is_sent_again_by_the_reconciler_once(desk: Desk) -> None:
    travel_to(desk, at(10))
    desk.slack.command(f"override {mention(BRAM)} 2h", command="/oncall")
    desk.settle()
    desk.rt.dispatcher.flush()
    desk.rt.redis.flushdb()  # Redis loses the queued post
    travel_to(desk, at(10, 1))
    reconcile_once(desk.rt)
    reconcile_once(desk.rt)
    desk.drain()
    assert len(oncall_posts(desk.api)) == 1
    [row] = post_rows(desk.rt)
    assert row.sent_at is not None and row.ts is not None


def test_handoffs_since_lists_every_level_for_the_paging_engine(desk: Desk) -> None:
    with desk.rt.session() as session:
        found = handoffs_since(desk.rt, session, at(12), at(14))
    assert [(h.at, h.level, h.region_changed) for h in found] == [
        (at(13), "L1", True),
        (at(13), "L2", True),
        (at(13), "L3", True),
    ]
    assert {(h.from_region, h.to_region) for h in found} == {("EMEA", "Americas")}
