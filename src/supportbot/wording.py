"""How times read in Slack posts, cards and answers: one wording everywhere."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo


def time_left(due: datetime | None, now: datetime) -> str:
    """``2h05m``, ``45m``, or ``-10m`` when overdue; ``paused`` for a stopped clock."""
    if due is None:
        return "paused"
    seconds = int((due - now).total_seconds())
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{sign}{hours}h{rest // 60:02d}m" if hours else f"{sign}{rest // 60}m"


def local_time(at: datetime | None, zone: ZoneInfo) -> str:
    """``Mon 02 Mar 14:30 CET``; ``paused`` for a clock with no due time."""
    if at is None:
        return "paused"
    return at.astimezone(zone).strftime("%a %d %b %H:%M %Z")


_MENTION = re.compile(r"&lt;([@#][UWC][A-Z0-9]{2,})(\|[^&<>]*)?&gt;")


def inert(text: str, *, keep_mentions: bool = False) -> str:
    """Text someone wrote, made safe to re-post in a Slack message.

    ``<`` and ``>`` open Slack's control sequences (``<!channel>``, ``<@U…>``,
    ``<https://…|label>``); escaped, they show as typed and notify or link nobody. ``&`` is
    left alone: Slack already sends a typed ``&``, ``<`` or ``>`` escaped, and escaping it
    again would show ``&amp;lt;``. With ``keep_mentions`` (staff writing in the triage
    thread) a plain user or channel mention still works; broadcasts and links never do.
    """
    escaped = text.replace("<", "&lt;").replace(">", "&gt;")
    if keep_mentions:
        escaped = _MENTION.sub(lambda m: f"<{m.group(1)}{m.group(2) or ''}>", escaped)
    return escaped


def mention(actor: str) -> str:
    """How an actor reads in a post: a Slack user is mentioned; anyone else (an integration,
    ``alerts:prometheus``) is named as inert code text."""
    if not actor.startswith("alerts:"):
        return f"<@{actor}>"
    shown = inert(actor).replace("`", "'")
    return f"`{shown}`"
