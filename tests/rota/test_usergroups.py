"""Slack user groups follow the rota, as a script: the sun moves, an override is set, Slack
drops a call; the groups at the Slack stand-in hold the right people at each instant, and a
pass that finds them right makes no call at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from supportbot.oncall.usergroup_sync import VERIFY_EVERY
from supportbot.reconciler import reconcile_once
from tests.conftest import Desk
from tests.oncall.conftest import AOIFE, BRAM, CARLA, CHLOE, ELENA, mention
from tests.standins import SlackStandin

TUESDAY = datetime(2026, 3, 10, tzinfo=UTC)  # EMEA 08:00-13:00 UTC, then Americas
ANA, BEN, DIEGO, EMMA, GABI = (f"U0AMER000{n}" for n in (1, 2, 4, 5, 7))
DIETER, GRETA = "U0EMEA0004", "U0EMEA0007"
REGION_GROUPS = [
    f"oncall-{region}-{level}"
    for region in ("americas", "emea", "asia-pacific")
    for level in ("l1", "l2", "l3")
]


def at(hour: int, minute: int = 0) -> datetime:
    return TUESDAY + timedelta(hours=hour, minutes=minute)


def step(desk: Desk, instant: datetime) -> None:
    """Time passes to ``instant``; the worker's reconciler passes and the queue drains."""
    desk.rt.clock.set(instant)  # type: ignore[attr-defined]
    desk.settle()
    reconcile_once(desk.rt)
    desk.drain()


def writes(api: SlackStandin) -> list[str]:
    return [c.method for c in api.calls() if c.method.startswith("usergroups.") and c.status]


def members(api: SlackStandin, handle: str) -> list[str]:
    found = api.usergroup_members(handle)
    assert found is not None, f"no user group @{handle}"
    return sorted(found)


def test_groups_are_created_then_follow_each_handoff_and_override(desk: Desk) -> None:
    api = desk.api
    api.add_usergroup("oncall-l2", [ELENA, "U0SOMEONE1"])  # made by hand, out of date
    step(desk, at(9))
    assert members(api, "oncall") == sorted([CHLOE, ELENA, GRETA])
    assert members(api, "oncall-l1") == sorted([CHLOE, AOIFE])
    assert members(api, "oncall-l2") == sorted([DIETER, ELENA])  # found and corrected
    assert members(api, "oncall-emea-l1") == sorted([CHLOE, AOIFE])
    # Off shift, a region's group holds its roster's people in force: at 04:00 in Austin,
    # still Monday's L1 (Ben, Carla as secondary) until the 08:00 handoff.
    assert members(api, "oncall-americas-l1") == sorted([BEN, CARLA])
    assert members(api, "oncall-americas-l2") == sorted([DIEGO, EMMA])
    creates = [c.params["handle"] for c in api.calls("usergroups.create")]
    assert sorted(creates) == sorted(["oncall", "oncall-l1", "oncall-l3", *REGION_GROUPS])
    assert len(api.calls("usergroups.list")) == 1

    # Nothing moved: the next passes make no call at all; after an hour, one look (a read).
    before = len(writes(api))
    step(desk, at(9, 15))
    step(desk, at(9, 59))
    assert len(writes(api)) == before
    step(desk, at(12, 59))
    assert writes(api)[before:] == ["usergroups.list"]

    # 13:00 UTC (08:00 in Austin): Americas takes every level. Only the groups whose people
    # moved are written.
    api.clear()
    step(desk, at(13) + timedelta(seconds=15))
    updated = {c.params["usergroup"] for c in api.calls("usergroups.users.update")}
    ids = {g: i["handle"] for g, i in api.usergroup_info.items()}
    assert sorted(ids[g] for g in updated) == [
        "oncall",
        "oncall-americas-l1",  # Austin's daily 08:00 handoff: Ben → Carla
        "oncall-l1",
        "oncall-l2",
        "oncall-l3",
    ]
    assert members(api, "oncall") == sorted([CARLA, EMMA, GABI])
    assert members(api, "oncall-l1") == sorted([CARLA, ANA])
    assert members(api, "oncall-emea-l1") == sorted([CHLOE, AOIFE])  # EMEA's roster, off shift

    # An override: Bram holds L1 for an hour. The next pass moves @oncall, @oncall-l1 and the
    # covering region's group; when it runs out they move back.
    desk.slack.command(f"override {mention(BRAM)} 1h", command="/oncall")
    step(desk, at(13, 30))
    assert members(api, "oncall") == sorted([BRAM, EMMA, GABI])
    assert members(api, "oncall-l1") == sorted([BRAM, ANA])
    assert members(api, "oncall-americas-l1") == sorted([BRAM, ANA])
    step(desk, at(14, 31))
    assert members(api, "oncall-l1") == sorted([CARLA, ANA])
    assert members(api, "oncall") == sorted([CARLA, EMMA, GABI])


def test_slack_refusing_for_a_while_and_hand_edits_are_put_right(desk: Desk) -> None:
    api = desk.api
    # Slack answers 429 then 503 to the first writes: the client waits and retries.
    api.inject("usergroups.create", "429", times=2)
    api.inject("usergroups.users.update", "503", times=1)
    step(desk, at(9))
    assert [c.status for c in api.calls("usergroups.create")][:3] == [429, 429, 200]
    assert members(api, "oncall-l1") == sorted([CHLOE, AOIFE])
    assert len(api.calls("usergroups.create")) == 2 + 1 + len(REGION_GROUPS) + 3

    # Someone edits @oncall-l1 by hand in Slack. Within the hour the sync looks at Slack again
    # (one read), finds it and puts it right; the groups that are right are not written.
    [l1] = [g for g, i in api.usergroup_info.items() if i["handle"] == "oncall-l1"]
    api.usergroups[l1] = [GABI]  # a hand edit
    api.clear()
    step(
        desk, at(9) + VERIFY_EVERY + timedelta(minutes=1)
    )  # the clock ticks: the retries took seconds
    assert [c.method for c in api.calls() if c.method.startswith("usergroups.")] == [
        "usergroups.list",
        "usergroups.users.update",
    ]
    assert members(api, "oncall-l1") == sorted([CHLOE, AOIFE])
