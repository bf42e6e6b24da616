"""``/oncall``: the on-call board, overrides and the personal calendar feed.

Parses the text, makes sure the caller is staff, calls the on-call services and acks with
an ephemeral answer; every change is also announced in the on-call channel by a queued post.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, BoltContext

from handlers._common import actor, payload, runtime
from handlers.payloads import Command
from supportbot.incidents.access import Actor
from supportbot.oncall import Resolver, lookup
from supportbot.oncall.board import build_board, to_slack
from supportbot.oncall.changes import end_by_command, override_by_command
from supportbot.oncall.feed_tokens import feed_url
from supportbot.oncall.overrides import OverrideError
from supportbot.oncall.swap_rules import SwapError
from supportbot.oncall.swaps import propose
from supportbot.prompt_ack import acks_last
from supportbot.runtime import Runtime
from supportbot.wording import inert

USAGE = (
    "*/oncall* shows who holds each pager now and the next handoffs.\n"
    "• `/oncall override @person 2h [L1|L2|L3] [secondary]`: they hold that pager from now "
    "(durations like `30m`, `1h30m`, `1d`, at most 14 days; default L1 primary)\n"
    "• `/oncall end-override @person [L1|L2|L3]`: end their override now\n"
    "• `/oncall calendar`: the link to your own on-call calendar (iCalendar)\n"
    "• `/oncall swap @person <when> [L1|L2|L3]`: offer them your shift at `<when>` (`tomorrow`, "
    "`thu`, `2026-03-12`, `2026-03-12 08:00`) for their nearest one; they accept or decline"
)


@acks_last
def oncall_command(ack: Ack, context: BoltContext) -> None:
    command = payload(context, Command)
    ack(response_type="ephemeral", **answer(runtime(context), actor(context), command))


def answer(rt: Runtime, who: Actor, command: Command) -> dict[str, Any]:
    """Quick work only (one transaction, an in-memory rotation); posts are queued."""
    user = who.user_id
    if not who.is_staff:
        return {"text": ":no_entry: `/oncall` is for the support team."}
    found = lookup.resolver(rt)
    if found is None:
        return {
            "text": ":warning: The rotation files could not be loaded, so nobody can be looked "
            "up. Run `supportbot check` to see what is wrong in them."
        }
    words = command.text.split()
    verb, args = (words[0].lower(), words[1:]) if words else ("", [])
    try:
        if verb in ("", "now", "show"):
            now = rt.now()
            with rt.session() as session:
                overrides = lookup.view_overrides(session, now, found)
            text, blocks = to_slack(build_board(found, now, overrides))
            return {"text": text, "blocks": blocks}
        if verb == "override":
            return {"text": override_by_command(rt, found, args, actor=user)}
        if verb in ("end-override", "end"):
            return {"text": end_by_command(rt, found, args, actor=user)}
        if verb == "swap":
            return {"text": propose(rt, found, args, actor=user)}
        if verb in ("calendar", "ics"):
            return {"text": _calendar(rt, found, user)}
        if verb == "help":
            return {"text": USAGE}
    except (OverrideError, SwapError) as exc:
        return {"text": f":warning: {exc}"}
    # Echoed as the other commands echo what was typed: short, and inert (no broadcast).
    shown = inert(verb[:40] + ("…" if len(verb) > 40 else ""))
    return {"text": f":warning: Unknown `/oncall {shown}`.\n{USAGE}"}


def _calendar(rt: Runtime, found: Resolver, user: str) -> str:
    person = lookup.person_by_slack(found, user)
    if person is None:
        return (
            ":calendar: You are not in the rotation files, so you have no on-call shifts to "
            "subscribe to."
        )
    url = feed_url(rt.settings, person.key)
    note = (
        ""
        if rt.settings.public_url
        else "\n_(SUPPORTBOT_PUBLIC_URL is not set, so prefix it with this server's address.)_"
    )
    return (
        f":calendar: Your on-call calendar ({person.label}), 7 days back and 90 ahead: {url}\n"
        "Subscribe to it in your calendar app. Keep it private: anyone with the link sees "
        f"your shifts.{note}"
    )
