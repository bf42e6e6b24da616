"""Issue 13: "a swap that would leave a gap or break a level's coverage is refused with the
reason". A pair of overrides always names people with a phone, so it cannot leave a level
with nobody; what breaks coverage is one of the two taking a shift while holding another
pager then, or while in quiet hours where the holder today is awake (a Severity 2 page would
wait). Each is refused when proposed, and again when accepted if the rota changed meanwhile,
and a proposal expires when either shift begins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import REPO, Desk
from tests.oncall.conftest import AOIFE, mention, override_rows
from tests.rota.swapping import ANA, MONDAY, edit_rotation, invitation, press, swap, swaps

ANA_LINE = 'slack: U0AMER0001, phone: "+1 512 555 0101"}'
AOIFE_LINE = 'slack: U0EMEA0001, phone: "+353 85 555 0101"}'


def quiet(line: str, zone: str, start: str, end: str) -> tuple[str, str]:
    return (
        line,
        f'{line[:-1]}, time_zone: {zone}, quiet_hours: {{start: "{start}", end: "{end}"}}}}',
    )


# (what changes in the rotation file, what the refusal says)
BREAKS = {
    # Ana would hold EMEA's L2 and, from Aoife, EMEA's L1 at once.
    "invitee holds another pager": (
        ("primary: [dieter, elena]", "primary: [ana]"),
        "Ana Alvarez holds L2 primary from Wed 11 Mar 08:00 UTC, during the L1 shift they "
        "would take; one person cannot hold two pagers",
    ),
    # Aoife would hold the Americas' L3 and, from Ana, the Americas' L1 at once.
    "proposer holds another pager": (
        ("primary: [frank, gabi]", "primary: [aoife]"),
        "Aoife Byrne holds L3 primary from Wed 11 Mar 13:00 UTC, during the L1 shift they "
        "would take",
    ),
    # Aoife's 08:00-13:00 UTC is 03:00-08:00 in Austin: Ana asleep until 07:00.
    "invitee in quiet hours": (
        quiet(ANA_LINE, "America/Chicago", "22:00", "07:00"),
        "Ana Alvarez's quiet hours (22:00–07:00 America/Chicago) fall in the L1 shift they "
        "would take, from Wed 11 Mar 08:00 UTC, while Aoife Byrne is awake: a Severity 2 page "
        "to L1 would wait for them instead of being answered",
    ),
    # Ana's 13:00-00:00 UTC runs to midnight in Dublin: Aoife asleep from 22:00.
    "proposer in quiet hours": (
        quiet(AOIFE_LINE, "Europe/Dublin", "22:00", "07:00"),
        "Aoife Byrne's quiet hours (22:00–07:00 Europe/Dublin) fall in the L1 shift they "
        "would take, from Wed 11 Mar 22:00 UTC, while Ana Alvarez is awake",
    ),
}


@pytest.fixture(autouse=True)
def monday(desk: Desk) -> None:
    desk.rt.clock.set(MONDAY)  # type: ignore[attr-defined]


@pytest.mark.parametrize("case", BREAKS)
def test_a_swap_breaking_coverage_is_refused_when_proposed(desk: Desk, case: str) -> None:
    (old, new), said = BREAKS[case]
    edit_rotation(desk, old, new)
    reply = swap(desk, f"{mention(ANA)} wed L1")
    assert reply.startswith(":warning:") and said in reply, reply
    assert swaps(desk) == [] and override_rows(desk.rt) == []
    desk.drain()
    assert desk.api.messages(channel=ANA) == []


RACES = {
    **BREAKS,
    "invitee no longer holds the shift": (
        ("primary: [ana, ben, carla]", "primary: [ben, ana, carla]"),
        "the rota changed since the proposal: Ana Alvarez no longer holds L1 primary over the "
        "whole shift",
    ),
}


@pytest.mark.parametrize("case", RACES)
def test_a_rota_change_that_breaks_coverage_refuses_the_accept(desk: Desk, case: str) -> None:
    (old, new), said = RACES[case]
    swap(desk, f"{mention(ANA)} wed")
    [row] = swaps(desk)
    edit_rotation(desk, old, new)
    refused = press(desk, "accept", row.id, ANA)
    text = refused["text"]
    assert text.startswith(":warning: The swap cannot be made: ") and said in text, text
    assert swaps(desk)[0].state == "refused" and override_rows(desk.rt) == []
    desk.drain()
    assert any(said in m["text"] for m in desk.api.messages(AOIFE)), "the proposer is told"


def test_quiet_hours_outside_the_shift_taken_do_not_refuse(desk: Desk) -> None:
    # 00:00-03:00 in Austin ends as Aoife's shift (03:00-08:00 there) begins.
    edit_rotation(desk, *quiet(ANA_LINE, "America/Chicago", "00:00", "03:00"))
    assert swap(desk, f"{mention(ANA)} wed").startswith(":twisted_rightwards_arrows: Asked")
    [row] = swaps(desk)
    assert press(desk, "accept", row.id, ANA)["text"].startswith(":white_check_mark:")
    assert len(override_rows(desk.rt)) == 2


def test_a_proposal_expires_when_the_shift_taken_begins(desk: Desk) -> None:
    # Ana offers her Wednesday (13:00 UTC) for Aoife's, which begins earlier (08:00 UTC).
    desk.rt.clock.set(datetime(2026, 3, 10, 12, tzinfo=UTC))  # type: ignore[attr-defined]
    said = swap(desk, f"{mention(AOIFE)} wed", user=ANA)
    assert "• you take: L1 · EMEA: Wed 11 Mar 03:00–08:00" in said, said
    [row] = swaps(desk)
    assert row.expires_at == datetime(2026, 3, 11, 8, tzinfo=UTC)  # not Wed 12:00 (24 h)
    assert "Answer by Wed 11 Mar 08:00 (Europe/Dublin)" in str(invitation(desk, AOIFE)["blocks"])
    # At 09:00 Aoife's shift has begun: an override from 08:00 would rewrite who held it.
    desk.rt.clock.set(datetime(2026, 3, 11, 9, tzinfo=UTC))  # type: ignore[attr-defined]
    late = press(desk, "accept", row.id, AOIFE)
    assert late["text"] == ":hourglass: This swap proposal has expired; ask for a new one."
    assert swaps(desk)[0].state == "expired" and override_rows(desk.rt) == []


def test_the_quiet_hours_check_reads_each_minute_of_a_long_shift() -> None:
    # Pure: a week-long shift and a one-hour window near its end are found to the minute.
    from supportbot.oncall.feed import Shift
    from supportbot.oncall.model import Person, QuietHours
    from supportbot.oncall.swap_rules import quiet_clash

    start = datetime(2026, 3, 6, 12, tzinfo=UTC)
    shift = Shift("x", "L1", "primary", None, "fallback", start, start + timedelta(days=7))
    taker = Person(
        key="t", slack="U0TAKER001", phone="+1 512 555 0101", time_zone="Asia/Kathmandu",
        quiet_hours=QuietHours(start="04:00", end="03:00"),  # awake 03:00-04:00 only
    )  # fmt: skip
    holder = taker.model_copy(update={"quiet_hours": QuietHours(start="03:45", end="02:45")})
    # Kathmandu is +05:45. The holder is awake 02:45-03:45 there, the taker 03:00-04:00: the
    # taker sleeps through 02:45 (21:00 UTC), the holder through 03:45 (22:00 UTC).
    assert quiet_clash(taker, holder, shift) == datetime(2026, 3, 6, 21, 0, tzinfo=UTC)
    assert quiet_clash(holder, taker, shift) == datetime(2026, 3, 6, 22, 0, tzinfo=UTC)
    assert quiet_clash(taker, taker, shift) is None  # asleep only when the holder is too


def test_nobody_without_a_phone_can_be_in_the_rotation_to_swap_with() -> None:
    # Why a pair of overrides cannot leave a level unpageable: a person without a phone is
    # refused when the rotation is loaded, with the file and line, before any swap names them.
    from supportbot.datafiles import DataFileError
    from supportbot.oncall import parse_rotation

    text = (REPO / "rotations" / "follow-the-sun.yaml").read_text()
    without = text.replace(', phone: "+1 512 555 0101"}', "}")
    with pytest.raises(DataFileError) as caught:
        parse_rotation(without, "rotations/follow-the-sun.yaml")
    found = [str(p) for p in caught.value.problems]
    assert any(p.startswith("rotations/follow-the-sun.yaml:8:") and "phone" in p for p in found)
