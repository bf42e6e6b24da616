"""``/oncall override`` and ``end-override`` as services: change, record, announce.

Each change and its announcement in the on-call channel are written in one transaction, so
an override is never in force unannounced, nor announced without being stored; the post is
delivered after the commit (see :mod:`supportbot.oncall.posts`). The text returned is the
ephemeral answer to the person who asked.
"""

from __future__ import annotations

from collections.abc import Sequence

from supportbot.oncall import OnCall, Person, Resolver
from supportbot.oncall.board import slack_name, with_utc
from supportbot.oncall.lookup import level_zone, view_overrides
from supportbot.oncall.overrides import create_override, end_overrides, parse_end, parse_override
from supportbot.oncall.posts import add_post
from supportbot.runtime import Runtime


def _holder(answer: OnCall, slot: str) -> str:
    person = answer.primary if slot == "primary" else answer.secondary
    if person is None:
        return "nobody"
    return f"{slack_name(person)} · {answer.covered_by or 'no team'} {answer.source}"


def _one_person(before: OnCall, person: Person, level: str, slot: str) -> str:
    """A warning when the override leaves the level one person: they held the other slot."""
    other = "secondary" if slot == "primary" else "primary"
    held = before.secondary if other == "secondary" else before.primary
    if held is None or held.key != person.key:
        return ""
    return (
        f"\n:warning: {slack_name(person)} was already the {level} {other}, so {level} pages one "
        f"person, not two, until the override ends; give the {other} to someone else with "
        f"`/oncall override @someone <duration> {level} {other}`."
    )


def _where(rt: Runtime, posted: bool) -> str:
    if posted:
        return f"Announced in <#{rt.settings.oncall_channel}>."
    return "Not announced: SUPPORTBOT_ONCALL_CHANNEL is not set (see `supportbot check`)."


def override_by_command(rt: Runtime, found: Resolver, args: Sequence[str], *, actor: str) -> str:
    request = parse_override(found, args)
    now = rt.now()
    with rt.session() as session:
        before = found.on_call(now, request.level, overrides=view_overrides(session, now, found))
        zone = level_zone(found, before)
        row, override = create_override(
            session, found, request, now=now, created_by=actor, zone=zone
        )
        text = (
            f":bust_in_silhouette: <@{actor}> set an override: {slack_name(request.person)} "
            f"holds {request.level} {request.slot} from {with_utc(override.start, zone)} until "
            f"{with_utc(override.end, zone)}, instead of {_holder(before, request.slot)}."
        ) + _one_person(before, request.person, request.level, request.slot)
        post = add_post(
            session, key=f"override-{row.id}-start", channel=rt.settings.oncall_channel,
            text=text, now=now,
        )  # fmt: skip
    return f"{text}\n{_where(rt, post is not None)}"


def end_by_command(rt: Runtime, found: Resolver, args: Sequence[str], *, actor: str) -> str:
    person, level, slot = parse_end(found, args)
    now = rt.now()
    texts: list[str] = []
    posts: list[int | None] = []
    with rt.session() as session:
        rows = end_overrides(session, person, now=now, ended_by=actor, level=level, slot=slot)
        overrides = view_overrides(session, now, found)
        for row in rows:
            after = found.on_call(now, row.level, overrides=overrides)  # type: ignore[arg-type]
            zone = level_zone(found, after)
            text = (
                f":bust_in_silhouette: <@{actor}> ended {slack_name(person)}'s {row.level} "
                f"{row.slot} override at {with_utc(now, zone)} (it was to run until "
                f"{with_utc(row.end_at, zone)}); the pager goes to {_holder(after, row.slot)}."
            )
            texts.append(text)
            posts.append(
                add_post(
                    session,
                    key=f"override-{row.id}-end",
                    channel=rt.settings.oncall_channel,
                    text=text,
                    now=now,
                )  # fmt: skip
            )
    return "\n".join(texts) + "\n" + _where(rt, any(p is not None for p in posts))
