"""The on-call board: who holds each level's pager at an instant, and the next handoffs.

One board, three presentations: Block Kit for ``/oncall``, plain text and JSON for
``supportbot oncall``. The content (what is said, which zone each time is in) is built once
by :func:`sections`, so Slack and the terminal can never disagree; only the way a person is
named differs (a Slack mention or a name). Times are shown in the zone of the team that
holds the pager (region or fallback roster), handoffs in the incoming team's zone, so each
reader sees the clock of the people concerned. Phone numbers appear only in the JSON, which
on-call leads script against; Slack and the terminal show names and Slack ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

from supportbot.oncall import LEVELS, Handoff, Level, OnCall, Override, Person, Resolver
from supportbot.oncall.lookup import level_zone, team_zone

HANDOFF_INSTANTS = 3  # how many upcoming handoff instants a board lists
_LOOKAHEAD = 12  # handoffs fetched to fill them (up to 3 levels change at one instant)

NameFn = Callable[[Person], str]
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/Universal", "Universal", "Zulu", "Etc/Zulu"})


@dataclass(frozen=True)
class Board:
    at: datetime
    levels: dict[Level, OnCall]
    handoffs: list[list[Handoff]]  # grouped by instant, soonest first
    on_shift: list[str]
    resolver: Resolver

    def zone_of(self, answer: OnCall) -> ZoneInfo:
        return level_zone(self.resolver, answer)


def build_board(found: Resolver, at: datetime, overrides: list[Override]) -> Board:
    at = at.astimezone(UTC)
    upcoming = found.next_handoffs(at, _LOOKAHEAD, overrides=overrides)
    groups = [list(group) for _, group in groupby(upcoming, key=lambda h: h.at)]
    if len(upcoming) == _LOOKAHEAD and groups:
        groups.pop()  # the last instant may be cut short by the lookahead
    return Board(
        at=at,
        levels=found.snapshot(at, overrides),
        handoffs=groups[:HANDOFF_INSTANTS],
        on_shift=found.regions_on_shift(at),
        resolver=found,
    )


# -- formatting ----------------------------------------------------------------------------


def clock_time(at: datetime, zone: ZoneInfo) -> str:
    """``Tue 10 Mar 08:00 Europe/Dublin``: the weekday matters in a follow-the-sun week."""
    return f"{at.astimezone(zone):%a %d %b %H:%M} {zone.key}"


def with_utc(at: datetime, zone: ZoneInfo) -> str:
    if zone.key in _UTC_NAMES:
        return clock_time(at, zone)
    return f"{clock_time(at, zone)} ({at.astimezone(UTC):%H:%M} UTC)"


def plain_name(person: Person) -> str:
    return f"{person.label} [{person.key}]"


def slack_name(person: Person) -> str:
    return f"<@{person.slack}> ({person.label})"


def _who(person: Person | None, name: NameFn) -> str:
    return name(person) if person is not None else "nobody"


def _handoff_line(group: list[Handoff], found: Resolver, name: NameFn) -> str:
    first = group[0]
    zone = team_zone(found, first.to_region)
    moved = next((h for h in group if h.region_changed), None)
    head = with_utc(first.at, zone)
    if moved is not None:
        head += f": {moved.from_region or 'nobody'} → {moved.to_region or 'nobody'}"
    changes = "; ".join(
        f"{h.level} {_who(h.from_person, name)} → {_who(h.to_person, name)}" for h in group
    )
    return f"{head} · {changes}"


def sections(board: Board, name: NameFn) -> list[tuple[str, list[str]]]:
    """The board as titled groups of lines, shared by every presentation."""
    found = board.resolver
    shifts = ", ".join(
        f"{team} ({board.at.astimezone(team_zone(found, team)):%H:%M} {team_zone(found, team).key})"
        for team in board.on_shift
    )
    if not shifts:
        fallback = found.rotation.fallback
        shifts = (
            "none (the fallback roster covers)"
            if fallback is not None
            else "none, and there is no fallback roster: nobody is on call"
        )
    out: list[tuple[str, list[str]]] = [
        (f"On call at {board.at:%a %d %b %Y %H:%M} UTC", [f"Regions on shift: {shifts}"])
    ]
    for level in LEVELS:
        answer = board.levels[level]
        zone = board.zone_of(answer)
        team = answer.covered_by or "no team"
        title = f"{level} · {team} · {answer.source}"
        if answer.primary is None:
            lines = ["nobody holds this pager"]
        else:
            lines = [f"primary {name(answer.primary)}"]
            if answer.secondary is not None:
                lines[0] += f" · secondary {name(answer.secondary)}"
        lines.append(
            f"since {clock_time(answer.shift_start, zone)} · "
            f"until {clock_time(answer.shift_end, zone)}"
        )
        lines.append(answer.reason)
        out.append((title, lines))
    handoffs = [_handoff_line(group, found, name) for group in board.handoffs]
    out.append(("Next handoffs", handoffs or ["none in the next 60 days"]))
    return out


def to_text(board: Board) -> str:
    parts = []
    for title, lines in sections(board, plain_name):
        parts.append(title + "\n" + "\n".join(f"    {line}" for line in lines))
    return "\n\n".join(parts) + "\n"


def to_slack(board: Board) -> tuple[str, list[dict[str, Any]]]:
    """The fallback text (notifications, screen readers) and the Block Kit blocks."""
    found = sections(board, slack_name)
    (title, intro), levels, (handoff_title, handoffs) = found[0], found[1:-1], found[-1]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": " ".join(intro)}]},
    ]
    for level_title, lines in levels:
        body = f"*{level_title}*\n" + "\n".join(lines[:-1]) + f"\n_{lines[-1]}_"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": body[:3000]}})
    blocks.append({"type": "divider"})
    text = f"*{handoff_title}*\n" + "\n".join(f"• {line}" for line in handoffs)
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}})
    summary = "; ".join(
        f"{level} {_who(board.levels[level].primary, slack_name)}" for level in LEVELS
    )
    return f"{title}: {summary}", blocks


# -- JSON ----------------------------------------------------------------------------------


def _person_json(person: Person | None) -> dict[str, str | None] | None:
    if person is None:
        return None
    return {"key": person.key, "name": person.label, "slack": person.slack, "phone": person.phone}


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _answer_json(answer: OnCall, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "level": answer.level,
        "region": answer.region,
        "covered_by": answer.covered_by,
        "time_zone": zone.key,
        "source": answer.source,
        "reason": answer.reason,
        "primary": _person_json(answer.primary),
        "secondary": _person_json(answer.secondary),
        "shift_start": _iso(answer.shift_start),
        "shift_end": _iso(answer.shift_end),
        "shift_start_local": answer.shift_start.astimezone(zone).isoformat(),
        "shift_end_local": answer.shift_end.astimezone(zone).isoformat(),
    }


def to_json(board: Board, *, overrides_included: bool = True) -> dict[str, Any]:
    """Machine-readable; every instant in UTC (``Z``) plus local copies where useful."""
    found = board.resolver
    return {
        "at": _iso(board.at),
        "overrides_included": overrides_included,
        "regions_on_shift": board.on_shift,
        "levels": [
            _answer_json(board.levels[level], board.zone_of(board.levels[level]))
            for level in LEVELS
        ],
        "next_handoffs": [
            {
                "at": _iso(h.at),
                "at_local": h.at.astimezone(team_zone(found, h.to_region)).isoformat(),
                "level": h.level,
                "region_changed": h.region_changed,
                "from": {
                    "team": h.from_region,
                    "source": h.before.source,
                    "person": _person_json(h.from_person),
                },
                "to": {
                    "team": h.to_region,
                    "source": h.after.source,
                    "person": _person_json(h.to_person),
                },
            }
            for group in board.handoffs
            for h in group
        ],
    }
