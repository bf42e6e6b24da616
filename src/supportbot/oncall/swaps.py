"""``/oncall swap`` as a service: propose, then the invitee accepts or declines with buttons.

A proposal is a :class:`~supportbot.db.rota.RotaSwap` row and a DM to the invitee with
**Accept** and **Decline**; it expires after :data:`VALID_FOR` or when either shift begins,
whichever is first. Acceptance checks everything again against the rota as it is then (the
shifts are still the two people's, no override covers them, nobody would hold two pagers or
be in quiet hours where the holder today is awake), and makes the pair of overrides, the
announcement in the on-call channel and the proposer's DM in one transaction; the
reconciler's change notices then tell both people like any other change
(:mod:`.rota_changes`). Only the invitee's press counts, once: another person's press, a
second press (a replay) or a press after expiry changes nothing and says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportbot.db.models import OncallOverride
from supportbot.db.rota import RotaSwap
from supportbot.db.types import row_id
from supportbot.oncall.board import slack_name, with_utc
from supportbot.oncall.dms import add_dm
from supportbot.oncall.feed import Shift, person_shifts
from supportbot.oncall.lookup import active_overrides, person_by_slack
from supportbot.oncall.model import Person
from supportbot.oncall.overrides import OverrideError, find_person, serialise
from supportbot.oncall.posts import add_post
from supportbot.oncall.resolver import Override, Resolver
from supportbot.oncall.shift_notes import person_zone, shift_line
from supportbot.oncall.swap_rules import (
    USAGE,
    SwapError,
    SwapPlan,
    check,
    parse_when,
    plan_swap,
    shown_word,
    split_levels,
)
from supportbot.runtime import Runtime

VALID_FOR = timedelta(hours=24)
ACTION_ACCEPT = "rota_swap_accept"
ACTION_DECLINE = "rota_swap_decline"


def _me(found: Resolver, user: str) -> Person:
    person = person_by_slack(found, user)
    if person is None:
        raise SwapError("you are not in the rotation files, so you have no shifts to swap")
    return person


def _invitation(found: Resolver, row: RotaSwap, plan: SwapPlan) -> list[dict[str, Any]]:
    tz = person_zone(found.rotation, plan.invitee.key)
    text = (
        f":twisted_rightwards_arrows: {slack_name(plan.proposer)} asks to swap shifts with you:\n"
        f"• you take: {shift_line(plan.give, tz)}\n"
        f"• they take: {shift_line(plan.take, tz)}\n"
        f"Answer by {row.expires_at.astimezone(tz):%a %d %b %H:%M} ({tz.key})."
    )
    buttons = [
        {"type": "button", "action_id": ACTION_ACCEPT, "value": str(row.id), "style": "primary",
         "text": {"type": "plain_text", "text": "Accept"}},
        {"type": "button", "action_id": ACTION_DECLINE, "value": str(row.id),
         "text": {"type": "plain_text", "text": "Decline"}},
    ]  # fmt: skip
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": text}},
        {"type": "actions", "block_id": f"swap-{row.id}", "elements": buttons},
    ]


def propose(rt: Runtime, found: Resolver, args: Sequence[str], *, actor: str) -> str:
    """``/oncall swap @person <when> [level]``; the ephemeral answer to the proposer."""
    words, level = split_levels(args)
    if not words:
        raise SwapError(f"say with whom and which shift: {USAGE}")
    proposer = _me(found, actor)
    invitee = _invitee(found, words[0])
    now = rt.now()
    when = parse_when(words[1:], person_zone(found.rotation, proposer.key), now)
    with rt.session() as session:
        overrides = active_overrides(session, now, found.rotation.people)
        plan = plan_swap(found, overrides, proposer, invitee, when, level, now)
        _not_asked_yet(session, plan, now, person_zone(found.rotation, proposer.key))
        row = RotaSwap(
            proposer=proposer.key, invitee=invitee.key, level=plan.give.level,
            slot=plan.give.slot, give_start=plan.give.start, give_end=plan.give.end,
            take_start=plan.take.start, take_end=plan.take.end, state="proposed",
            created_at=now, expires_at=min(now + VALID_FOR, plan.give.start, plan.take.start),
        )  # fmt: skip
        session.add(row)
        session.flush()
        blocks = _invitation(found, row, plan)
        add_dm(
            session, key=f"swap-{row.id}-invite", kind="swap", person=invitee.key,
            recipient=invitee.slack, due_at=now, now=now, detail={"blocks": blocks},
            text=f"{proposer.label} asks to swap shifts with you (Accept or Decline)",
        )  # fmt: skip
        tz = person_zone(found.rotation, proposer.key)
    return (
        f":twisted_rightwards_arrows: Asked {slack_name(invitee)} to swap:\n"
        f"• they take: {shift_line(plan.give, tz)}\n• you take: {shift_line(plan.take, tz)}\n"
        "You will get a DM when they answer."
    )


def _invitee(found: Resolver, token: str) -> Person:
    try:
        return find_person(found, token)
    except OverrideError:
        # The override's refusal speaks of paging; a swap needs someone with shifts, and the
        # word comes back short and inert like every other word of the command.
        raise SwapError(
            f"`{shown_word(token)}` is not in the rotation's people, so they have no shifts to "
            f"swap with; name them with an @mention or their key in rotations/: {USAGE}"
        ) from None


def _not_asked_yet(session: Session, plan: SwapPlan, now: datetime, tz: ZoneInfo) -> None:
    """The same proposal while the first still waits would only DM the invitee again."""
    pending = session.scalar(
        select(RotaSwap).where(
            RotaSwap.proposer == plan.proposer.key, RotaSwap.invitee == plan.invitee.key,
            RotaSwap.level == plan.give.level, RotaSwap.slot == plan.give.slot,
            RotaSwap.give_start == plan.give.start, RotaSwap.state == "proposed",
            RotaSwap.expires_at > now,
        ).limit(1)
    )  # fmt: skip
    if pending is not None:
        raise SwapError(
            f"you already asked {plan.invitee.label} to swap that shift; they can answer until "
            f"{pending.expires_at.astimezone(tz):%a %d %b %H:%M} ({tz.key})"
        )


def _load(session: Session, value: str) -> RotaSwap:
    number = row_id(value)  # ASCII digits in range: "²" or 20 digits would crash the lookup
    if number is None:
        raise SwapError("this swap button is not one of ours")
    row = session.get(RotaSwap, number, with_for_update=True)
    if row is None:
        raise SwapError("this swap does not exist (any more)")
    return row


def _plan_of(found: Resolver, row: RotaSwap) -> SwapPlan:
    people = found.rotation.people
    if row.proposer not in people or row.invitee not in people:
        raise SwapError("one of you is no longer in the rotation files")
    level, slot = row.level, row.slot
    give = Shift(row.proposer, level, slot, None, "swap", row.give_start, row.give_end)  # type: ignore[arg-type]
    take = Shift(row.invitee, level, slot, None, "swap", row.take_start, row.take_end)  # type: ignore[arg-type]
    return SwapPlan(people[row.proposer], people[row.invitee], give, take)


def decide(
    rt: Runtime, found: Resolver, value: str, *, presser: str, accept: bool
) -> tuple[bool, str]:
    """A press of Accept or Decline: (decided, text). Decided, the text replaces the
    invitation; not, it answers the presser alone. Raises :class:`SwapError` for a press
    that changes nothing (someone else's, a replay)."""
    now = rt.now()
    with rt.session() as session:
        row = _load(session, value)
        invitee = found.rotation.people.get(row.invitee)
        if invitee is None or invitee.slack != presser:
            who = f"<@{invitee.slack}>" if invitee else row.invitee
            raise SwapError(f"only {who} can accept or decline this swap")
        if row.state != "proposed":
            raise SwapError(f"this swap was already {row.state}; nothing more was done")
        # Either shift begun: an override from its start would rewrite who held it. (Rows
        # stored before proposals expired at the taken shift's start too are covered.)
        if now >= min(row.expires_at, row.give_start, row.take_start):
            row.state, row.decided_at, row.outcome = "expired", now, "pressed after expiry"
            return False, ":hourglass: This swap proposal has expired; ask for a new one."
        row.decided_at, row.decided_by = now, presser
        plan = _plan_of(found, row)
        if not accept:
            row.state = "declined"
            _tell_proposer(session, found, row, plan, f"{invitee.label} declined your swap.", now)
            return True, f":x: You declined {slack_name(plan.proposer)}'s swap."
        return _accept(rt, session, found, row, plan, now)


def _accept(
    rt: Runtime, session: Session, found: Resolver, row: RotaSwap, plan: SwapPlan, now: datetime
) -> tuple[bool, str]:
    serialise(session)  # override changes, whoever makes them, one at a time
    overrides = active_overrides(session, now, found.rotation.people)
    try:
        _still_theirs(found, overrides, plan)
        check(found, overrides, plan)
    except SwapError as exc:
        row.state, row.outcome = "refused", str(exc)
        _tell_proposer(session, found, row, plan, f"Your swap could not be made: {exc}", now)
        return False, f":warning: The swap cannot be made: {exc}"
    for override in plan.overrides():
        session.add(OncallOverride(
            person=override.person, level=override.level, slot=override.slot,
            start_at=override.start, end_at=override.end, created_by=row.decided_by or "",
            created_at=now,
        ))  # fmt: skip
    row.state = "accepted"
    zone = person_zone(found.rotation, plan.proposer.key)
    text = (
        f":twisted_rightwards_arrows: {slack_name(plan.invitee)} accepted "
        f"{slack_name(plan.proposer)}'s swap of {plan.give.level} {plan.give.slot}: "
        f"{plan.invitee.label} holds it {with_utc(plan.give.start, zone)} – "
        f"{with_utc(plan.give.end, zone)}, {plan.proposer.label} holds it "
        f"{with_utc(plan.take.start, zone)} – {with_utc(plan.take.end, zone)}."
    )
    add_post(session, key=f"swap-{row.id}", channel=rt.settings.oncall_channel, text=text, now=now)
    _tell_proposer(session, found, row, plan, f"{plan.invitee.label} accepted your swap.", now)
    return True, f":white_check_mark: Swap made. {text}"


def _still_theirs(found: Resolver, overrides: Sequence[Override], plan: SwapPlan) -> None:
    for person, shift in ((plan.proposer, plan.give), (plan.invitee, plan.take)):
        now_theirs = person_shifts(
            found, person.key, shift.start, shift.end, levels=(shift.level,), overrides=overrides
        )
        held = sum(((s.end - s.start) for s in now_theirs if s.slot == shift.slot), timedelta())
        if held != shift.end - shift.start:
            raise SwapError(
                f"the rota changed since the proposal: {person.label} no longer holds "
                f"{shift.level} {shift.slot} over the whole shift"
            )


def _tell_proposer(
    session: Session, found: Resolver, row: RotaSwap, plan: SwapPlan, text: str, now: datetime
) -> None:
    add_dm(
        session, key=f"swap-{row.id}-{row.state}", kind="swap", person=plan.proposer.key,
        recipient=plan.proposer.slack, due_at=now, now=now,
        text=f":twisted_rightwards_arrows: {text}",
    )  # fmt: skip
