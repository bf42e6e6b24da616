"""Changes announced, as a script: an override is set, a rotation file is edited; each person
whose shifts in the next 14 days moved gets one DM listing before and after, in their zone,
and nobody else hears of it. Time passing alone announces nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from supportbot.oncall import lookup
from supportbot.reconciler import reconcile_once
from tests.conftest import Desk
from tests.oncall.conftest import AOIFE, BRAM, CHLOE, ELENA, mention
from tests.standins import SlackStandin

TUESDAY = datetime(2026, 3, 10, tzinfo=UTC)  # Dublin on GMT
DIETER, ANA, EMMA = "U0EMEA0004", "U0AMER0001", "U0AMER0005"


def step(desk: Desk, instant: datetime) -> None:
    desk.rt.clock.set(instant)  # type: ignore[attr-defined]
    desk.settle()
    reconcile_once(desk.rt)
    desk.drain()


def changes(api: SlackStandin, user: str) -> list[str]:
    return [m["text"] for m in api.messages(channel=user) if "shifts changed" in m["text"]]


def everyone_told(api: SlackStandin) -> set[str]:
    return {m["channel"] for m in api.messages() if "shifts changed" in m["text"]}


def test_an_override_tells_the_person_who_takes_over_and_the_one_it_replaces(desk: Desk) -> None:
    api = desk.api
    step(desk, TUESDAY + timedelta(hours=9))  # the first pass only takes a snapshot
    step(desk, TUESDAY + timedelta(days=3))  # three days pass: nothing moved
    assert everyone_told(api) == set()

    friday = TUESDAY + timedelta(days=3, hours=10)
    desk.rt.clock.set(friday)  # type: ignore[attr-defined]
    desk.slack.command(f"override {mention(BRAM)} 2h", command="/oncall")
    step(desk, friday + timedelta(seconds=5))
    # Friday 13 Mar: Chloé holds L1 by the roster (08:00-13:00); Bram now holds 10:00-12:00.
    [bram] = changes(api, BRAM)
    assert bram.splitlines() == [
        ":arrows_counterclockwise: Your on-call shifts changed (times Europe/Dublin):",
        "• now: L1 · EMEA (override): Fri 13 Mar 10:00–12:00",
    ]
    [chloe] = changes(api, CHLOE)
    assert chloe.splitlines() == [
        ":arrows_counterclockwise: Your on-call shifts changed (times Europe/Dublin):",
        "• no longer: L1 · EMEA: Fri 13 Mar 10:00–12:00",
    ]
    assert everyone_told(api) == {BRAM, CHLOE}

    # Later passes say nothing more; the override running out is no change either.
    step(desk, friday + timedelta(minutes=30))
    step(desk, friday + timedelta(hours=3))
    assert len(changes(api, BRAM)) == 1 and len(changes(api, CHLOE)) == 1

    # At 13:01 Bram takes L2 (Americas' by then: Emma) for an hour, and ends it at 13:31.
    # Each change is told to both, once, the second in each one's own zone.
    desk.rt.clock.set(friday + timedelta(hours=3, minutes=1))  # type: ignore[attr-defined]
    desk.slack.command(f"override {mention(BRAM)} 1h L2", command="/oncall")
    step(desk, friday + timedelta(hours=3, minutes=1, seconds=5))
    assert changes(api, BRAM)[1].splitlines()[1:] == [
        "• now: L2 · Americas (override): Fri 13 Mar 13:01–14:01",
    ]
    assert changes(api, EMMA)[0].splitlines() == [
        ":arrows_counterclockwise: Your on-call shifts changed (times America/Chicago):",
        "• no longer: L2 · Americas: Fri 13 Mar 08:01–09:01",
    ]
    desk.rt.clock.set(friday + timedelta(hours=3, minutes=31))  # type: ignore[attr-defined]
    desk.slack.command(f"end-override {mention(BRAM)}", command="/oncall")
    step(desk, friday + timedelta(hours=3, minutes=31, seconds=5))
    assert changes(api, BRAM)[2].splitlines()[1:] == [
        "• no longer: L2 · Americas (override): Fri 13 Mar 13:31–14:01",
    ]
    assert changes(api, EMMA)[1].splitlines()[1:] == [
        "• now: L2 · Americas: Fri 13 Mar 08:31–09:01"
    ]
    assert everyone_told(api) == {BRAM, CHLOE, EMMA}


def test_a_rotation_file_edit_tells_each_person_whose_shifts_moved_once(desk: Desk) -> None:
    api = desk.api
    step(desk, TUESDAY + timedelta(hours=9))
    path = desk.rt.settings.rotations_dir / "follow-the-sun.yaml"
    text = path.read_text()
    # EMEA's L1 list is reordered: Aoife and Bram trade places from here on.
    edited = text.replace("primary: [aoife, bram, chloe]", "primary: [bram, aoife, chloe]")
    assert edited != text
    path.write_text(edited)
    step(desk, TUESDAY + timedelta(hours=9, minutes=1))
    told = everyone_told(api)
    # Aoife and Bram trade every shift; Chloé keeps hers (only her partners change), and
    # nobody outside EMEA's L1 hears anything.
    assert told == {AOIFE, BRAM}
    [aoife] = changes(api, AOIFE)
    lines = aoife.splitlines()
    assert (
        lines[0] == ":arrows_counterclockwise: Your on-call shifts changed (times Europe/Dublin):"
    )
    # Today (Tue 10) Chloé's secondary was Aoife; now it is Bram.
    assert "• no longer: L1 secondary · EMEA: Tue 10 Mar 09:01–13:00" in lines
    assert any(line.startswith("• now: L1 · EMEA: ") for line in lines)
    step(desk, TUESDAY + timedelta(hours=9, minutes=2))
    assert everyone_told(api) == {AOIFE, BRAM}
    assert len(changes(api, AOIFE)) == 1 and changes(api, CHLOE) == []
    # Time moving on, with the edited file, is no change.
    step(desk, TUESDAY + timedelta(days=2))
    assert len(changes(api, BRAM)) == 1 and changes(api, ELENA) == [] and changes(api, ANA) == []
    assert changes(api, DIETER) == []


def test_an_edit_that_moves_shifts_only_beyond_14_days_tells_nobody(desk: Desk) -> None:
    api = desk.api
    step(desk, TUESDAY + timedelta(hours=9))
    good_friday = datetime(2026, 4, 3, 10, tzinfo=UTC)  # 24 days ahead
    before = lookup.resolver(desk.rt)
    assert before is not None
    path = desk.rt.settings.rotations_dir / "follow-the-sun.yaml"
    text = path.read_text()
    # Northern Ireland's calendar instead of Ireland's: the same holidays until Good Friday
    # (3 April), a holiday there and not in Ireland, so EMEA is closed that day.
    edited = text.replace("holidays: {country: IE}", "holidays: {country: GB, subdivision: NIR}")
    assert edited != text
    path.write_text(edited)
    step(desk, TUESDAY + timedelta(hours=9, minutes=1))
    after = lookup.resolver(desk.rt)
    assert after is not None and after is not before
    # The edit did move a shift, 24 days ahead: outside the window, so nobody is told.
    assert before.on_call(good_friday, "L1").covered_by == "EMEA"
    assert after.on_call(good_friday, "L1").covered_by != "EMEA"
    assert everyone_told(api) == set()
    step(desk, TUESDAY + timedelta(hours=10))
    assert everyone_told(api) == set()
