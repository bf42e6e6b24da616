"""Attack: handoff announcements when two pager changes fall within one second."""

from __future__ import annotations

from datetime import timedelta

from supportbot.reconciler import reconcile_once
from tests.conftest import Desk
from tests.oncall.conftest import BRAM, CARLA, mention, oncall_posts
from tests.oncall.test_handoff import at, handoff_posts, travel_to


def test_an_override_running_out_a_fraction_of_a_second_after_a_handoff_is_announced(
    desk: Desk,
) -> None:
    # `/oncall override` starts at the instant typed, microseconds and all: made at
    # 11:00:00.4 for 2h it runs out at 13:00:00.4, 0.4 s after EMEA hands over to Americas.
    travel_to(desk, at(10, 55))
    reconcile_once(desk.rt)
    travel_to(desk, at(11) + timedelta(microseconds=400_000))
    desk.slack.command(f"override {mention(BRAM)} 2h", command="/oncall")
    travel_to(desk, at(13, 30))
    reconcile_once(desk.rt)
    desk.drain()

    posts = handoff_posts(desk)
    # 13:00:00.0: the region changes, Bram keeps L1 by his override; 13:00:00.4: his
    # override runs out and Carla (Americas' roster) takes L1. Both must be said: the
    # channel would otherwise still believe Bram holds L1.
    assert len(posts) == 2, oncall_posts(desk.api)
    assert f"<@{BRAM}> (Bram de Vries) · Americas · override → <@{CARLA}>" in posts[1]
