"""Shift swaps, the pure part: which shifts a ``/oncall swap`` trades, and every reason to
refuse one (no I/O; :mod:`.swaps` stores, asks and applies them).

``/oncall swap @bram <when> [L1|L2|L3]``: the proposer's shift at ``when`` (a day, or a day
and a time, in the proposer's zone) goes to Bram, and Bram's nearest shift of the same level
and slot in the next 14 days goes to the proposer: a pair of overrides once Bram accepts.
Refused, with the reason: a swap with yourself, no shift of yours at that time, a shift
already begun or more than 14 days ahead, nothing of Bram's to trade for it, an override
already covering either shift, and what would break a level's coverage: either of you
holding another pager during the shift you would take (one person would hold two slots, and a
level would lose its second person), or either of you in quiet hours during part of the shift
you would take while its holder today is awake (a Severity 2 page to the level would then
wait, or pass to someone else, where it is answered today).

A pair of overrides cannot open a gap with nobody on call: each names a person, and a person
in the rotation files always has a phone (the model refuses one without). Whether each of
you still holds the shift you give is for the caller to check when the pair is made
(:func:`.swaps._still_theirs`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from supportbot.instants import FIRST_YEAR, LAST_YEAR
from supportbot.oncall.feed import Shift, person_shifts
from supportbot.oncall.model import LEVELS, Level, Person
from supportbot.oncall.quiet import is_quiet
from supportbot.oncall.resolver import Override, Resolver, find_overlap
from supportbot.oncall.wallclock import local_reading, wall_to_utc
from supportbot.wording import inert

WHOLE_SHIFT = timedelta(days=8)  # longer than any shift a rotation hands out (weekly ones)
HORIZON = timedelta(days=14)
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAYS = {name: n for names in (_DAYS, _FULL) for n, name in enumerate(names)}
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_LEVEL_LIKE = re.compile(r"[Ll]\d+")  # L4, l0: meant as a level, not a day or a time
USAGE = (
    "`/oncall swap @person <when> [L1|L2|L3]` (when: `tomorrow`, `thu`, `2026-03-12` or "
    "`2026-03-12 08:00`)"
)


class SwapError(ValueError):
    """A refusal; the message is shown to whoever asked or pressed."""


@dataclass(frozen=True)
class When:
    start: datetime  # UTC
    end: datetime  # equal to start for an instant
    said: str  # as the person wrote it, for messages


@dataclass(frozen=True)
class SwapPlan:
    proposer: Person
    invitee: Person
    give: Shift  # the proposer's, to the invitee
    take: Shift  # the invitee's, to the proposer

    def overrides(self) -> tuple[Override, Override]:
        level, slot = self.give.level, self.give.slot
        return (
            Override(self.invitee.key, level, self.give.start, self.give.end, slot),
            Override(self.proposer.key, level, self.take.start, self.take.end, slot),
        )


def shown_word(word: str) -> str:
    """A word the person typed, echoed back short and inert."""
    return inert(word[:40] + ("…" if len(word) > 40 else ""))


def split_levels(args: Sequence[str]) -> tuple[list[str], Level | None]:
    """The command's words without its level, and the level (at most one, a known one)."""
    known = ", ".join(LEVELS[:-1]) + f" and {LEVELS[-1]}"
    words: list[str] = []
    levels: list[Level] = []
    for word in args:
        upper = word.upper()
        if upper in LEVELS:
            levels.append(upper)  # type: ignore[arg-type]
        elif _LEVEL_LIKE.fullmatch(word):
            raise SwapError(f"`{shown_word(word)}` is not a level: the levels are {known}")
        else:
            words.append(word)
    if len(levels) > 1:
        raise SwapError(f"name one level: {USAGE}")
    return words, (levels[0] if levels else None)


def parse_when(words: Sequence[str], tz: ZoneInfo, now: datetime) -> When:
    """A local day (``today``, ``tomorrow``, a weekday, ``YYYY-MM-DD``), optionally ``HH:MM``."""
    if not words:
        raise SwapError(f"say which of your shifts: {USAGE}")
    today = now.astimezone(tz).date()
    head = words[0].lower()
    day: date
    if head in ("today", "tomorrow"):
        day = today + timedelta(days=head == "tomorrow")
    elif head in _WEEKDAYS:  # the next one, today included
        day = today + timedelta(days=(_WEEKDAYS[head] - today.weekday()) % 7)
    else:
        try:
            day = date.fromisoformat(head)
        except ValueError:
            raise SwapError(f"`{shown_word(words[0])}` is not a day: {USAGE}") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        # Beyond these years the look-ups around the day overflow (a traceback, not a reply).
        raise SwapError(f"`{shown_word(words[0])}` is not a day a shift can be on: {USAGE}")
    if len(words) > 2:
        raise SwapError(f"unexpected `{shown_word(words[2])}`: {USAGE}")
    if len(words) == 2:
        match = _TIME.fullmatch(words[1])
        if not match:
            raise SwapError(f"`{shown_word(words[1])}` is not a time like `08:00`: {USAGE}")
        wall = datetime.combine(day, time(int(match[1]), int(match[2])))
        instant = wall_to_utc(wall, tz)
        if local_reading(instant, tz) != wall:  # a gap: the clocks jump over this reading
            raise SwapError(
                f"{day} {words[1]} does not exist in {tz.key} (the clocks skip it); "
                "name the day alone, or a time on either side of the change"
            )
        return When(instant, instant, f"{day:%a %d %b} {words[1]} {tz.key}")
    start = wall_to_utc(datetime.combine(day, time(0)), tz)
    end = wall_to_utc(datetime.combine(day + timedelta(days=1), time(0)), tz)
    return When(start, end, f"on {day:%a %d %b} ({tz.key})")


def _shift_at(
    found: Resolver, person: Person, when: When, level: Level | None,
    overrides: Sequence[Override],
) -> Shift:  # fmt: skip
    """The person's whole shift at ``when`` (the first one that day, for a day)."""
    levels = (level,) if level else LEVELS
    around = person_shifts(
        found, person.key, when.start - timedelta(days=3), when.end + timedelta(days=3),
        levels=levels, overrides=overrides,
    )  # fmt: skip
    if when.end == when.start:
        hits = [s for s in around if s.start <= when.start < s.end]
    else:
        hits = [s for s in around if s.start < when.end and s.end > when.start]
    if not hits:
        which = f"{level} shift" if level else "on-call shift"
        raise SwapError(
            f"you have no {which} {when.said}, so there is nothing to swap; "
            "`/oncall calendar` lists your shifts"
        )
    if len({s.level for s in hits}) > 1:
        named = " and ".join(sorted({s.level for s in hits}))
        raise SwapError(f"you hold {named} {when.said}; say which, e.g. `... {hits[0].level}`")
    return hits[0]


def plan_swap(
    found: Resolver, overrides: Sequence[Override], proposer: Person, invitee: Person,
    when: When, level: Level | None, now: datetime,
) -> SwapPlan:  # fmt: skip
    if proposer.key == invitee.key:
        raise SwapError("you cannot swap with yourself; name the person to swap with")
    give = _shift_at(found, proposer, when, level, overrides)
    if give.start <= now:
        raise SwapError(
            f"your {give.level} shift from {shown_at(give.start)} has already begun; hand it over "
            "with `/oncall override @person <duration>` instead"
        )
    if give.start > now + HORIZON:
        raise SwapError("swaps reach 14 days ahead; that shift is later (ask again nearer it)")
    # Whole shifts that begin within the horizon: looked up beyond it, since a shift the
    # horizon's end falls in came back cut there, and the swap traded only its first part
    # (the invitee kept the rest of hers and took the proposer's too). One still cut at the
    # look-up's end (longer than a week) is not offered.
    until = now + HORIZON + WHOLE_SHIFT
    theirs = person_shifts(
        found, invitee.key, now, until, levels=(give.level,), overrides=overrides
    )
    offers = [
        s for s in theirs
        if s.slot == give.slot and now < s.start < now + HORIZON and s.end < until
        and (s.end <= give.start or s.start >= give.end)
    ]  # fmt: skip
    if not offers:
        raise SwapError(
            f"{invitee.label} has no {give.level} {give.slot} shift in the next 14 days to "
            "trade for yours; ask for an override instead"
        )
    # The nearest of their shifts that the swap can be made with (the proposer may be busy
    # during some); if none can, the nearest one's reason is given.
    offers.sort(key=lambda s: abs(s.start - give.start))
    first_refusal: SwapError | None = None
    for take in offers:
        plan = SwapPlan(proposer, invitee, give, take)
        try:
            check(found, overrides, plan)
        except SwapError as exc:
            first_refusal = first_refusal or exc
            continue
        return plan
    assert first_refusal is not None
    raise first_refusal


def check(found: Resolver, overrides: Sequence[Override], plan: SwapPlan) -> None:
    """Every reason the pair of overrides cannot be made as things stand now."""
    takers = ((plan.invitee, plan.give, plan.proposer), (plan.proposer, plan.take, plan.invitee))
    for person, shift, _ in takers:
        busy = person_shifts(found, person.key, shift.start, shift.end, overrides=overrides)
        if busy:
            first = busy[0]
            raise SwapError(
                f"{person.label} holds {first.level} {first.slot} from {shown_at(first.start)}, "
                f"during the {shift.level} shift they would take; one person cannot hold two "
                f"pagers, and {shift.level} would lose its second person"
            )
    for person, shift, holder in takers:
        asleep = quiet_clash(person, holder, shift)
        if asleep is not None:
            quiet = person.quiet_hours
            assert quiet is not None  # only someone with quiet hours can be asleep
            raise SwapError(
                f"{person.label}'s quiet hours ({quiet.start:%H:%M}–{quiet.end:%H:%M} "
                f"{person.time_zone}) fall in the {shift.level} shift they would take, from "
                f"{shown_at(asleep)}, while {holder.label} is awake: a Severity 2 page to "
                f"{shift.level} would wait for them instead of being answered; choose a "
                "shift outside their quiet hours"
            )
    for new in plan.overrides():
        clash = find_overlap(overrides, new)
        if clash is not None:
            raise SwapError(
                f"{clash.person}'s {clash.level} {clash.slot} override from "
                f"{shown_at(clash.start)} until {shown_at(clash.end)} already covers part of "
                "it; choose another shift (an override already in force can be ended with "
                f"`/oncall end-override @{clash.person}`; one made ahead, such as another "
                "swap, cannot)"
            )


def quiet_clash(taker: Person, holder: Person, shift: Shift) -> datetime | None:
    """The first instant of ``shift`` at which ``taker`` is in quiet hours and ``holder``
    (who holds it today) is not, or None.

    Quiet hours and zone offsets are whole minutes, so reading both people at the shift's
    start and at every whole minute after it is exact."""
    if taker.quiet_hours is None:
        return None
    at = shift.start
    while at < shift.end:
        if is_quiet(taker, at) and not is_quiet(holder, at):
            return at
        at = at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return None


def shown_at(at: datetime) -> str:
    return f"{at:%a %d %b %H:%M} UTC"
