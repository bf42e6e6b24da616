"""``/oncall swap`` as a script: Aoife offers Ana her Wednesday, Ana presses Accept in the DM,
the pair of overrides holds the pagers, the channel and both people are told; and every bad
request or press is refused with the reason, changing nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from supportbot.oncall import lookup
from supportbot.reconciler import reconcile_once
from tests.conftest import Desk
from tests.oncall.conftest import AOIFE, BRAM, ONCALL, mention, oncall_posts, override_rows
from tests.rota.swapping import ANA, MONDAY, WEDNESDAY, invitation, press, swap, swaps
from tests.support.slack_requests import STAFF


@pytest.fixture(autouse=True)
def monday(desk: Desk) -> None:
    desk.rt.clock.set(MONDAY)  # type: ignore[attr-defined]


def holders(desk: Desk, at: datetime) -> str:
    found = lookup.resolver(desk.rt)
    assert found is not None
    with desk.rt.session() as session:
        answer = lookup.on_call(desk.rt, session, "L1", at)
    assert answer is not None and answer.primary is not None
    return answer.primary.slack


def test_a_swap_proposed_accepted_and_announced(desk: Desk) -> None:
    said = swap(desk, f"{mention(ANA)} wed")
    assert said.splitlines() == [
        f":twisted_rightwards_arrows: Asked <@{ANA}> (Ana Alvarez) to swap:",
        "• they take: L1 · EMEA: Wed 11 Mar 08:00–13:00",
        "• you take: L1 · Americas: Wed 11 Mar 13:00–Thu 12 Mar 00:00",
        "You will get a DM when they answer.",
    ]
    dm = invitation(desk, ANA)
    assert "Aoife Byrne" in dm["blocks"][0]["text"]["text"]
    invited = dm["blocks"][0]["text"]["text"]  # in Ana's zone (CDT)
    assert "• you take: L1 · EMEA: Wed 11 Mar 03:00–08:00" in invited
    assert "• they take: L1 · Americas: Wed 11 Mar 08:00–19:00" in invited
    [row] = swaps(desk)
    assert row.state == "proposed" and override_rows(desk.rt) == []

    # Bram presses Ana's button (a forwarded message): refused, nothing changes.
    refused = press(desk, "accept", row.id, BRAM)
    assert refused["text"] == f":no_entry: only <@{ANA}> can accept or decline this swap"
    assert refused["response_type"] == "ephemeral" and swaps(desk)[0].state == "proposed"

    desk.rt.clock.set(MONDAY + timedelta(hours=2))  # type: ignore[attr-defined]
    done = press(desk, "accept", row.id, ANA)
    assert done["replace_original"] is True and done["text"].startswith(":white_check_mark:")
    assert [(o.person, o.level, o.start_at, o.end_at) for o in override_rows(desk.rt)] == [
        ("ana", "L1", WEDNESDAY + timedelta(hours=8), WEDNESDAY + timedelta(hours=13)),
        ("aoife", "L1", WEDNESDAY + timedelta(hours=13), WEDNESDAY + timedelta(hours=24)),
    ]
    # Pressed again (a replay, or a second click): nothing more.
    again = press(desk, "accept", row.id, ANA)
    assert again["text"] == ":no_entry: this swap was already accepted; nothing more was done"
    assert len(override_rows(desk.rt)) == 2

    desk.drain()
    [post] = [p for p in oncall_posts(desk.api) if "swap" in p]
    assert post.startswith(
        f":twisted_rightwards_arrows: <@{ANA}> (Ana Alvarez) accepted <@{AOIFE}> (Aoife Byrne)'s "
        "swap of L1 primary: Ana Alvarez holds it Wed 11 Mar 08:00 Europe/Dublin (08:00 UTC)"
    )
    assert any("Ana Alvarez accepted your swap" in m["text"] for m in desk.api.messages(AOIFE))

    # The reconciler's pass tells both of the change like any other; Wednesday runs swapped.
    reconcile_once(desk.rt)  # first pass: the snapshot already holds the swap
    desk.drain()
    assert holders(desk, WEDNESDAY + timedelta(hours=9)) == ANA
    assert holders(desk, WEDNESDAY + timedelta(hours=14)) == AOIFE


def test_the_change_notices_follow_an_accepted_swap(desk: Desk) -> None:
    reconcile_once(desk.rt)  # the snapshot before the swap
    swap(desk, f"{mention(ANA)} 2026-03-11 09:30")  # a time inside the shift works too
    [row] = swaps(desk)
    press(desk, "accept", row.id, ANA)
    desk.rt.clock.set(MONDAY + timedelta(seconds=20))  # type: ignore[attr-defined]
    reconcile_once(desk.rt)
    desk.drain()
    [ana] = [m["text"] for m in desk.api.messages(ANA) if "shifts changed" in m["text"]]
    assert ana.splitlines()[1:] == [
        "• no longer: L1 · Americas: Wed 11 Mar 08:00–19:00",
        "• now: L1 · EMEA (override): Wed 11 Mar 03:00–08:00",
    ]
    [aoife] = [m["text"] for m in desk.api.messages(AOIFE) if "shifts changed" in m["text"]]
    assert "• now: L1 · Americas (override): Wed 11 Mar 13:00–Thu 12 Mar 00:00" in aoife


def test_declined_and_expired_proposals_change_nothing(desk: Desk) -> None:
    swap(desk, f"{mention(ANA)} wed")
    [first] = swaps(desk)
    declined = press(desk, "decline", first.id, ANA)
    assert declined["text"] == f":x: You declined <@{AOIFE}> (Aoife Byrne)'s swap."
    desk.drain()
    assert any("Ana Alvarez declined your swap." in m["text"] for m in desk.api.messages(AOIFE))

    swap(desk, f"{mention(ANA)} wed")
    second = swaps(desk)[1]
    desk.rt.clock.set(MONDAY + timedelta(hours=25))  # type: ignore[attr-defined]
    late = press(desk, "accept", second.id, ANA)
    assert late["text"] == ":hourglass: This swap proposal has expired; ask for a new one."
    assert [s.state for s in swaps(desk)] == ["declined", "expired"]
    assert override_rows(desk.rt) == []
    forged = press(desk, "accept", 999, ANA)
    assert forged["text"] == ":no_entry: this swap does not exist (any more)"


def test_the_same_proposal_while_the_first_waits_is_refused_and_sends_no_second_dm(
    desk: Desk,
) -> None:
    swap(desk, f"{mention(ANA)} wed")
    invitation(desk, ANA)
    again = swap(desk, f"{mention(ANA)} 2026-03-11 09:30")  # the same shift, named otherwise
    assert again == (
        ":warning: you already asked Ana Alvarez to swap that shift; they can answer until "
        "Tue 10 Mar 10:00 (Europe/Dublin)"
    )
    desk.drain()
    assert len([m for m in desk.api.messages(channel=ANA) if m.get("blocks")]) == 1
    [row] = swaps(desk)
    press(desk, "decline", row.id, ANA)
    assert swap(desk, f"{mention(ANA)} wed").startswith(":twisted_rightwards_arrows: Asked")
    assert [s.state for s in swaps(desk)] == ["declined", "proposed"]


@pytest.mark.parametrize("value", ["²", "99999999999999999999", "0", "-1"])
def test_a_forged_swap_button_value_is_refused_not_a_crash(desk: Desk, value: str) -> None:
    swap(desk, f"{mention(ANA)} wed")
    before = len(desk.api.responses())
    desk.slack.block_action("rota_swap_accept", value=value, user=ANA, channel="D1")
    desk.settle()  # fails on a listener's exception ("²".isdigit() is true; int() is not)
    [reply] = desk.api.responses()[before:]
    assert reply["text"] == ":no_entry: this swap button is not one of ours", reply
    assert swaps(desk)[0].state == "proposed" and override_rows(desk.rt) == []


@pytest.mark.parametrize(
    ("text", "user", "said"),
    [
        (f"{mention(AOIFE)} wed", AOIFE, "you cannot swap with yourself"),
        (f"{mention(ANA)} sat", AOIFE, "you have no on-call shift on Sat 14 Mar (Europe/Dublin)"),
        (f"{mention(ANA)} wed L2", AOIFE, "you have no L2 shift on Wed 11 Mar"),
        (f"{mention('U0NOBODY01')} wed", AOIFE, "is not in the rotation's people, so they have"),
        # An unknown word comes back short and inert, and without the override's talk of paging.
        ("<!channel> wed", AOIFE, "`&lt;!channel&gt;` is not in the rotation's people, so they"),
        (f"{'x' * 3000} wed", AOIFE, f"`{'x' * 40}…` is not in the rotation's people"),
        (f"{mention(ANA)} someday", AOIFE, "`someday` is not a day"),
        (f"{mention(ANA)} wed 25:00", AOIFE, "`25:00` is not a time like `08:00`"),
        # A level that does not exist is named as one, with the known levels (not "not a time")
        (f"{mention(ANA)} wed L4", AOIFE, "`L4` is not a level: the levels are L1, L2 and L3"),
        (f"{mention(ANA)} l0 wed", AOIFE, "`l0` is not a level: the levels are L1, L2 and L3"),
        (f"{mention(ANA)} wed L1 L2", AOIFE, "name one level"),
        (f"{mention(ANA)}", AOIFE, "say which of your shifts"),
        ("", AOIFE, "say with whom and which shift"),
        (f"{mention(ANA)} today", AOIFE, "has already begun"),  # Monday: Bram's day, not hers
        (f"{mention(ANA)} wed", STAFF, "you are not in the rotation files"),
        (f"{mention(ANA)} 2026-04-01", AOIFE, "swaps reach 14 days ahead"),
        # Bram is L1 secondary on Wednesday, so he would hold both of L1's slots.
        (f"{mention(BRAM)} wed", AOIFE, "Bram de Vries holds L1 secondary from Wed 11 Mar 08:00"),
    ],
)
def test_bad_swaps_are_refused_with_the_reason_and_store_nothing(
    desk: Desk, text: str, user: str, said: str
) -> None:
    if "today" in text:
        desk.rt.clock.set(datetime(2026, 3, 11, 9, tzinfo=UTC))  # type: ignore[attr-defined]
    reply = swap(desk, text, user=user)
    assert reply.startswith(":warning:") and said in reply, reply
    assert swaps(desk) == [] and override_rows(desk.rt) == []
    desk.drain()
    assert desk.api.messages(channel=ANA) == [] and oncall_posts(desk.api) == []
    assert ONCALL


def test_a_rota_changed_since_the_proposal_refuses_the_accept_with_the_reason(
    desk: Desk,
) -> None:
    swap(desk, f"{mention(ANA)} wed")
    [row] = swaps(desk)
    path = desk.rt.settings.rotations_dir / "follow-the-sun.yaml"
    path.write_text(
        path.read_text().replace("primary: [aoife, bram, chloe]", "primary: [bram, aoife, chloe]")
    )
    refused = press(desk, "accept", row.id, ANA)
    assert refused["text"] == (
        ":warning: The swap cannot be made: the rota changed since the proposal: Aoife Byrne no "
        "longer holds L1 primary over the whole shift"
    )
    assert swaps(desk)[0].state == "refused" and override_rows(desk.rt) == []
    desk.drain()
    assert any("could not be made" in m["text"] for m in desk.api.messages(AOIFE))


def test_a_customer_pressing_a_swap_button_is_refused(desk: Desk) -> None:
    swap(desk, f"{mention(ANA)} wed")
    [row] = swaps(desk)
    before = len(desk.api.responses())
    desk.slack.block_action(
        "rota_swap_accept", value=str(row.id), user=ANA, channel="D1", user_team="T0CUSTOMER"
    )
    desk.settle()
    [reply] = desk.api.responses()[before:]
    assert reply["text"] == ":no_entry: Shift swaps are for the support team."
    assert swaps(desk)[0].state == "proposed" and override_rows(desk.rt) == []


def test_the_handoff_post_at_a_swapped_shift_names_who_holds_it(desk: Desk) -> None:
    reconcile_once(desk.rt)  # handoff announcements start from Monday
    swap(desk, f"{mention(ANA)} wed")
    [row] = swaps(desk)
    press(desk, "accept", row.id, ANA)
    desk.rt.clock.set(WEDNESDAY + timedelta(hours=8, seconds=30))  # type: ignore[attr-defined]
    reconcile_once(desk.rt)
    desk.drain()
    [post] = [p for p in oncall_posts(desk.api) if "hands over to *EMEA*" in p]
    # The swap was announced when accepted, days before: its start is announced as it happens.
    wei = "<@U0APAC0001> (Tan Wei Ling) · Asia-Pacific"
    assert f"• L1: {wei} → <@{ANA}> (Ana Alvarez) · EMEA · override" in post.splitlines()


def test_the_shift_taken_is_whole_when_the_14_days_end_inside_it(desk: Desk) -> None:
    """Fourteen days from now fall at 15:00 UTC on Wednesday, inside Ana's 13:00-00:00 UTC
    shift. The swap trades all of it: before, it traded 13:00-15:00 only, and Ana kept the
    rest of her shift and took Aoife's whole morning as well."""
    desk.rt.clock.set(WEDNESDAY - timedelta(days=14) + timedelta(hours=15))  # type: ignore[attr-defined]
    swap(desk, f"{mention(ANA)} 2026-03-11")
    [row] = swaps(desk)
    assert (row.take_start, row.take_end) == (
        WEDNESDAY + timedelta(hours=13), WEDNESDAY + timedelta(hours=24),
    )  # fmt: skip
    invitation(desk, ANA)

    press(desk, "accept", row.id, ANA)

    held = [holders(desk, WEDNESDAY + timedelta(hours=h)) for h in (9, 14, 16, 23)]
    assert held == [ANA, AOIFE, AOIFE, AOIFE]
